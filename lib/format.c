/* Freestanding: no libc, no allocation; output one character at a time through `put`. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <tessera/format.h>

static void put_string(void (*put)(char c), const char *s)
{
    while (*s != '\0') {
        put(*s++);
    }
}

static void put_unsigned(void (*put)(char c), uint64_t value, unsigned base, unsigned width, char pad)
{
    char digits[24];
    unsigned count = 0;
    do {
        unsigned digit = (unsigned)(value % base);
        digits[count++] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
        value /= base;
    } while (value != 0);
    while (count < width && count < sizeof(digits)) {
        digits[count++] = pad;
    }
    while (count > 0) {
        put(digits[--count]);
    }
}

void tessera_vformat(void (*put)(char c), const char *fmt, __builtin_va_list args)
{
    for (; *fmt != '\0'; fmt++) {
        if (*fmt != '%') {
            put(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        unsigned width = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (unsigned)(*fmt - '0');
            fmt++;
        }
        bool is_long = false;
        while (*fmt == 'l' || *fmt == 'z') {
            is_long = true;
            fmt++;
        }
        switch (*fmt) {
        case 'd': {
            int64_t value = is_long ? __builtin_va_arg(args, int64_t) : __builtin_va_arg(args, int);
            if (value < 0) {
                put('-');
                put_unsigned(put, (uint64_t)0 - (uint64_t)value, 10, width, pad);
            } else {
                put_unsigned(put, (uint64_t)value, 10, width, pad);
            }
            break;
        }
        case 'u':
            put_unsigned(put, is_long ? __builtin_va_arg(args, uint64_t) : __builtin_va_arg(args, unsigned), 10, width,
                         pad);
            break;
        case 'x':
            put_unsigned(put, is_long ? __builtin_va_arg(args, uint64_t) : __builtin_va_arg(args, unsigned), 16, width,
                         pad);
            break;
        case 'p':
            put_string(put, "0x");
            put_unsigned(put, (uint64_t) __builtin_va_arg(args, void *), 16, width, pad);
            break;
        case 's': {
            const char *s = __builtin_va_arg(args, const char *);
            put_string(put, s != NULL ? s : "(null)");
            break;
        }
        case 'c':
            put((char)__builtin_va_arg(args, int));
            break;
        case '%':
            put('%');
            break;
        case '\0':
            return;
        default:
            put('?');
            break;
        }
    }
}
