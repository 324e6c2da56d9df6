/*
 * The fake arch's <arch/machine.h> for host tests of the portable kernel core: the names
 * <kernel/arch.h> requires, with a layout that is deliberately not AArch64's (a frame of
 * argument slots, a pc and an sp), so a core file that reaches past the interface does not
 * build on the host. Time is a variable (fake_now).
 */
#pragma once

#include <kernel/types.h>
#include <tessera/abi.h>

#define ARCH_SYSCALL_ARGS 7

struct frame {
    uint64_t arg[ARCH_SYSCALL_ARGS + 1]; /* the last slot is the call number */
    uint64_t pc;
    uint64_t sp;
};

/* The rest of seL4_UserContext (index 2 is the "mode", sanitised for native PDs). */
struct arch_thread {
    uint64_t context[TESSERA_USER_CONTEXT_WORDS];
};

struct arch_vcpu {
    uint64_t regs[VCPU_REG_COUNT];
    bool vppi_masked;
    unsigned resets;      /* arch_vcpu_reset_interrupts calls */
    unsigned vppi_acks;   /* arch_vcpu_ack_vppi calls that were accepted */
    uint64_t last_inject; /* the word of the last accepted arch_vcpu_inject */
};

/* Interrupt ids: any numbers the core must not assume anything about. */
#define ARCH_IRQ_TIMER            3
#define ARCH_IRQ_VCPU_MAINTENANCE 5
#define ARCH_IRQ_VCPU_TIMER       7
#define ARCH_IRQ_NONE             0xffffffffu

/* The virtual PPI the fake's arch_vcpu_ack_vppi accepts. */
#define FAKE_VPPI 11

#define ARCH_SMC_NOT_SUPPORTED 0x5eadUL

extern uint64_t fake_now;

static inline uint64_t arch_frame_arg(const struct frame *f, unsigned index)
{
    return f->arg[index];
}

static inline void arch_frame_set_arg(struct frame *f, unsigned index, uint64_t value)
{
    f->arg[index] = value;
}

static inline uint64_t arch_frame_syscall_number(const struct frame *f)
{
    return f->arg[ARCH_SYSCALL_ARGS];
}

static inline uint64_t arch_frame_pc(const struct frame *f)
{
    return f->pc;
}

static inline void arch_frame_set_pc(struct frame *f, uint64_t pc)
{
    f->pc = pc;
}

static inline uint64_t arch_counter_now(void)
{
    return fake_now;
}
