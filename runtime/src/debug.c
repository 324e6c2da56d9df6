/* Debug output through the kernel (debug builds), and a small printf for PDs. */
#include <stddef.h>
#include <microkit.h>
#include <tessera/printf.h>

void microkit_dbg_putc(int c)
{
    tessera_syscall1(SYS_DEBUG_PUTC, (uint64_t)c);
}

void microkit_dbg_puts(const char *s)
{
    while (*s != '\0') {
        microkit_dbg_putc(*s++);
    }
}

static void put_unsigned(uint64_t value, unsigned base, unsigned width, char pad)
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
        microkit_dbg_putc(digits[--count]);
    }
}

void tessera_vprintf(const char *fmt, __builtin_va_list args)
{
    for (; *fmt != '\0'; fmt++) {
        if (*fmt != '%') {
            microkit_dbg_putc(*fmt);
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
                microkit_dbg_putc('-');
                put_unsigned((uint64_t)0 - (uint64_t)value, 10, width, pad);
            } else {
                put_unsigned((uint64_t)value, 10, width, pad);
            }
            break;
        }
        case 'u':
            put_unsigned(is_long ? __builtin_va_arg(args, uint64_t) : __builtin_va_arg(args, unsigned), 10, width, pad);
            break;
        case 'x':
            put_unsigned(is_long ? __builtin_va_arg(args, uint64_t) : __builtin_va_arg(args, unsigned), 16, width, pad);
            break;
        case 'p':
            microkit_dbg_puts("0x");
            put_unsigned((uint64_t) __builtin_va_arg(args, void *), 16, width, pad);
            break;
        case 's': {
            const char *s = __builtin_va_arg(args, const char *);
            microkit_dbg_puts(s != NULL ? s : "(null)");
            break;
        }
        case 'c':
            microkit_dbg_putc(__builtin_va_arg(args, int));
            break;
        case '%':
            microkit_dbg_putc('%');
            break;
        default:
            microkit_dbg_putc('?');
            break;
        }
    }
}

void tessera_printf(const char *fmt, ...)
{
    __builtin_va_list args;
    __builtin_va_start(args, fmt);
    tessera_vprintf(fmt, args);
    __builtin_va_end(args);
}

void microkit_internal_crash(uint64_t error, const char *what)
{
    tessera_printf("%s: error: %s (%lu)\n", microkit_name, what, error);
}
