/*
 * Scheduler: fixed priorities 0..254, the highest runnable thread runs, equal priorities
 * round-robin. A thread preempted by a higher priority goes back to the head of its queue; one
 * whose timeslice ends goes to the tail (seL4 MCS's rules).
 *
 * Budgets: each thread has `budget` ticks per `period`. budget == period is a plain timeslice
 * (refilled at once on expiry). budget < period throttles the thread when the budget is used up
 * until its next period starts (periodic replenishment; seL4's sporadic server differs only at
 * period edges). A thread serving a PPC runs on its caller's budget (`donor`).
 *
 * The current thread is never in a run queue. The kernel is not preemptible, so none of this
 * needs locking on one core; per-CPU state will move into struct cpu for SMP.
 */
#include <kernel/sched.h>
#include <kernel/ipc.h>
#include <kernel/printk.h>
#include <kernel/vcpu.h>

struct thread *current;

static struct thread *queue_head[256];
static struct thread *queue_tail[256];
static uint64_t ready_bitmap[4];
static uint32_t ready_summary; /* bit w set when ready_bitmap[w] != 0 */
static uint64_t armed_deadline;
static struct thread *preferred;
static bool current_yielded;

static struct thread *throttled[SYSIMAGE_MAX_PDS + SYSIMAGE_MAX_VCPUS];
static unsigned throttled_count;

static uint64_t counter_frequency;
static uint64_t ticks_per_ms;

void sched_init(void)
{
    /* Everything explicitly, so the state does not depend on how it was left (host tests run
     * many scenarios in one process). */
    current = NULL;
    for (unsigned p = 0; p < 256; p++) {
        queue_head[p] = queue_tail[p] = NULL;
    }
    for (unsigned w = 0; w < 4; w++) {
        ready_bitmap[w] = 0;
    }
    ready_summary = 0;
    armed_deadline = 0;
    preferred = NULL;
    current_yielded = false;
    throttled_count = 0;
    counter_frequency = arch_counter_frequency();
    ticks_per_ms = counter_frequency / 1000;
}

uint64_t sched_time_ns(void)
{
    /* In two parts, so that no product overflows: whole seconds, then the rest (below the
     * frequency, so times 10^9 fits in 64 bits for any counter slower than 18 GHz). */
    uint64_t ticks = arch_counter_now();
    return ticks / counter_frequency * 1000000000UL + ticks % counter_frequency * 1000000000UL / counter_frequency;
}

static uint64_t us_to_ticks(uint32_t us)
{
    return (uint64_t)us * ticks_per_ms / 1000;
}

void sched_init_thread(struct thread *t, uint8_t priority, uint32_t budget_us, uint32_t period_us)
{
    t->priority = priority;
    t->sc.budget = us_to_ticks(budget_us);
    t->sc.period = us_to_ticks(period_us);
    t->sc.remaining = t->sc.budget;
    t->sc.period_start = 0;
}

static inline __attribute__((always_inline)) void queue_insert(struct thread *t, bool at_head)
{
    unsigned p = t->priority;
    kassert(!t->queued);
    if (queue_head[p] == NULL) {
        t->next = t->prev = NULL;
        queue_head[p] = queue_tail[p] = t;
        ready_bitmap[p / 64] |= BIT(p % 64);
        ready_summary |= 1u << (p / 64);
    } else if (at_head) {
        t->prev = NULL;
        t->next = queue_head[p];
        queue_head[p]->prev = t;
        queue_head[p] = t;
    } else {
        t->next = NULL;
        t->prev = queue_tail[p];
        queue_tail[p]->next = t;
        queue_tail[p] = t;
    }
    t->queued = true;
}

static inline __attribute__((always_inline)) void queue_remove(struct thread *t)
{
    unsigned p = t->priority;
    kassert(t->queued);
    if (t->prev != NULL) {
        t->prev->next = t->next;
    } else {
        queue_head[p] = t->next;
    }
    if (t->next != NULL) {
        t->next->prev = t->prev;
    } else {
        queue_tail[p] = t->prev;
    }
    if (queue_head[p] == NULL) {
        ready_bitmap[p / 64] &= ~BIT(p % 64);
        if (ready_bitmap[p / 64] == 0) {
            ready_summary &= ~(1u << (p / 64));
        }
    }
    t->next = t->prev = NULL;
    t->queued = false;
}

static inline __attribute__((always_inline)) int highest_ready_priority(void)
{
    if (ready_summary == 0) {
        return -1;
    }
    int word = 31 - __builtin_clz(ready_summary);
    return word * 64 + 63 - __builtin_clzll(ready_bitmap[word]);
}

static struct thread *sc_owner(const struct thread *t)
{
    return t->donor != NULL ? t->donor : (struct thread *)t;
}

