/* System calls (include/tessera/abi.h). Authority is a table lookup in the PD's own entries of
 * the system image: a channel, IRQ or child id the PD was not given is an error, never a reach
 * into someone else's state. */
#include <kernel/ipc.h>
#include <kernel/irq.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include <tessera/abi.h>
#include "../arch/aarch64/registers.h"

void arch_smc(uint64_t regs[7]);

static struct tessera_ipc_buffer *own_ipc_buffer(struct pd *pd)
{
    return (struct tessera_ipc_buffer *)pd->ipc_buffer_pa;
}

static int notify(struct pd *pd, unsigned id)
{
    if (id >= SYSIMAGE_IDS) {
        return TESSERA_INVALID_ARGUMENT;
    }
    const struct sysimage_id *slot = &pd->config->ids[id];
    if (slot->kind != SYSIMAGE_ID_CHANNEL || !(slot->flags & SYSIMAGE_CH_NOTIFY)) {
        return TESSERA_INVALID_ARGUMENT;
    }
    ipc_notify(&pds[slot->peer_pd], slot->peer_id);
    return TESSERA_OK;
}

/* The child thread behind a child id of this PD, or NULL. */
static struct thread *child_thread(struct pd *pd, uint64_t id, bool want_vcpu)
{
    if (id >= SYSIMAGE_CHILD_IDS) {
        return NULL;
    }
    const struct sysimage_child *child = &pd->config->children[id];
    if (child->kind == SYSIMAGE_CHILD_PD && !want_vcpu) {
        return &pds[child->index].thread;
    }
    if (child->kind == SYSIMAGE_CHILD_VCPU) {
        return &vcpus[child->index].thread;
    }
    return NULL;
}

static struct vcpu *child_vcpu(struct pd *pd, uint64_t id)
{
    struct thread *t = child_thread(pd, id, true);
    return t != NULL ? t->vcpu : NULL;
}

static void make_runnable(struct thread *t)
{
    sched_ready(t);
}

static int child_control(struct pd *pd, uint64_t id, uint64_t op, uint64_t pc)
{
    struct thread *t = child_thread(pd, id, false);
    if (t == NULL) {
        return TESSERA_INVALID_ARGUMENT;
    }
    switch (op) {
    case CHILD_RESTART:
        ipc_cancel(t);
        if (t->is_vcpu) {
            vcpu_reset_interrupts(t->vcpu);
        }
        t->frame.elr = pc;
        make_runnable(t);
        return TESSERA_OK;
    case CHILD_STOP:
        ipc_cancel(t);
        t->state = THREAD_INACTIVE;
        return TESSERA_OK;
    case CHILD_RESUME:
        if (t->state == THREAD_INACTIVE) {
            make_runnable(t);
        }
        return TESSERA_OK;
    default:
        return TESSERA_INVALID_ARGUMENT;
    }
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
    offsetof(struct thread, tpidr_el0),
    offsetof(struct thread, tpidrro_el0),
};

static uint64_t *context_slot(struct thread *t, unsigned index)
{
    return (uint64_t *)((char *)t + context_offsets[index]);
}

/* Never let a lower EL be entered in AArch32 or at EL2: keep NZCV and DAIF, force the mode. */
static uint64_t sanitise_spsr(struct thread *t, uint64_t spsr)
{
    uint64_t keep = spsr & (0xfUL << 28 | SPSR_DAIF);
    uint64_t mode = spsr & 0xf;
    if (!t->is_vcpu) {
        return keep | SPSR_EL0T;
    }
    if (mode != 0x0 && mode != 0x4 && mode != 0x5) {
        mode = SPSR_EL1H;
    }
    return keep | mode;
}

static int tcb_read(struct pd *pd, uint64_t id, uint64_t count)
{
    struct thread *t = child_thread(pd, id, false);
    if (t == NULL || count > TESSERA_USER_CONTEXT_WORDS) {
        return TESSERA_INVALID_ARGUMENT;
    }
    if (t == current) {
        return TESSERA_ILLEGAL_OPERATION;
    }
    struct tessera_ipc_buffer *buffer = own_ipc_buffer(pd);
    for (unsigned i = 0; i < count; i++) {
        buffer->mrs[i] = *context_slot(t, i);
    }
    return TESSERA_OK;
}

static int tcb_write(struct pd *pd, uint64_t id, uint64_t resume, uint64_t count)
{
    struct thread *t = child_thread(pd, id, false);
    if (t == NULL || count > TESSERA_USER_CONTEXT_WORDS) {
        return TESSERA_INVALID_ARGUMENT;
    }
    struct tessera_ipc_buffer *buffer = own_ipc_buffer(pd);
    for (unsigned i = 0; i < count; i++) {
        uint64_t value = buffer->mrs[i];
        *context_slot(t, i) = i == UCTX_SPSR ? sanitise_spsr(t, value) : value;
    }
    if (resume && (t->state == THREAD_INACTIVE || t->state == THREAD_BLOCKED_FAULT)) {
        ipc_cancel(t);
        make_runnable(t);
    }
    return TESSERA_OK;
}

