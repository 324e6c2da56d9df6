/* Fixed-priority preemptive scheduling with budgets (see sched.c for the rules). */
#pragma once

#include <kernel/thread.h>

extern struct thread *current;

void sched_init(void);
void sched_init_thread(struct thread *t, uint8_t priority, uint32_t budget_us, uint32_t period_us);
/* t became runnable. */
void sched_ready(struct thread *t);
/* t (not current) stops being runnable. */
void sched_unready(struct thread *t);
/* t became runnable by a synchronous transfer (PPC, fault, reply) or a wakeup that outranks the
 * sender: switch to it directly if it is among the highest priority. */
void sched_ready_direct(struct thread *t);
/* Current thread gives up the rest of its slice (WFE). */
void sched_yield(void);
/* Timer interrupt: charge, throttle, release. */
void sched_timer_tick(void);
/* End of every kernel entry: pick the next thread and run it. */
_Noreturn void schedule(void);
/* Nanoseconds of the physical counter (monotonic, whatever vCPU offsets are in force). */
uint64_t sched_time_ns(void);
/* Debug builds: kpanic unless every thread satisfies the invariant of thread.h, with `running`
 * as the current thread (NULL: idle). schedule() checks it at every dispatch. */
void sched_check_invariants(const struct thread *running);
