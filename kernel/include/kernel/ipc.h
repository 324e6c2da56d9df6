/* Notifications, protected procedure calls and fault messages between threads and PDs. */
#pragma once

#include <kernel/thread.h>

void ipc_notify(struct pd *target, unsigned bit);
/* The current PD waits for its next event (or takes one that is already pending). */
void ipc_recv(struct pd *pd);
/* Reply to the PPC caller or faulting child being served, then RECV. */
void ipc_reply_recv(struct pd *pd, uint64_t info, const uint64_t mrs[4]);
/* The current thread of `caller` calls the PD at the other end of channel `id`. */
int ipc_ppcall(struct pd *caller, uint64_t id);
/* A thread faults: its parent (or VMM) receives the message; without one the kernel reports it
 * and stops the thread. */
void ipc_fault(struct thread *t, uint64_t label, const uint64_t *mrs, unsigned count);
/* Take a thread off whatever it waits on (stop/restart). */
void ipc_cancel(struct thread *t);
/* Stop a thread wherever it is (INACTIVE): off every queue, its waits cancelled. */
void thread_stop(struct thread *t);
/* A PD woken from RECV by notifications is about to run: hand it the word. */
void ipc_deliver_on_dispatch(struct thread *t);