/* Everything but the IPC calls, kept out of line so the hot path stays small. */
static __attribute__((noinline)) void syscall_other(struct thread *t)
{
    struct pd *pd = thread_pd(t);
    struct frame *f = &t->frame;
    uint64_t number = f->x[7];
    switch (number) {
    case SYS_SIGNAL_RECV: {
        uint64_t op = f->x[0] & 0xff;
        unsigned id = (unsigned)((f->x[0] >> 8) & 0xff);
        if (op == DEFERRED_NOTIFY) {
            notify(pd, id);
        } else if (op == DEFERRED_IRQ_ACK) {
            irq_ack(t->pd, id);
        }
        ipc_recv(pd);
        return;
    }
    case SYS_IRQ_ACK:
        f->x[0] = irq_ack(t->pd, (unsigned)f->x[0]) == 0 ? TESSERA_OK : TESSERA_INVALID_ARGUMENT;
        return;
    case SYS_CHILD_CTL:
        f->x[0] = (uint64_t)child_control(pd, f->x[0], f->x[1], f->x[2]);
        return;
    case SYS_TCB_READ:
        f->x[0] = (uint64_t)tcb_read(pd, f->x[0], f->x[1]);
        return;
    case SYS_TCB_WRITE:
        f->x[0] = (uint64_t)tcb_write(pd, f->x[0], f->x[1], f->x[2]);
        return;
    case SYS_VCPU_READ_REG: {
        struct vcpu *v = child_vcpu(pd, f->x[0]);
        uint64_t value = 0;
        f->x[0] = (v != NULL && vcpu_read_reg(v, (unsigned)f->x[1], &value)) ? TESSERA_OK : TESSERA_INVALID_ARGUMENT;
        f->x[1] = value;
        return;
    }
    case SYS_VCPU_WRITE_REG: {
        struct vcpu *v = child_vcpu(pd, f->x[0]);
        f->x[0] = (v != NULL && vcpu_write_reg(v, (unsigned)f->x[1], f->x[2])) ? TESSERA_OK : TESSERA_INVALID_ARGUMENT;
        return;
    }
    case SYS_VCPU_INJECT: {
        struct vcpu *v = child_vcpu(pd, f->x[0]);
        f->x[0] = v != NULL ? (uint64_t)vcpu_inject(v, f->x[1]) : TESSERA_INVALID_ARGUMENT;
        return;
    }
    case SYS_VCPU_ACK_VPPI: {
        struct vcpu *v = child_vcpu(pd, f->x[0]);
        if (v == NULL || f->x[1] != 27) {
            f->x[0] = TESSERA_INVALID_ARGUMENT;
            return;
        }
        vcpu_ack_vppi(v);
        f->x[0] = TESSERA_OK;
        return;
    }
    case SYS_SMC:
        if (!pd->config->smc) {
            f->x[0] = (uint64_t)-1; /* SMCCC NOT_SUPPORTED */
            return;
        }
        arch_smc(f->x);
        return;
    case SYS_DEBUG_PUTC:
        /* Release builds print nothing but fatal errors: PD debug output is dropped. */
        if (CONFIG_DEBUG) {
            kputc((char)f->x[0]);
        }
        return;
    case SYS_DEBUG_WRITE: {
        uint64_t length = f->x[0];
        if (length > TESSERA_DEBUG_TEXT_MAX) {
            f->x[0] = TESSERA_RANGE_ERROR;
            return;
        }
        if (CONFIG_DEBUG) {
            /* The PD may change its buffer meanwhile on another core some day; a byte read once
             * and printed is all that can go wrong, and only in its own text. */
            const volatile char *text = own_ipc_buffer(pd)->debug_text;
            for (uint64_t i = 0; i < length; i++) {
                kputc(text[i]);
            }
        }
        f->x[0] = TESSERA_OK;
        return;
    }
    case SYS_DEBUG_POWEROFF:
        if (CONFIG_DEBUG) {
            kprintf("K| system off requested by PD '%s'\n", t->name);
            arch_poweroff();
        }
        f->x[0] = TESSERA_ILLEGAL_OPERATION;
        return;
    default: {
        uint64_t mrs[5] = {f->elr, f->sp_el0, f->spsr, read_sysreg(esr_el2), number};
        kdebug("K| PD '%s' made unknown system call %lu\n", t->name, number);
        ipc_fault(t, FAULT_USER_EXCEPTION, mrs, 5);
        return;
    }
    }
}

void syscall_dispatch(struct thread *t)
{
    struct pd *pd = thread_pd(t);
    struct frame *f = &t->frame;
    switch (f->x[7]) {
    case SYS_RECV:
        ipc_recv(pd);
        return;
    case SYS_NOTIFY:
        f->x[0] = (uint64_t)notify(pd, (unsigned)f->x[0]);
        return;
    case SYS_REPLY_RECV: {
        uint64_t mrs[4] = {f->x[2], f->x[3], f->x[4], f->x[5]};
        ipc_reply_recv(pd, f->x[1], mrs);
        return;
    }
    case SYS_PPCALL: {
        int error = ipc_ppcall(pd, (unsigned)f->x[0]);
        if (error != TESSERA_OK) {
            f->x[0] = (uint64_t)error;
            f->x[1] = 0;
        }
        return;
    }
    default:
        syscall_other(t);
        return;
    }
}
