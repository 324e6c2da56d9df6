/*
 * Fuzz harness of the kernel's system calls (kernel/core/syscall.c, with ipc, irq, sched and the
 * vCPU waits), on the host over the fake arch (tests/unit/fake_arch.c). The system booted is the
 * base image of fuzz_kernel.h, sometimes patched (when the patched image still passes the check).
 * Then the input is what happens: the running thread makes any system call with any arguments
 * (its own ids, other PDs' ids, ids past the tables, 64-bit values that alias an owned id if
 * narrowed to 32 bits, anything), interrupts arrive (its devices', the timer's, the vCPUs'), time
 * passes, a vCPU waits for an interrupt, a thread faults.
 *
 * Invariants:
 * - authority: a call naming a channel, IRQ, child or vCPU the calling PD was not given is
 *   refused (TESSERA_INVALID_ARGUMENT) and changes nothing of any other thread (states, queues,
 *   notification words), no interrupt's mask, no SMC; a call it was given succeeds;
 * - a PD's notification word only ever holds bits of its own channels and IRQs;
 * - the kernel never panics (its debug build checks the scheduler invariant at every dispatch,
 *   and thread states move only along the state machine; the harness checks the invariant after
 *   every step too), and nothing outside the IPC buffers is written (guards around each);
 * - every step returns (the harness counts them; a kernel loop that does not end is a timeout).
 */
#include <stdlib.h>
#include <string.h>
#include <kernel/ipc.h>
#include <kernel/irq.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/vcpu.h>
#include "fake_arch.h"
#include "fuzz.h"
#include "fuzz_kernel.h"

#define GUARD_WORDS 32
#define GUARD_WORD  0x5afe5afe5afe5afeULL

struct guarded_buffer {
    uint64_t before[GUARD_WORDS];
    struct tessera_ipc_buffer buffer;
    uint64_t after[GUARD_WORDS];
};

static struct guarded_buffer buffers[SYSIMAGE_MAX_PDS];
static struct sysimage image;

/* What a refused call must leave alone. */
struct snapshot {
    enum thread_state pd_state[SYSIMAGE_MAX_PDS];
    bool pd_queued[SYSIMAGE_MAX_PDS];
    uint64_t notify[SYSIMAGE_MAX_PDS];
    enum thread_state vcpu_state[SYSIMAGE_MAX_VCPUS];
    bool irq_masked[BOARD_GIC_MAX_INTID + 1];
    unsigned smc_calls;
};

static void take(struct snapshot *s)
{
    for (unsigned i = 0; i < pd_count; i++) {
        s->pd_state[i] = pds[i].thread.state;
        s->pd_queued[i] = pds[i].thread.queued;
        s->notify[i] = pds[i].notify_word;
    }
    for (unsigned i = 0; i < vcpu_count; i++) {
        s->vcpu_state[i] = vcpus[i].thread.state;
    }
    for (unsigned i = 0; i <= BOARD_GIC_MAX_INTID; i++) {
        s->irq_masked[i] = fake_irq_masked[i];
    }
    s->smc_calls = fake_smc_calls;
}

/* Nothing changed but the caller's own thread. */
static void unchanged(const struct snapshot *s, const struct thread *caller, const char *what, uint64_t id)
{
    for (unsigned i = 0; i < pd_count; i++) {
        if (&pds[i].thread == caller) {
            continue;
        }
        FUZZ_CHECK(s->pd_state[i] == pds[i].thread.state && s->pd_queued[i] == pds[i].thread.queued &&
                       s->notify[i] == pds[i].notify_word,
                   "a refused %s (id %#llx) changed PD %u", what, (unsigned long long)id, i);
    }
    for (unsigned i = 0; i < vcpu_count; i++) {
        FUZZ_CHECK(s->vcpu_state[i] == vcpus[i].thread.state, "a refused %s (id %#llx) changed vCPU %u", what,
                   (unsigned long long)id, i);
    }
    for (unsigned i = 0; i <= BOARD_GIC_MAX_INTID; i++) {
        FUZZ_CHECK(s->irq_masked[i] == fake_irq_masked[i], "a refused %s (id %#llx) (un)masked INTID %u", what,
                   (unsigned long long)id, i);
    }
    FUZZ_CHECK(s->smc_calls == fake_smc_calls, "a refused %s made an SMC", what);
}

