/*
 * Synchronous exceptions and interrupts taken to EL2, dispatched by ESR_EL2.EC (Arm ARM D17.2.37).
 * For a native PD: SVC is a system call; aborts and everything else are faults. For a vCPU: WFx
 * is handled here, aborts become VM faults with the IPA, HVC/SMC/system registers become vCPU
 * faults; the VMM emulates and replies. Every path ends in schedule().
 */
#include <kernel/ipc.h>
#include <kernel/irq.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/vcpu.h>
#include <tessera/abi.h>
#include "internal.h"
#include "registers.h"

static const char *ec_name(unsigned ec)
{
    switch (ec) {
    case EC_DABT_LOWER:
        return "data abort";
    case EC_IABT_LOWER:
        return "instruction abort";
    case EC_PC_ALIGN:
        return "PC alignment fault";
    case EC_SP_ALIGN:
        return "SP alignment fault";
    case EC_UNKNOWN:
        return "undefined instruction";
    case EC_BRK:
        return "breakpoint";
    case EC_SYSREG:
        return "system register access";
    default:
        return "exception";
    }
}

static void native_fault(struct thread *t, uint64_t esr)
{
    unsigned ec = (unsigned)(esr >> ESR_EC_SHIFT);
    uint64_t far = read_sysreg(far_el2);
    struct pd *pd = thread_pd(t);
    if (pd->config->parent == SYSIMAGE_NONE) {
        bool write = ec == EC_DABT_LOWER && (esr & BIT(6));
        kdebug("K| fault: PD '%s' %s%s at address 0x%lx, pc 0x%lx, esr 0x%lx; PD stopped\n", t->name, ec_name(ec),
               ec == EC_DABT_LOWER ? (write ? " (write)" : " (read)") : "", far, t->frame.elr, esr);
        thread_stop(t);
        return;
    }
    if (ec == EC_DABT_LOWER || ec == EC_IABT_LOWER) {
        uint64_t mrs[4] = {t->frame.elr, far, ec == EC_IABT_LOWER, esr};
        ipc_fault(t, FAULT_VM, mrs, 4);
    } else {
        uint64_t mrs[5] = {t->frame.elr, t->frame.sp_el0, t->frame.spsr, esr, 0};
        ipc_fault(t, FAULT_USER_EXCEPTION, mrs, 5);
    }
}

static void vcpu_exit(struct thread *t, uint64_t esr)
{
    unsigned ec = (unsigned)(esr >> ESR_EC_SHIFT);
    switch (ec) {
    case EC_WFX:
        vcpu_handle_wfx(t->vcpu, esr);
        return;
    case EC_DABT_LOWER:
    case EC_IABT_LOWER: {
        /* HPFAR_EL2 holds IPA[47:12] in bits [43:4]; FAR_EL2 gives the offset in the page. */
        uint64_t ipa = (read_sysreg(hpfar_el2) >> 4) << 12 | (read_sysreg(far_el2) & 0xfff);
        uint64_t mrs[4] = {t->frame.elr, ipa, ec == EC_IABT_LOWER, esr};
        ipc_fault(t, FAULT_VM, mrs, 4);
        return;
    }
    default: {
        uint64_t mr = esr;
        ipc_fault(t, FAULT_VCPU, &mr, 1);
        return;
    }
    }
}

void handle_lower_sync(struct frame *frame)
{
    struct thread *t = current;
    (void)frame; /* it is &current->frame: vectors.S saved into it */
    uint64_t esr = read_sysreg(esr_el2);
    unsigned ec = (unsigned)(esr >> ESR_EC_SHIFT);
    if (ec == EC_FP) {
        arch_fpu_trap(t);
    } else if (t->is_vcpu) {
        vcpu_exit(t, esr);
    } else if (ec == EC_SVC64) {
        syscall_dispatch(t);
    } else {
        native_fault(t, esr);
    }
    schedule();
}

void handle_lower_irq(struct frame *frame)
{
    (void)frame;
    irq_handle();
    schedule();
}

void handle_idle_irq(void)
{
    kassert(current == NULL);
    irq_handle();
    schedule();
}

void handle_lower_serror(struct frame *frame)
{
    struct thread *t = current;
    (void)frame;
    kdebug("K| SError from '%s' (pc 0x%lx, esr 0x%lx); thread stopped\n", t->name, t->frame.elr, read_sysreg(esr_el2));
    thread_stop(t);
    schedule();
}

void handle_kernel_sync(void)
{
    kpanic("exception in the kernel: esr 0x%lx elr 0x%lx far 0x%lx", read_sysreg(esr_el2), read_sysreg(elr_el2),
           read_sysreg(far_el2));
}

void handle_unexpected_exception(void)
{
    kpanic("unexpected exception vector: esr 0x%lx elr 0x%lx", read_sysreg(esr_el2), read_sysreg(elr_el2));
}
