/* Kernel console output. Debug builds print progress lines prefixed "K|"; release builds print
 * only fatal errors (kpanic). */
#pragma once

#include <kernel/types.h>

void kputc(char c);
void kputs(const char *s);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, __builtin_va_list args);
_Noreturn void kpanic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Debug builds only; the arguments stay type-checked in release builds. */
#define kdebug(...)               \
    do {                          \
        if (CONFIG_DEBUG) {       \
            kprintf(__VA_ARGS__); \
        }                         \
    } while (0)

/* An invariant the code relies on; a violation is a kernel bug, reported with its location. */
#define kassert(cond)                                                           \
    do {                                                                        \
        if (!(cond)) {                                                          \
            kpanic("assertion failed: %s at %s:%d", #cond, __FILE__, __LINE__); \
        }                                                                       \
    } while (0)
