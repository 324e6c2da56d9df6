/*
 * AArch64 (EL2, non-VHE): the types the portable core embeds in its threads and vCPUs, the
 * interrupt ids it dispatches on, and the primitives it calls on every kernel entry, inline so
 * that a system call costs no more for going through the interface. Included only by
 * <kernel/arch.h>; the host tests' fake arch has its own machine.h with the same names.
 */
#pragma once

#include <kernel/types.h>
#include <tessera/abi.h>

/* Registers a thread had when it entered the kernel; restored by arch_kernel_exit. The layout is
 * fixed by vectors.S. */
struct frame {
    word_t x[31];
    word_t sp_el0;
    word_t elr;
    word_t spsr;
};
#define FRAME_SIZE 272

_Static_assert(sizeof(struct frame) == FRAME_SIZE, "frame layout is shared with vectors.S");

struct fpu_state {
    __uint128_t q[32];
    uint64_t fpsr;
    uint64_t fpcr;
} __attribute__((aligned(16)));

/* What a thread owns in the CPU besides its frame: EL0 thread registers and FP/SIMD, both
 * switched lazily by switch.c. */
struct arch_thread {
    uint64_t tpidr_el0;
    uint64_t tpidrro_el0;
    struct fpu_state fpu;
};

/* The virtual CPU interface. List register values are kept in one format (GICv3's 64-bit
 * layout) and converted for GICv2. */
struct vgic_state {
    uint64_t lr[4];
    uint32_t hcr;
    uint32_t vmcr;
    uint32_t apr[2];
};

#define VCPU_EXTRA_CSSELR 0
#define VCPU_EXTRA_MDSCR  1
#define VCPU_EXTRA_COUNT  2

/* A guest CPU's EL1 and virtual-GIC state while it is not in the hardware (vcpu.c). */
struct arch_vcpu {
    uint64_t regs[VCPU_REG_COUNT];
    uint64_t extra[VCPU_EXTRA_COUNT];
    struct vgic_state vgic;
    bool vppi_masked; /* the virtual timer fired and the VMM has not acked it yet */
};

/* GIC interrupt ids the kernel keeps for itself (private peripheral interrupts). */
#define INTID_MAINTENANCE 25
#define INTID_HYP_TIMER   26
#define INTID_VTIMER      27
#define INTID_SPURIOUS    1023

#define ARCH_IRQ_TIMER            INTID_HYP_TIMER
#define ARCH_IRQ_VCPU_MAINTENANCE INTID_MAINTENANCE
#define ARCH_IRQ_VCPU_TIMER       INTID_VTIMER
#define ARCH_IRQ_NONE             INTID_SPURIOUS

/* What SYS_SMC answers a PD not allowed to make SMCs: SMCCC's NOT_SUPPORTED. */
#define ARCH_SMC_NOT_SUPPORTED ((uint64_t)-1)

/* The system-call ABI (include/tessera/abi.h): number in x7, arguments and results in x0..x6. */
#define ARCH_SYSCALL_ARGS 7

static inline uint64_t arch_frame_arg(const struct frame *f, unsigned index)
{
    return f->x[index];
}

static inline void arch_frame_set_arg(struct frame *f, unsigned index, uint64_t value)
{
    f->x[index] = value;
}

static inline uint64_t arch_frame_syscall_number(const struct frame *f)
{
    return f->x[7];
}

static inline uint64_t arch_frame_pc(const struct frame *f)
{
    return f->elr;
}

static inline void arch_frame_set_pc(struct frame *f, uint64_t pc)
{
    f->elr = pc;
}

/* The physical count (CNTPCT_EL0): EL2 reads it without any vCPU's CNTVOFF. The ISB keeps the
 * read from being taken early, before the kernel entry that asked for it. */
static inline uint64_t arch_counter_now(void)
{
    uint64_t value;
    __asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(value)::"memory");
    return value;
}