static const struct sysimage_id *own_id(const struct pd *pd, uint64_t id)
{
    return id < SYSIMAGE_IDS ? &pd->config->ids[id] : NULL;
}

static const struct sysimage_child *own_child(const struct pd *pd, uint64_t id)
{
    return id < SYSIMAGE_CHILD_IDS ? &pd->config->children[id] : NULL;
}

static bool owns_channel(const struct pd *pd, uint64_t id, uint8_t flag)
{
    const struct sysimage_id *slot = own_id(pd, id);
    return slot != NULL && slot->kind == SYSIMAGE_ID_CHANNEL && (slot->flags & flag) != 0;
}

static bool owns_irq(const struct pd *pd, uint64_t id)
{
    const struct sysimage_id *slot = own_id(pd, id);
    return slot != NULL && slot->kind == SYSIMAGE_ID_IRQ;
}

static bool owns_child(const struct pd *pd, uint64_t id, bool vcpu_only)
{
    const struct sysimage_child *c = own_child(pd, id);
    return c != NULL && (c->kind == SYSIMAGE_CHILD_VCPU || (!vcpu_only && c->kind == SYSIMAGE_CHILD_PD));
}

/* An id as a PD might pass it: one it owns, one another PD owns, one past the table, an owned one
 * with a high bit set (which a 32-bit narrowing would alias), or anything. */
static uint64_t pick_id(struct fuzz_input *in)
{
    uint8_t c = fuzz_u8(in);
    uint64_t small = fuzz_below(in, 70);
    switch (c % 6) {
    case 0:
    case 1:
    case 2:
        return small;
    case 3:
        return (1ULL << (32 + fuzz_below(in, 32))) | small;
    case 4:
        return (uint64_t)fuzz_u32(in) << 32 | small;
    default:
        return fuzz_u64(in);
    }
}

static void check_system(void)
{
    for (unsigned i = 0; i < pd_count; i++) {
        uint64_t allowed = 0;
        for (unsigned id = 0; id < SYSIMAGE_IDS; id++) {
            uint8_t kind = pds[i].config->ids[id].kind;
            if (kind == SYSIMAGE_ID_CHANNEL || kind == SYSIMAGE_ID_IRQ) {
                allowed |= 1ULL << id;
            }
        }
        FUZZ_CHECK((pds[i].notify_word & ~allowed) == 0, "PD %u's notification word %#llx has bits it owns no id for",
                   i, (unsigned long long)pds[i].notify_word);
        for (unsigned w = 0; w < GUARD_WORDS; w++) {
            FUZZ_CHECK(buffers[i].before[w] == GUARD_WORD && buffers[i].after[w] == GUARD_WORD,
                       "a write next to PD %u's IPC buffer", i);
        }
    }
    sched_check_invariants(current);
}

/* A call may end the system (SYS_DEBUG_POWEROFF): the fake's poweroff comes back here. False
 * then. */
static bool dispatch(struct thread *t)
{
    if (setjmp(fake_return) != 0) {
        return false;
    }
    syscall_dispatch(t);
    return true;
}

