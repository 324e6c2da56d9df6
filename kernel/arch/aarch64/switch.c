/* Switching the hardware from one thread to another: address space, EL0 thread registers,
 * EL1/vGIC state for vCPUs, and lazy FP/SIMD ownership. */
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include "registers.h"

void fpu_save(struct fpu_state *state);
void fpu_restore(const struct fpu_state *state);

static struct thread *hw_thread; /* whose TPIDRs and VTTBR are in the registers */
static struct thread *fpu_owner; /* whose FP/SIMD state is in the registers */
static bool fpu_trapping = true; /* CPTR_EL2.TFP as last written */

void arch_switch_thread(struct thread *next)
{
    if (hw_thread == next) {
        return;
    }
    if (hw_thread != NULL) {
        hw_thread->tpidr_el0 = read_sysreg(tpidr_el0);
        hw_thread->tpidrro_el0 = read_sysreg(tpidrro_el0);
    }
    write_sysreg(tpidr_el0, next->tpidr_el0);
    write_sysreg(tpidrro_el0, next->tpidrro_el0);
    vcpu_switch(hw_thread, next);
    write_sysreg(vttbr_el2, next->vttbr);
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
        fpu_save(&fpu_owner->fpu);
    }
    fpu_restore(&t->fpu);
    fpu_owner = t;
}
