/* The libc functions compilers emit calls to, and that portable components may use. */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t count)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (count-- > 0) {
        *d++ = *s++;
    }
    return dst;
}

void *memmove(void *dst, const void *src, size_t count)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d < s) {
        while (count-- > 0) {
            *d++ = *s++;
        }
    } else {
        while (count-- > 0) {
            d[count] = s[count];
        }
    }
    return dst;
}

void *memset(void *dst, int value, size_t count)
{
    uint8_t *d = dst;
    while (count-- > 0) {
        *d++ = (uint8_t)value;
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t count)
{
    const uint8_t *x = a;
    const uint8_t *y = b;
    for (size_t i = 0; i < count; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}