/* The running thread makes a system call. */
static void system_call(struct thread *t, struct fuzz_input *in)
{
    struct pd *pd = &pds[t->pd];
    uint8_t pick = fuzz_u8(in);
    uint64_t number = pick < 0xf0 ? pick % (SYS_COUNT + 1) : fuzz_u64(in);
    uint64_t args[ARCH_SYSCALL_ARGS];
    for (unsigned i = 0; i < ARCH_SYSCALL_ARGS; i++) {
        args[i] = i < 3 && (number != SYS_SIGNAL_RECV || i != 0) ? pick_id(in) : fuzz_u64(in);
    }
    if (number == SYS_SIGNAL_RECV) {
        args[0] = (uint64_t)fuzz_below(in, 4) | pick_id(in) << 8;
    }
    if (number == SYS_DEBUG_WRITE && fuzz_bool(in)) {
        args[0] = fuzz_below(in, TESSERA_DEBUG_TEXT_MAX + 2);
    }
    for (unsigned i = 0; i < ARCH_SYSCALL_ARGS; i++) {
        arch_frame_set_arg(&t->frame, i, args[i]);
    }
    t->frame.arg[ARCH_SYSCALL_ARGS] = number;
    struct snapshot before;
    take(&before);
    FUZZ_TRACE("PD %u: call %llu (%#llx, %#llx, %#llx)", t->pd, (unsigned long long)number, (unsigned long long)args[0],
               (unsigned long long)args[1], (unsigned long long)args[2]);
    if (!dispatch(t)) {
        return;
    }
    uint64_t x0 = arch_frame_arg(&t->frame, 0);
    uint64_t id = args[0];
    switch (number) {
    case SYS_NOTIFY:
        if (owns_channel(pd, id, SYSIMAGE_CH_NOTIFY)) {
            FUZZ_CHECK(x0 == TESSERA_OK, "notify on an owned channel refused");
        } else {
            FUZZ_CHECK(x0 == TESSERA_INVALID_ARGUMENT, "notify on id %#llx, not owned, gave %llu",
                       (unsigned long long)id, (unsigned long long)x0);
            unchanged(&before, t, "notify", id);
        }
        break;
    case SYS_IRQ_ACK:
        if (owns_irq(pd, id)) {
            FUZZ_CHECK(x0 == TESSERA_OK, "ack of an owned IRQ refused");
        } else {
            FUZZ_CHECK(x0 == TESSERA_INVALID_ARGUMENT, "ack of id %#llx, not an owned IRQ, gave %llu",
                       (unsigned long long)id, (unsigned long long)x0);
            unchanged(&before, t, "IRQ ack", id);
        }
        break;
    case SYS_SIGNAL_RECV: {
        uint64_t op = id & 0xff, target = id >> 8;
        bool acts = (op == DEFERRED_NOTIFY && owns_channel(pd, target, SYSIMAGE_CH_NOTIFY)) ||
                    (op == DEFERRED_IRQ_ACK && owns_irq(pd, target));
        if (!acts) {
            /* Only the caller's own wait may follow. */
            unchanged(&before, t, "deferred action", target);
        }
        break;
    }
    case SYS_PPCALL:
        if (!owns_channel(pd, id, SYSIMAGE_CH_PPC)) {
            FUZZ_CHECK(x0 == TESSERA_INVALID_ARGUMENT, "ppcall on id %#llx, not owned, gave %llu",
                       (unsigned long long)id, (unsigned long long)x0);
            unchanged(&before, t, "ppcall", id);
        } else {
            FUZZ_CHECK(t->state == THREAD_BLOCKED_CALL, "an owned ppcall did not wait for its reply");
        }
        break;
    case SYS_CHILD_CTL:
    case SYS_TCB_READ:
    case SYS_TCB_WRITE:
        if (!owns_child(pd, id, false)) {
            FUZZ_CHECK(x0 == TESSERA_INVALID_ARGUMENT, "call %llu on child %#llx, not owned, gave %llu",
                       (unsigned long long)number, (unsigned long long)id, (unsigned long long)x0);
            unchanged(&before, t, "child call", id);
        }
        break;
    case SYS_VCPU_READ_REG:
    case SYS_VCPU_WRITE_REG:
    case SYS_VCPU_INJECT:
    case SYS_VCPU_ACK_VPPI:
        if (!owns_child(pd, id, true)) {
            FUZZ_CHECK(x0 == TESSERA_INVALID_ARGUMENT, "call %llu on vCPU %#llx, not owned, gave %llu",
                       (unsigned long long)number, (unsigned long long)id, (unsigned long long)x0);
            unchanged(&before, t, "vCPU call", id);
        }
        break;
    case SYS_SMC:
        if (!pd->config->smc) {
            FUZZ_CHECK(x0 == ARCH_SMC_NOT_SUPPORTED, "an SMC of a PD without smc gave %llu", (unsigned long long)x0);
            unchanged(&before, t, "SMC", 0);
        }
        break;
    case SYS_DEBUG_WRITE:
        FUZZ_CHECK(x0 == (id <= TESSERA_DEBUG_TEXT_MAX ? TESSERA_OK : TESSERA_RANGE_ERROR),
                   "debug write of %llu gave %llu", (unsigned long long)id, (unsigned long long)x0);
        break;
    default:
        break;
    }
}

