/* System calls (include/tessera/abi.h), entered by the arch when a thread asks for one. */
#pragma once

#include <kernel/thread.h>

/* Carry out the system call `t` made; its results are in its frame when it next runs. */
void syscall_dispatch(struct thread *t);
