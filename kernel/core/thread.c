/*
 * The report of a forbidden thread state transition (the state machine is in thread.h, inline,
 * because every IPC goes through it). Every state change in the kernel comes through
 * thread_set_state, so a transition nobody planned for stops the kernel where it happens instead
 * of leaving a thread in a state no code path expects (a blocked thread in a run queue, a stopped
 * one woken by a reply).
 */
#include <kernel/printk.h>
#include <kernel/thread.h>

const char *thread_state_name(enum thread_state state)
{
    static const char *const names[] = {
        [THREAD_INACTIVE] = "INACTIVE",           [THREAD_READY] = "READY",
        [THREAD_BLOCKED_RECV] = "BLOCKED_RECV",   [THREAD_BLOCKED_CALL] = "BLOCKED_CALL",
        [THREAD_BLOCKED_FAULT] = "BLOCKED_FAULT", [THREAD_IDLE_WFI] = "IDLE_WFI",
    };
    return (unsigned)state < ARRAY_SIZE(names) ? names[state] : "?";
}

void thread_bad_transition(const struct thread *t, enum thread_state to)
{
    kpanic("thread '%s': %s -> %s is not a transition of the thread state machine", t->name,
           thread_state_name(t->state), thread_state_name(to));
}
