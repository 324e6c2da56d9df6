/*
 * A fake arch layer so the kernel's portable core runs on the host, in the style of Hafnium's
 * `fake` arch: time is a variable, "entering a thread" records which thread and jumps back to the
 * test, the interrupt controller and the stage-2 tables are arrays a test can read, and a kpanic
 * can be expected (FAKE_PANICS) instead of ending the test program.
 */
#pragma once

#include <setjmp.h>
#include <stdbool.h>
#include <kernel/thread.h>
#include <kernel/vcpu.h>

extern uint64_t fake_now;
extern uint64_t fake_deadline;
extern struct thread *fake_entered; /* thread the last schedule() ended in; NULL = idle */
extern jmp_buf fake_return;

/* Run schedule() and return the thread it chose (NULL for idle). */
struct thread *fake_schedule(void);
/* Run kernel_boot(image) and return the thread its first schedule() chose. */
struct thread *fake_boot(const struct sysimage *image);
/* Forget every recorded call and put the fake hardware back to its reset state. */
void fake_arch_reset(void);

/* The interrupt controller. */
#define FAKE_IRQS 1024
extern bool fake_irq_masked[FAKE_IRQS];
extern bool fake_irq_configured[FAKE_IRQS];
extern bool fake_irq_edge[FAKE_IRQS];
extern unsigned fake_irq_ends[FAKE_IRQS];
extern uint32_t fake_irq_pending; /* what arch_irq_acknowledge returns once; then ARCH_IRQ_NONE */
extern unsigned fake_timer_disables;

/* Address spaces: every arch_stage2_map call, in order. */
struct fake_map {
    paddr_t root;
    uint64_t ipa, pa, size;
    uint32_t attrs;
};
#define FAKE_MAPS 64
extern struct fake_map fake_maps[FAKE_MAPS];
extern unsigned fake_map_count;
extern unsigned fake_roots;   /* arch_stage2_new_root calls */
extern unsigned fake_commits; /* arch_stage2_commit calls */
struct fake_zero {
    paddr_t base;
    uint64_t size;
};
extern struct fake_zero fake_zeros[FAKE_MAPS];
extern unsigned fake_zero_count;

/* Calls that leave the core. */
extern unsigned fake_smc_calls;
extern unsigned fake_poweroffs;
extern struct vcpu *fake_vcpu_loaded;
extern int fake_inject_result; /* what arch_vcpu_inject answers (TESSERA_OK unless a test says) */
extern uint64_t fake_esr;      /* the syndrome arch_user_exception_message reports */

/* kpanic: the message of the last one; FAKE_PANICS(statement) is true if the statement ended in
 * one (instead of aborting the test program). */
extern char fake_panic_message[256];
extern bool fake_panic_armed;
extern jmp_buf fake_panic_return;

#define FAKE_PANICS(statement)                \
    ({                                        \
        volatile bool fake_panicked_ = true;  \
        fake_panic_armed = true;              \
        if (setjmp(fake_panic_return) == 0) { \
            statement;                        \
            fake_panicked_ = false;           \
        }                                     \
        fake_panic_armed = false;             \
        (bool)fake_panicked_;                 \
    })
