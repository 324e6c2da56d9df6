/* System calls (include/tessera/abi.h). Authority is a table lookup in the PD's own entries of
 * the system image: a channel, IRQ or child id the PD was not given is an error, never a reach
 * into someone else's state. Every id arrives as a 64-bit register and is checked as one: a
 * narrowing first would let 2^32 + 1 pass for id 1. */
#include <kernel/arch.h>
#include <kernel/ipc.h>
#include <kernel/irq.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/vcpu.h>
#include <tessera/abi.h>

static struct tessera_ipc_buffer *own_ipc_buffer(struct pd *pd)
{
    return (struct tessera_ipc_buffer *)pd->ipc_buffer_pa;
}

static int notify(struct pd *pd, uint64_t id)
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

static int child_control(struct pd *pd, uint64_t id, uint64_t op, uint64_t pc)
{
    struct thread *t = child_thread(pd, id, false);
    if (t == NULL) {
        return TESSERA_INVALID_ARGUMENT;
    }
    switch (op) {
    case CHILD_RESTART:
        thread_stop(t);
        if (t->is_vcpu) {
            arch_vcpu_reset_interrupts(t->vcpu);
        }
        arch_frame_set_pc(&t->frame, pc);
        sched_ready(t);
        return TESSERA_OK;
    case CHILD_STOP:
        thread_stop(t);
        return TESSERA_OK;
    case CHILD_RESUME:
        if (t->state == THREAD_INACTIVE) {
            sched_ready(t);
        }
        return TESSERA_OK;
    default:
        return TESSERA_INVALID_ARGUMENT;
    }
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
    arch_user_context_read(t, own_ipc_buffer(pd)->mrs, (unsigned)count);
    return TESSERA_OK;
}

static int tcb_write(struct pd *pd, uint64_t id, uint64_t resume, uint64_t count)
{
    struct thread *t = child_thread(pd, id, false);
    if (t == NULL || count > TESSERA_USER_CONTEXT_WORDS) {
        return TESSERA_INVALID_ARGUMENT;
    }
    arch_user_context_write(t, own_ipc_buffer(pd)->mrs, (unsigned)count);
    if (resume && (t->state == THREAD_INACTIVE || t->state == THREAD_BLOCKED_FAULT)) {
        ipc_cancel(t);
        sched_ready(t);
    }
    return TESSERA_OK;
}

/* Everything but the IPC calls, kept out of line so the hot path stays small. */
static __attribute__((noinline)) void syscall_other(struct thread *t)
{
    struct pd *pd = thread_pd(t);
    struct frame *f = &t->frame;
    uint64_t number = arch_frame_syscall_number(f);
    uint64_t arg0 = arch_frame_arg(f, 0);
    uint64_t arg1 = arch_frame_arg(f, 1);
    uint64_t arg2 = arch_frame_arg(f, 2);
    switch (number) {
    case SYS_SIGNAL_RECV: {
        /* The id is everything above the op byte, so a stray high bit names no channel. */
        uint64_t op = arg0 & 0xff;
        uint64_t id = arg0 >> 8;
        if (op == DEFERRED_NOTIFY) {
            notify(pd, id);
        } else if (op == DEFERRED_IRQ_ACK) {
            irq_ack(t->pd, id);
        }
        ipc_recv(pd);
        return;
    }
    case SYS_IRQ_ACK:
        arch_frame_set_arg(f, 0, (uint64_t)irq_ack(t->pd, arg0));
        return;
    case SYS_CHILD_CTL:
        arch_frame_set_arg(f, 0, (uint64_t)child_control(pd, arg0, arg1, arg2));
        return;
    case SYS_TCB_READ:
        arch_frame_set_arg(f, 0, (uint64_t)tcb_read(pd, arg0, arg1));
        return;
    case SYS_TCB_WRITE:
        arch_frame_set_arg(f, 0, (uint64_t)tcb_write(pd, arg0, arg1, arg2));
        return;
    case SYS_VCPU_READ_REG: {
        struct vcpu *v = child_vcpu(pd, arg0);
        uint64_t value = 0;
        bool ok = v != NULL && arch_vcpu_read_reg(v, arg1, &value);
        arch_frame_set_arg(f, 0, ok ? TESSERA_OK : TESSERA_INVALID_ARGUMENT);
        arch_frame_set_arg(f, 1, value);
        return;
    }
    case SYS_VCPU_WRITE_REG: {
        struct vcpu *v = child_vcpu(pd, arg0);
        bool ok = v != NULL && arch_vcpu_write_reg(v, arg1, arg2);
        arch_frame_set_arg(f, 0, ok ? TESSERA_OK : TESSERA_INVALID_ARGUMENT);
        return;
    }
    case SYS_VCPU_INJECT: {
        struct vcpu *v = child_vcpu(pd, arg0);
        int error = v != NULL ? arch_vcpu_inject(v, arg1) : TESSERA_INVALID_ARGUMENT;
        if (error == TESSERA_OK) {
            vcpu_wake_from_wfi(v);
        }
        arch_frame_set_arg(f, 0, (uint64_t)error);
        return;
    }
    case SYS_VCPU_ACK_VPPI: {
        struct vcpu *v = child_vcpu(pd, arg0);
        bool ok = v != NULL && arch_vcpu_ack_vppi(v, arg1);
        arch_frame_set_arg(f, 0, ok ? TESSERA_OK : TESSERA_INVALID_ARGUMENT);
        return;
    }
    case SYS_SMC:
        if (!pd->config->smc) {
            arch_frame_set_arg(f, 0, ARCH_SMC_NOT_SUPPORTED);
            return;
        }
        arch_smc(f);
        return;
    case SYS_TIME_NOW:
        arch_frame_set_arg(f, 0, sched_time_ns());
        return;
    case SYS_DEBUG_PUTC:
        /* Release builds print nothing but fatal errors: PD debug output is dropped. */
        if (CONFIG_DEBUG) {
            kputc((char)arg0);
        }
        return;
    case SYS_DEBUG_WRITE: {
        uint64_t length = arg0;
        if (length > TESSERA_DEBUG_TEXT_MAX) {
            arch_frame_set_arg(f, 0, TESSERA_RANGE_ERROR);
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
        arch_frame_set_arg(f, 0, TESSERA_OK);
        return;
    }
    case SYS_DEBUG_POWEROFF:
        if (CONFIG_DEBUG) {
            kprintf("K| system off requested by PD '%s'\n", t->name);
            arch_poweroff();
        }
        arch_frame_set_arg(f, 0, TESSERA_ILLEGAL_OPERATION);
        return;
    default: {
        uint64_t mrs[5];
        arch_user_exception_message(t, number, mrs);
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
    switch (arch_frame_syscall_number(f)) {
    case SYS_RECV:
        ipc_recv(pd);
        return;
    case SYS_NOTIFY:
        arch_frame_set_arg(f, 0, (uint64_t)notify(pd, arch_frame_arg(f, 0)));
        return;
    case SYS_REPLY_RECV: {
        uint64_t mrs[4] = {arch_frame_arg(f, 2), arch_frame_arg(f, 3), arch_frame_arg(f, 4), arch_frame_arg(f, 5)};
        ipc_reply_recv(pd, arch_frame_arg(f, 1), mrs);
        return;
    }
    case SYS_PPCALL: {
        int error = ipc_ppcall(pd, arch_frame_arg(f, 0));
        if (error != TESSERA_OK) {
            arch_frame_set_arg(f, 0, (uint64_t)error);
            arch_frame_set_arg(f, 1, 0);
        }
        return;
    }
    default:
        syscall_other(t);
        return;
    }
}
