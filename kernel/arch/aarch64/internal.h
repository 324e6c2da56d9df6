/* Calls between the files of kernel/arch/aarch64/ that the portable core never makes. */
#pragma once

#include <kernel/thread.h>
#include <kernel/vcpu.h>

void arch_cpu_init(void);
void arch_mmu_init(void);
void arch_stage2_init(void);
void arch_timer_init(void);
/* Entry from boot.S, at the EL the loader started us in. */
_Noreturn void arch_boot(unsigned current_el);

/* First FP/SIMD use by `t` since it was switched in (traps.c -> switch.c). */
void arch_fpu_trap(struct thread *t);
void fpu_save(struct fpu_state *state);
void fpu_restore(const struct fpu_state *state);

/* vcpu.c: `next` is about to run (after whatever thread ran on the CPU before). */
void arch_vcpu_switch(struct thread *next);
/* vcpu.c: the running vCPU trapped on WFI or WFE (ESR_EL2 `esr`). */
void vcpu_handle_wfx(struct vcpu *vcpu, uint64_t esr);
