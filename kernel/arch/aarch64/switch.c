/* Switching the hardware from one thread to another: address space, EL0 thread registers,
 * EL1/vGIC state for vCPUs, and lazy FP/SIMD ownership. */
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include "internal.h"
#include "registers.h"

static struct thread *hw_thread; /* whose TPIDRs and VTTBR are in the registers */
static struct thread *fpu_owner; /* whose FP/SIMD state is in the registers */
static bool fpu_trapping = true; /* CPTR_EL2.TFP as last written */

void arch_switch_thread(struct thread *next)
{
    if (hw_thread == next) {
        return;
    }
    if (hw_thread != NULL) {
        hw_thread->arch.tpidr_el0 = read_sysreg(tpidr_el0);
        hw_thread->arch.tpidrro_el0 = read_sysreg(tpidrro_el0);
    }
    write_sysreg(tpidr_el0, next->arch.tpidr_el0);
    write_sysreg(tpidrro_el0, next->arch.tpidrro_el0);
    arch_vcpu_switch(next);
    write_sysreg(vttbr_el2, next->address_space);
    bool trap = fpu_owner != next;
    if (trap != fpu_trapping) {
        write_sysreg(cptr_el2, CPTR_EL2_RES1 | (trap ? CPTR_TFP : 0));
        fpu_trapping = trap;
    }
    hw_thread = next;
}

/* First FP/SIMD use since the thread was switched in. */
void arch_fpu_trap(struct thread *t)
{
    write_sysreg(cptr_el2, CPTR_EL2_RES1);
    fpu_trapping = false;
    isb();
    if (fpu_owner != NULL) {
        fpu_save(&fpu_owner->arch.fpu);
    }
    fpu_restore(&t->arch.fpu);
    fpu_owner = t;
}
