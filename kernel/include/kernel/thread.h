/*
 * Threads: every PD has one, every vCPU is one. All of them are created at boot from the system
 * image and live in static arrays; nothing is allocated later.
 *
 * State machine (seL4-like). A state changes only through thread_set_state (thread.c), which
 * refuses every transition not listed here:
 *   INACTIVE      vCPU not started yet, or a stopped PD/vCPU       -> READY (start, resume)
 *   READY         runnable (the running thread is READY and is `current`, not in a queue)
 *                 -> BLOCKED_RECV, BLOCKED_CALL, BLOCKED_FAULT, IDLE_WFI
 *   BLOCKED_RECV  PD waiting in RECV for a notification, PPC or fault  -> READY
 *   BLOCKED_CALL  PD waiting for the reply to its PPC                  -> READY
 *   BLOCKED_FAULT thread waiting for its parent to reply to a fault    -> READY
 *   IDLE_WFI      vCPU halted in WFI until an interrupt is injected or its timer is due -> READY
 * and every state -> INACTIVE (stop, a fault nobody handles). A restart is a stop then a start.
 *
 * Scheduler invariant (checked in debug builds whenever schedule() dispatches): a READY thread
 * is `current`, in a run queue, or throttled waiting for its budget; a queued thread is READY.
 */
#pragma once

#include <kernel/arch.h>
#include <kernel/types.h>
#include <tessera/sysimage.h>

enum thread_state {
    THREAD_INACTIVE = 0,
    THREAD_READY,
    THREAD_BLOCKED_RECV,
    THREAD_BLOCKED_CALL,
    THREAD_BLOCKED_FAULT,
    THREAD_IDLE_WFI,
};

/* Budget and period, in counter ticks. Periodic replenishment: a thread that uses its budget
 * waits for the start of its next period. budget == period is plain round-robin timeslicing. */
struct sched_context {
    uint64_t budget;
    uint64_t period;
    uint64_t remaining;
    uint64_t period_start;
    uint64_t release_at; /* when throttled: the time its budget comes back */
    bool throttled;
};

/* A message in flight: what a PPC caller or a faulting thread hands to the receiver. */
struct message {
    uint64_t info;  /* label << 12 | count */
    uint64_t mr[5]; /* MR0..MR4 (faults use up to 5; PPC MR4+ are copied between IPC buffers) */
};

struct vcpu;

struct thread {
    struct frame frame; /* must stay first: the arch's entry code saves into it */
    struct arch_thread arch;
    enum thread_state state;
    uint8_t priority;
    bool is_vcpu;
    uint8_t pd;             /* owning PD index (the PD itself, or the vCPU's VMM) */
    uint64_t address_space; /* arch_address_space() of its translation table */
    struct vcpu *vcpu;      /* for vCPU threads */
    struct sched_context sc;
    struct thread *donor; /* while serving a PPC: whose budget this thread runs on */
    uint64_t dispatched_at;
    /* run queue links */
    struct thread *next;
    struct thread *prev;
    bool queued;
    /* endpoint queue (callers/faulters waiting for a PD's RECV) */
    struct thread *ep_next;
    struct message msg;
    bool msg_is_fault;
    uint8_t msg_badge_id; /* PPC: receiver's channel id; fault: child id in the parent */
    /* woken from RECV by a notification: the word is read when it is dispatched, so every
     * notification that arrives before it runs coalesces into that one delivery */
    bool notify_on_dispatch;
    /* the thread waiting for this thread's fault reply, if any */
    struct thread *fault_handler;
    /* name for diagnostics */
    const char *name;
};

struct pd {
    const struct sysimage_pd *config;
    struct thread thread;
    uint64_t notify_word;
    struct thread *ep_head;  /* callers and faulters, highest priority first, FIFO within one */
    struct thread *reply_to; /* the caller or faulter this PD is serving */
    paddr_t ipc_buffer_pa;
    uint64_t irq_ack_pending; /* IRQ ids masked since delivery, waiting for irq_ack */
};

extern struct pd pds[SYSIMAGE_MAX_PDS];
extern unsigned pd_count;

static inline struct pd *thread_pd(struct thread *t)
{
    return &pds[t->pd];
}

/* The state machine above: may a thread in state `from` become `to`? A switch on `to`, so that
 * a call with a constant target (nearly all of them) compiles to one comparison. */
static inline bool thread_transition_allowed(enum thread_state from, enum thread_state to)
{
    switch (to) {
    case THREAD_INACTIVE:
        return true;
    case THREAD_READY:
        return from != THREAD_READY;
    case THREAD_BLOCKED_RECV:
    case THREAD_BLOCKED_CALL:
    case THREAD_BLOCKED_FAULT:
    case THREAD_IDLE_WFI:
        return from == THREAD_READY;
    }
    return false;
}

_Noreturn void thread_bad_transition(const struct thread *t, enum thread_state to);
const char *thread_state_name(enum thread_state state);

/* Move `t` to `state`; a transition the state machine does not allow is a kernel bug (kpanic).
 * Run-queue membership is the scheduler's business (sched.h), not this function's. */
static inline void thread_set_state(struct thread *t, enum thread_state state)
{
    if (!thread_transition_allowed(t->state, state)) {
        thread_bad_transition(t, state);
    }
    t->state = state;
}
