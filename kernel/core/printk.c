/* Kernel console: a small printf over the board's polled debug UART. */
#include <kernel/printk.h>
#include <kernel/arch.h>
#include "../drivers/uart.h"

void kputc(char c)
{
    if (c == '\n') {
        debug_uart_putc('\r');
    }
    debug_uart_putc(c);
}

void kputs(const char *s)
{
    while (*s != '\0') {
        kputc(*s++);
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
    while (count < width) {
        digits[count++] = pad;
    }
    while (count > 0) {
        kputc(digits[--count]);
    }
}

void kvprintf(const char *fmt, __builtin_va_list args)
{
    for (; *fmt != '\0'; fmt++) {
        if (*fmt != '%') {
            kputc(*fmt);
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
        while (*fmt == 'l') {
            is_long = true;
            fmt++;
        }
        switch (*fmt) {
        case 'd': {
            int64_t value = is_long ? __builtin_va_arg(args, int64_t) : __builtin_va_arg(args, int);
            if (value < 0) {
                kputc('-');
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
            kputs("0x");
            put_unsigned((uint64_t) __builtin_va_arg(args, void *), 16, width, pad);
            break;
        case 's': {
            const char *s = __builtin_va_arg(args, const char *);
            kputs(s != NULL ? s : "(null)");
            break;
        }
        case 'c':
            kputc((char)__builtin_va_arg(args, int));
            break;
        case '%':
            kputc('%');
            break;
        default:
            kputc('?');
            break;
        }
    }
}

void kprintf(const char *fmt, ...)
{
    __builtin_va_list args;
    __builtin_va_start(args, fmt);
    kvprintf(fmt, args);
    __builtin_va_end(args);
}

_Noreturn void kpanic(const char *fmt, ...)
{
    __builtin_va_list args;
    kputs("K| PANIC: ");
    __builtin_va_start(args, fmt);
    kvprintf(fmt, args);
    __builtin_va_end(args);
    kputs("\n");
    for (;;) {
        __asm__ volatile("msr daifset, #0xf; wfi");
    }
}