/* Periodic replenishment of a thread with budget < period. */
static void sc_refresh(struct sched_context *sc, uint64_t now)
{
    if (sc->budget >= sc->period || sc->throttled) {
        return;
    }
    if (now - sc->period_start >= sc->period) {
        uint64_t periods = (now - sc->period_start) / sc->period;
        sc->period_start += periods * sc->period;
        sc->remaining = sc->budget;
    }
}

static void throttle(struct thread *owner, uint64_t now)
{
    struct sched_context *sc = &owner->sc;
    sc->throttled = true;
    sc->release_at = sc->period_start + sc->period;
    if (sc->release_at <= now) {
        sc->release_at = now + 1;
    }
    kassert(throttled_count < ARRAY_SIZE(throttled));
    throttled[throttled_count++] = owner;
}

/* Charge the running thread for the time since it was dispatched. True if it must stop. */
static bool charge(struct thread *t, uint64_t now)
{
    struct thread *owner = sc_owner(t);
    struct sched_context *sc = &owner->sc;
    uint64_t used = now - t->dispatched_at;
    t->dispatched_at = now;
    sc->remaining = used >= sc->remaining ? 0 : sc->remaining - used;
    if (sc->remaining != 0) {
        return false;
    }
    if (sc->budget >= sc->period) {
        sc->remaining = sc->budget;
        current_yielded = true; /* timeslice over: tail of the queue */
        return false;
    }
    throttle(owner, now);
    return true;
}

static bool is_throttled(const struct thread *t)
{
    return sc_owner(t)->sc.throttled;
}

void sched_ready(struct thread *t)
{
    thread_set_state(t, THREAD_READY);
    if (t == current || t->queued || is_throttled(t)) {
        return;
    }
    queue_insert(t, false);
}

void sched_unready(struct thread *t)
{
    if (t->queued) {
        queue_remove(t);
    }
    if (preferred == t) {
        preferred = NULL;
    }
}

void sched_ready_direct(struct thread *t)
{
    thread_set_state(t, THREAD_READY);
    if (t == current || t->queued || is_throttled(t)) {
        return;
    }
    if (preferred != NULL && preferred != t && !preferred->queued && preferred->state == THREAD_READY) {
        queue_insert(preferred, false);
    }
    /* Not queued: schedule() either switches to it directly or queues it then. */
    preferred = t;
}

void sched_yield(void)
{
    current_yielded = true;
}

static void release_throttled(uint64_t now)
{
    unsigned i = 0;
    while (i < throttled_count) {
        struct thread *owner = throttled[i];
        if (owner->sc.release_at > now) {
            i++;
            continue;
        }
        owner->sc.throttled = false;
        owner->sc.period_start = owner->sc.release_at;
        owner->sc.remaining = owner->sc.budget;
        throttled[i] = throttled[--throttled_count];
        /* Every thread running on this budget may run again. */
        if (owner->state == THREAD_READY && owner != current && !owner->queued) {
            queue_insert(owner, false);
        }
        for (unsigned p = 0; p < pd_count; p++) {
            struct thread *t = &pds[p].thread;
            if (t->donor == owner && t->state == THREAD_READY && t != current && !t->queued) {
                queue_insert(t, false);
            }
        }
    }
}

void sched_timer_tick(void)
{
    /* The timer fired and is now off. Charging and releasing happen in schedule(), which every
     * kernel entry ends with; it must re-arm the timer whatever the deadline. */
    armed_deadline = 0;
}

static uint64_t next_deadline(struct thread *next, uint64_t now)
{
    uint64_t deadline = UINT64_MAX;
    if (next != NULL) {
        deadline = now + sc_owner(next)->sc.remaining;
    }
    for (unsigned i = 0; i < throttled_count; i++) {
        if (throttled[i]->sc.release_at < deadline) {
            deadline = throttled[i]->sc.release_at;
        }
    }
    uint64_t vcpu_deadline = idle_vcpus != 0 ? vcpu_next_deadline() : 0;
    if (vcpu_deadline != 0 && vcpu_deadline < deadline) {
        deadline = vcpu_deadline;
    }
    return deadline;
}

static void check_thread(const struct thread *t, const struct thread *running)
{
    if (t->queued && t->state != THREAD_READY) {
        kpanic("scheduler invariant: thread '%s' is in a run queue but %s", t->name, thread_state_name(t->state));
    }
    if (t == running && (t->state != THREAD_READY || t->queued)) {
        kpanic("scheduler invariant: running thread '%s' is %s%s", t->name, thread_state_name(t->state),
               t->queued ? " and queued" : "");
    }
    /* The lost-vCPU bug: READY, yet nothing would ever run it. */
    if (t->state == THREAD_READY && t != running && !t->queued && !is_throttled(t)) {
        kpanic("scheduler invariant: thread '%s' is READY but not running, queued or throttled", t->name);
    }
}

