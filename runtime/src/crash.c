/* Stopping a PD that cannot go on: a message, then a fault that never returns (internal.h). */
#include <microkit.h>
#include <tessera/printf.h>
#include "internal.h"

void microkit_internal_crash(seL4_Error err)
{
    tessera_stop_self((uint64_t)err);
}

void tessera_crash(const char *what, uint64_t error)
{
    tessera_printf("%s: error: %s (%lu)\n", microkit_name, what, error);
    tessera_stop_self(error);
}

void tessera_mr_index_fault(const char *call, long index)
{
    tessera_printf("%s: error: %s: message register %ld does not exist (Tessera has 0..%d)\n", microkit_name, call,
                   index, TESSERA_MSG_MAX_WORDS - 1);
    tessera_stop_self((uint64_t)index);
}

void tessera_invalid_channel(const char *call, microkit_channel ch)
{
    tessera_printf("%s: %s: invalid channel %u\n", microkit_name, call, ch);
}

/* What <assert.h> calls (a toolchain's, if a program includes it): weak, so a program with a
 * libc of its own keeps that one. */
__attribute__((weak)) void __assert_fail(const char *assertion, const char *file, unsigned int line,
                                         const char *function)
{
    tessera_printf("%s: assertion failed: %s (%s:%u, %s)\n", microkit_name, assertion, file, line, function);
    tessera_stop_self(0);
}
