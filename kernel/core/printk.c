/* Kernel console: a small printf over the board's polled debug UART. */
#include <kernel/printk.h>
#include <kernel/arch.h>
#include <tessera/format.h>
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

void kvprintf(const char *fmt, __builtin_va_list args)
{
    tessera_vformat(kputc, fmt, args);
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
    arch_halt();
}
