/* The few libc functions the compiler may emit calls to, for a freestanding kernel. */
#include <kernel/types.h>

void *memset(void *dst, int value, size_t count)
{
    uint8_t *d = dst;
    while (count-- > 0) {
        *d++ = (uint8_t)value;
    }
    return dst;
}

void *memcpy(void *dst, const void *src, size_t count)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (count-- > 0) {
        *d++ = *s++;
    }
    return dst;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}