/* The running thread traps other than by a call: a vCPU waits for an interrupt or exits to its
 * VMM; a PD faults (to its parent, or it is stopped). */
static void trap(struct thread *t, struct fuzz_input *in)
{
    uint64_t mrs[5] = {fuzz_u64(in), fuzz_u64(in), 0, fuzz_u32(in), 0};
    if (t->is_vcpu) {
        if (fuzz_bool(in)) {
            uint64_t deadline = fuzz_bool(in) ? 0 : fake_now + fuzz_below(in, 5000) + 1;
            vcpu_wait_for_interrupt(t->vcpu, deadline);
        } else {
            ipc_fault(t, fuzz_bool(in) ? FAULT_VCPU : FAULT_VM, mrs, fuzz_below(in, 5) + 1);
        }
    } else if (thread_pd(t)->config->parent == SYSIMAGE_NONE) {
        thread_stop(t);
    } else {
        ipc_fault(t, fuzz_bool(in) ? FAULT_VM : FAULT_USER_EXCEPTION, mrs, fuzz_bool(in) ? 4 : 5);
    }
}

static void interrupt(uint32_t intid)
{
    fake_irq_pending = intid;
    irq_handle();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet && !fuzz_tracing()) {
        FUZZ_CHECK(freopen("/dev/null", "w", stdout) != NULL, "stdout"); /* the kernel's console */
        quiet = true;
    }
    struct fuzz_input in = fuzz_input(data, size);
    fk_base_image(&image);
    /* Sometimes another system: the base one patched, if the check still takes it. */
    unsigned patches = fuzz_below(&in, 4) == 0 ? fuzz_below(&in, 8) : 0;
    for (unsigned n = 0; n < patches; n++) {
        fk_patch(&image, &in);
    }
    char error[128];
    if (!sysimage_check(&image, &fuzz_board, error, sizeof(error))) {
        fk_base_image(&image);
    }
    fake_arch_reset();
    fake_now = 1000;
    if (FAKE_PANICS(fake_boot(&image))) {
        return 0; /* the boot refused it (the system-image harness judges boots) */
    }
    for (unsigned i = 0; i < pd_count; i++) {
        for (unsigned w = 0; w < GUARD_WORDS; w++) {
            buffers[i].before[w] = buffers[i].after[w] = GUARD_WORD;
        }
        memset(&buffers[i].buffer, 0, sizeof(buffers[i].buffer));
        /* The kernel reaches IPC buffers at their physical address; here, the host's. */
        pds[i].ipc_buffer_pa = (paddr_t)&buffers[i].buffer;
    }
    check_system();
    for (unsigned step = 0; step < 300 && fuzz_more(&in) && fake_poweroffs == 0; step++) {
        struct thread *t = current;
        uint8_t op = fuzz_u8(&in);
        if (t != NULL && t->is_vcpu) {
            fake_vcpu_loaded = t->vcpu;
        }
        if (op < 0x80 && t != NULL && !t->is_vcpu) {
            system_call(t, &in);
        } else if (op < 0xa0 && t != NULL) {
            trap(t, &in);
        } else if (op < 0xd0) {
            static const uint32_t intids[] = {
                40, 41, BOARD_UART_INTID, 50, ARCH_IRQ_VCPU_MAINTENANCE, ARCH_IRQ_VCPU_TIMER};
            interrupt(op & 1 ? intids[fuzz_below(&in, 6)] : fuzz_u32(&in) % (BOARD_GIC_MAX_INTID + 8));
        } else {
            fake_now += fuzz_below(&in, 4) == 0 ? fuzz_u32(&in) : fuzz_below(&in, 2000);
            interrupt(ARCH_IRQ_TIMER);
        }
        if (fake_poweroffs != 0) {
            break;
        }
        fake_schedule();
        check_system();
    }
    return 0;
}
