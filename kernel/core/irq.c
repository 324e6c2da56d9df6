/*
 * A PD's IRQ arrives as a notification on its IRQ id. The kernel masks the IRQ at the interrupt
 * controller and ends it at once, so it cannot fire again until the PD calls irq_ack, which
 * unmasks it. Edge IRQs that arrive while masked stay pending in the controller, so none is
 * lost; a level IRQ still asserted fires again right after the ack, as it should.
 */
#include <board.h>
#include <kernel/arch.h>
#include <kernel/irq.h>
#include <kernel/ipc.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>

struct irq_owner {
    bool used;
    uint8_t pd;
    uint8_t id;
};

static struct irq_owner irq_owners[BOARD_GIC_MAX_INTID + 1];

void irq_init(void)
{
    /* Explicitly, so the table does not depend on how it was left (host tests boot many systems
     * in one process). */
    for (unsigned i = 0; i < ARRAY_SIZE(irq_owners); i++) {
        irq_owners[i] = (struct irq_owner){0};
    }
}

void irq_register(uint32_t intid, uint8_t pd, uint8_t id, bool edge)
{
    kassert(intid <= BOARD_GIC_MAX_INTID && !irq_owners[intid].used);
    irq_owners[intid] = (struct irq_owner){.used = true, .pd = pd, .id = id};
    arch_irq_configure(intid, edge);
    /* Masked until the PD's first irq_ack (its runtime acks every IRQ before its event loop). */
    arch_irq_mask(intid);
}

int irq_ack(uint8_t pd, uint64_t id)
{
    if (id >= SYSIMAGE_IDS || pds[pd].config->ids[id].kind != SYSIMAGE_ID_IRQ) {
        return TESSERA_INVALID_ARGUMENT;
    }
    arch_irq_unmask(pds[pd].config->ids[id].intid);
    return TESSERA_OK;
}

/* The loaded vCPU's timer or maintenance interrupt: both belong to the vCPU whose state is in the
 * hardware, which need not be running (the kernel may be idle after its WFI). */
static void vcpu_event(uint32_t intid)
{
    struct vcpu *v = arch_vcpu_loaded();
    if (intid == ARCH_IRQ_VCPU_TIMER) {
        /* Masked until the VMM acks the virtual PPI (or the vCPU runs again, if it cannot take
         * the event now). */
        arch_irq_mask(intid);
        arch_irq_end(intid);
        if (v != NULL && vcpu_take_event_now(v)) {
            uint64_t mr = arch_vcpu_timer_event(v);
            ipc_fault(&v->thread, FAULT_VPPI, &mr, 1);
        }
        return;
    }
    if (v != NULL && vcpu_take_event_now(v)) {
        /* The event word is read before the end: reading it clears the request, so the
         * level-triggered interrupt drops first. */
        uint64_t mr = arch_vcpu_maintenance_event(v);
        ipc_fault(&v->thread, FAULT_VGIC_MAINTENANCE, &mr, 1);
    } else {
        arch_irq_mask(intid); /* unmasked when a vCPU runs again */
    }
    arch_irq_end(intid);
}

void irq_handle(void)
{
    uint32_t intid = arch_irq_acknowledge();
    if (intid == ARCH_IRQ_NONE) {
        return;
    }
    switch (intid) {
    case ARCH_IRQ_TIMER:
        /* Budgets, releases and WFI deadlines are all re-evaluated by schedule(). */
        arch_timer_disable();
        sched_timer_tick();
        arch_irq_end(intid);
        return;
    case ARCH_IRQ_VCPU_MAINTENANCE:
    case ARCH_IRQ_VCPU_TIMER:
        vcpu_event(intid);
        return;
    default:
        break;
    }
    if (intid > BOARD_GIC_MAX_INTID || !irq_owners[intid].used) {
        kdebug("K| warning: interrupt %u has no owner; masked\n", intid);
        arch_irq_mask(intid);
        arch_irq_end(intid);
        return;
    }
    arch_irq_mask(intid);
    arch_irq_end(intid);
    ipc_notify(&pds[irq_owners[intid].pd], irq_owners[intid].id);
}
