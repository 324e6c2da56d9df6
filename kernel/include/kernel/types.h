/* Basic kernel types and helpers. The kernel is freestanding: no libc. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;
typedef uint64_t word_t;

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PAGE_SIZE     4096UL
#define BIT(n)        (1UL << (n))

static inline bool is_aligned(uint64_t value, uint64_t alignment)
{
    return (value & (alignment - 1)) == 0;
}

/* a + b without wrapping; false if it would wrap. */
static inline bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
    return __builtin_add_overflow(a, b, sum);
}

void *memset(void *dst, int value, size_t count);
void *memcpy(void *dst, const void *src, size_t count);
size_t strnlen(const char *s, size_t max);
