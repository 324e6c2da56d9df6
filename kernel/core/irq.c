/*
 * A PD's IRQ arrives as a notification on its IRQ id. The kernel masks the IRQ at the
 * distributor and ends it at once (EOImode 0), so it cannot fire again until the PD calls
 * irq_ack, which unmasks it. Edge IRQs that arrive while masked stay pending in the GIC, so none
 * is lost; a level IRQ still asserted fires again right after the ack, as it should.
 */
#include <board.h>
#include <kernel/irq.h>
#include <kernel/ipc.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include "../arch/aarch64/gic.h"

struct irq_owner {
    bool used;
    uint8_t pd;
    uint8_t id;
};

static struct irq_owner irq_owners[BOARD_GIC_MAX_INTID + 1];

void irq_register(uint32_t intid, uint8_t pd, uint8_t id, bool edge)
{
    kassert(intid <= BOARD_GIC_MAX_INTID && !irq_owners[intid].used);
    irq_owners[intid] = (struct irq_owner){.used = true, .pd = pd, .id = id};
    gic_configure_spi(intid, edge);
    /* Masked until the PD's first irq_ack (its runtime acks every IRQ before its event loop). */
    gic_mask(intid);
}

int irq_ack(uint8_t pd, unsigned id)
{
    if (id >= SYSIMAGE_IDS || pds[pd].config->ids[id].kind != SYSIMAGE_ID_IRQ) {
        return 1;
    }
    gic_unmask(pds[pd].config->ids[id].intid);
    return 0;
}

void arch_timer_disable(void);

void irq_handle(void)
{
    uint32_t intid = gic_acknowledge();
    if (intid >= 1020) {
        return;
    }
    switch (intid) {
    case INTID_HYP_TIMER:
        /* Budgets, releases and WFI deadlines are all re-evaluated by schedule(). */
        arch_timer_disable();
        sched_timer_tick();
        gic_end_of_interrupt(intid);
        return;
    case INTID_MAINTENANCE: {
        /* Both belong to the vCPU whose state is in the hardware, which need not be running:
         * the kernel may be idle after its WFI. */
        struct vcpu *v = vcpu_loaded();
        if (v != NULL && vcpu_take_event_now(v)) {
            vcpu_handle_maintenance(v);
        } else {
            gic_mask(INTID_MAINTENANCE); /* unmasked when a vCPU runs again */
        }
        gic_end_of_interrupt(intid);
        return;
    }
    case INTID_VTIMER: {
        gic_mask(INTID_VTIMER);
        gic_end_of_interrupt(intid);
        struct vcpu *v = vcpu_loaded();
        if (v != NULL && vcpu_take_event_now(v)) {
            vcpu_handle_vtimer_irq(v);
        }
        return;
    }
    default:
        break;
    }
    if (intid > BOARD_GIC_MAX_INTID || !irq_owners[intid].used) {
        kdebug("K| warning: interrupt %u has no owner; masked\n", intid);
        gic_mask(intid);
        gic_end_of_interrupt(intid);
        return;
    }
    gic_mask(intid);
    gic_end_of_interrupt(intid);
    ipc_notify(&pds[irq_owners[intid].pd], irq_owners[intid].id);
}
