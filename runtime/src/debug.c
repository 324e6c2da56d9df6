/* Debug output through the kernel (debug builds), and a small printf for PDs. */
#include <stddef.h>
#include <microkit.h>
#include <tessera/format.h>
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

static void put_char(char c)
{
    microkit_dbg_putc(c);
}

void tessera_vprintf(const char *fmt, __builtin_va_list args)
{
    tessera_vformat(put_char, fmt, args);
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
