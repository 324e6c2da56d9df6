/* The libc functions compilers emit calls to, and that portable components may use. */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dst, const void *src, size_t count)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    /* Word copies when both sides allow it: VMMs copy megabytes of guest images. */
    if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
        uint64_t *dw = (uint64_t *)d;
        const uint64_t *sw = (const uint64_t *)s;
        while (count >= 32) {
            dw[0] = sw[0];
            dw[1] = sw[1];
            dw[2] = sw[2];
            dw[3] = sw[3];
            dw += 4;
            sw += 4;
            count -= 32;
        }
        d = (uint8_t *)dw;
        s = (const uint8_t *)sw;
    }
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
    if (value == 0 && ((uintptr_t)d & 7) == 0) {
        uint64_t *dw = (uint64_t *)d;
        while (count >= 8) {
            *dw++ = 0;
            count -= 8;
        }
        d = (uint8_t *)dw;
    }
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