void sched_check_invariants(const struct thread *running)
{
    unsigned waiting = 0;
    for (unsigned i = 0; i < pd_count; i++) {
        check_thread(&pds[i].thread, running);
    }
    for (unsigned i = 0; i < vcpu_count; i++) {
        const struct vcpu *v = &vcpus[i];
        check_thread(&v->thread, running);
        waiting += v->thread.state == THREAD_IDLE_WFI && v->wfi_deadline != 0;
    }
    if (waiting != idle_vcpus) {
        kpanic("scheduler invariant: %u vCPUs wait in WFI with a deadline, idle_vcpus says %u", waiting, idle_vcpus);
    }
}

/*
 * Debug builds: where the invariant is checked, cheaply enough to leave IPC as fast as it was.
 * A thread is lost exactly when a dispatch leaves a READY `prev` behind without queueing it
 * (what the lost-vCPU bug did), so every dispatch checks its `prev`. Every thread is checked when
 * the CPU goes idle and when the timer has fired: a lost thread stays lost, so it is found at once
 * if nothing else runs, or within one timer period. Checking every thread at every dispatch
 * would slow IPC by a third.
 */
static inline __attribute__((always_inline)) void check_prev(const struct thread *prev, const struct thread *next)
{
    if (prev != NULL && prev != next && prev->state == THREAD_READY && !prev->queued && !is_throttled(prev)) {
        check_thread(prev, next);
    }
}

_Noreturn void schedule(void)
{
    uint64_t now = arch_counter_now();
    struct thread *prev = current;
    bool stopped = prev != NULL && charge(prev, now);
    /* Wake what is due before deciding whether prev can go on: the vCPU that just trapped on WFI
     * may be one of them (its deadline passed while the kernel handled the trap), and a woken
     * `current` is not queued (sched_ready), so only prev_runnable brings it back. */
    if (idle_vcpus != 0) {
        vcpu_wake_due(now);
    }
    bool prev_runnable = prev != NULL && prev->state == THREAD_READY && !stopped;
    /* Fast path: the running thread stays (nothing above it, nothing handed over, slice not over).
     * Its budget end is unchanged, so the armed timer stays as it is, if it is still armed (it is
     * not when it just fired, for a wake-up or a release). */
    if (prev_runnable && preferred == NULL && !current_yielded && throttled_count == 0 && armed_deadline != 0 &&
        (int)prev->priority > highest_ready_priority()) {
        arch_kernel_exit(&prev->frame);
    }
    if (throttled_count != 0) {
        release_throttled(now);
    }

    struct thread *next = NULL;
    int top = highest_ready_priority();
    int best = top;
    if (prev_runnable && (int)prev->priority > best) {
        best = prev->priority;
    }
    /* A thread handed a message or reply (sched_ready_direct) runs next if nothing outranks it,
     * without a trip through the run queue. */
    struct thread *direct = preferred;
    if (direct != NULL && (direct->state != THREAD_READY || direct->queued || is_throttled(direct))) {
        direct = NULL;
    }
    if (direct != NULL && (int)direct->priority < best) {
        queue_insert(direct, false);
        direct = NULL;
    }
    if (direct != NULL) {
        next = direct;
        if (prev_runnable) {
            queue_insert(prev, !current_yielded);
        }
    } else if (prev_runnable && (int)prev->priority > top) {
        next = prev;
    } else if (prev_runnable && (int)prev->priority == top && !current_yielded) {
        next = prev;
    } else {
        if (prev_runnable) {
            /* Preempted by a higher priority: head; timeslice over or yielded: tail. */
            queue_insert(prev, (int)prev->priority < top && !current_yielded);
        }
        top = highest_ready_priority();
        if (top >= 0) {
            next = queue_head[top];
            queue_remove(next);
        }
    }
    preferred = NULL;
    current_yielded = false;

    if (next != NULL) {
        sc_refresh(&sc_owner(next)->sc, now);
        next->dispatched_at = now;
        if (next->notify_on_dispatch) {
            ipc_deliver_on_dispatch(next);
        }
    }
    uint64_t deadline = next_deadline(next, now);
    if (deadline != armed_deadline) {
        /* Most kernel entries do not move the deadline (a notification to a blocked PD keeps the
         * current thread's budget end); skip the timer writes then. The timer fired when nothing
         * is armed: a time to check every thread. */
        if (CONFIG_DEBUG && armed_deadline == 0) {
            sched_check_invariants(next);
        }
        arch_timer_set_deadline(deadline);
        armed_deadline = deadline;
    }
    current = next;
    if (CONFIG_DEBUG) {
        check_prev(prev, next);
    }
    if (next == NULL) {
        if (CONFIG_DEBUG) {
            sched_check_invariants(NULL);
        }
        arch_idle();
    }
    arch_switch_thread(next);
    arch_kernel_exit(&next->frame);
}
