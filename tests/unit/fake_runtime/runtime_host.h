/* Forced into every file of the runtime's host test (-include): the IPC buffer is the test's
 * memory, not the page at TESSERA_PD_IPC_BUFFER. */
#pragma once

#include <tessera/abi.h>

extern struct tessera_ipc_buffer test_ipc_buffer;
#define TESSERA_RUNTIME_IPC_BUFFER (&test_ipc_buffer)
