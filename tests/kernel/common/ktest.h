/* Helpers for the kernel's QEMU test PDs: result lines the pytest side reads, and the end. */
#pragma once

#include <microkit.h>
#include <tessera/printf.h>

#define KTEST_CHECK(cond, name)                                                            \
    do {                                                                                   \
        if (cond) {                                                                        \
            tessera_printf("TEST|PASS %s\n", name);                                        \
        } else {                                                                           \
            tessera_printf("TEST|FAIL %s: %s (%s:%d)\n", name, #cond, __FILE__, __LINE__); \
        }                                                                                  \
    } while (0)

static inline void ktest_done(void)
{
    tessera_printf("TEST|DONE\n");
    tessera_debug_poweroff();
}

static inline uint64_t ktest_counter(void)
{
    uint64_t value;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(value));
    return value;
}

static inline uint64_t ktest_counter_frequency(void)
{
    uint64_t value;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(value));
    return value;
}
