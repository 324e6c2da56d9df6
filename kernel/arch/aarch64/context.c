/*
 * A thread's registers as the portable core and VMMs see them: the initial state of a native PD,
 * seL4_UserContext order for TCB_READ/TCB_WRITE, and the user-exception fault message.
 */
#include <kernel/arch.h>
#include <kernel/thread.h>
#include "registers.h"

void arch_thread_init_native(struct thread *t, uint64_t entry, uint64_t stack_top)
{
    t->frame.elr = entry;
    t->frame.sp_el0 = stack_top;
    t->frame.spsr = SPSR_EL0T;
}

/* seL4_UserContext order -> offset of the register in struct thread (a table, so reading or
 * writing all 36 words is a copy loop, not 36 decisions). */
#define FRAME_X(n) (offsetof(struct thread, frame.x) + (n) * sizeof(uint64_t))
static const uint16_t context_offsets[TESSERA_USER_CONTEXT_WORDS] = {
    offsetof(struct thread, frame.elr),
    offsetof(struct thread, frame.sp_el0),
    offsetof(struct thread, frame.spsr),
    FRAME_X(0),
    FRAME_X(1),
    FRAME_X(2),
    FRAME_X(3),
    FRAME_X(4),
    FRAME_X(5),
    FRAME_X(6),
    FRAME_X(7),
    FRAME_X(8),
    FRAME_X(16),
    FRAME_X(17),
    FRAME_X(18),
    FRAME_X(29),
    FRAME_X(30),
    FRAME_X(9),
    FRAME_X(10),
    FRAME_X(11),
    FRAME_X(12),
    FRAME_X(13),
    FRAME_X(14),
    FRAME_X(15),
    FRAME_X(19),
    FRAME_X(20),
    FRAME_X(21),
    FRAME_X(22),
    FRAME_X(23),
    FRAME_X(24),
    FRAME_X(25),
    FRAME_X(26),
    FRAME_X(27),
    FRAME_X(28),
    offsetof(struct thread, arch.tpidr_el0),
    offsetof(struct thread, arch.tpidrro_el0),
};

/* Never let a lower EL be entered in AArch32 or at EL2: keep NZCV and DAIF, force the mode (EL0t
 * for a PD; EL0t, EL1t or EL1h for a vCPU). */
static uint64_t sanitise_spsr(const struct thread *t, uint64_t spsr)
{
    uint64_t keep = spsr & (SPSR_NZCV | SPSR_DAIF);
    uint64_t mode = spsr & SPSR_MODE_MASK;
    if (!t->is_vcpu) {
        return keep | SPSR_EL0T;
    }
    if (mode != SPSR_EL0T && mode != SPSR_EL1T && mode != SPSR_EL1H) {
        mode = SPSR_EL1H;
    }
    return keep | mode;
}

void arch_user_context_read(const struct thread *t, uint64_t *words, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        words[i] = *(const uint64_t *)((const char *)t + context_offsets[i]);
    }
}

void arch_user_context_write(struct thread *t, const uint64_t *words, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        uint64_t value = words[i];
        *(uint64_t *)((char *)t + context_offsets[i]) = i == UCTX_SPSR ? sanitise_spsr(t, value) : value;
    }
}

void arch_user_exception_message(const struct thread *t, uint64_t code, uint64_t mrs[5])
{
    mrs[0] = t->frame.elr;
    mrs[1] = t->frame.sp_el0;
    mrs[2] = t->frame.spsr;
    mrs[3] = read_sysreg(esr_el2);
    mrs[4] = code;
}
