/* A fake arch layer so the kernel's portable core (scheduler, IPC) runs on the host, in the
 * style of Hafnium's `fake` arch: time is a variable, "entering a thread" records which thread
 * and jumps back to the test. */
#pragma once

#include <setjmp.h>
#include <kernel/thread.h>

extern uint64_t fake_now;
extern uint64_t fake_deadline;
extern struct thread *fake_entered; /* thread the last schedule() ended in; NULL = idle */
extern jmp_buf fake_return;

/* Run schedule() and return the thread it chose (NULL for idle). */
struct thread *fake_schedule(void);
