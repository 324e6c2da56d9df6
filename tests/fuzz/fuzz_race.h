/*
 * A peer that acts between any two loads of shared memory, for fuzz harnesses of code that reads
 * memory a peer writes concurrently (serial and block rings, virtqueues). The harness build
 * includes this header (-include) into the code under test, so that every __atomic_load_n there
 * runs fuzz_race_after_load right after the load: the harness's hook may then act as a peer on
 * another core would between this load and the next, and it counts the loads, so that a loop over
 * peer data that does not end is caught as a broken bound instead of a hang.
 *
 * The macro's own name inside its body is the compiler's builtin (a macro is not expanded inside
 * itself), so it works for loads of any width.
 */
#pragma once

#include <stdbool.h>

void fuzz_race_after_load(const volatile void *address, unsigned size);

#define __atomic_load_n(pointer, order)                                                       \
    __extension__({                                                                           \
        __typeof__(*(pointer)) fuzz_race_value_ = __atomic_load_n((pointer), (order));        \
        fuzz_race_after_load((const volatile void *)(pointer), (unsigned)sizeof(*(pointer))); \
        fuzz_race_value_;                                                                     \
    })

/* The harness's side (fuzz_race.c). */
typedef void (*fuzz_race_hook)(const volatile void *address, unsigned size, void *context);
/* From now on run `hook` (may be NULL) after every load, and abort with `what` once more than
 * `max_loads` loads (0: no limit) happened since this call. Loads made by the hook itself (a
 * peer's own operation) neither run the hook again nor count. */
void fuzz_race_arm(fuzz_race_hook hook, void *context, unsigned long max_loads, const char *what);
void fuzz_race_disarm(void);
unsigned long fuzz_race_loads(void);
