/* Debug output through the kernel (debug builds), and a small printf for PDs. */
#include <stddef.h>
#include <microkit.h>
#include <tessera/format.h>
#include <tessera/printf.h>

void tessera_debug_putc(int c)
{
    tessera_syscall1(SYS_DEBUG_PUTC, (uint64_t)(unsigned char)c);
}

void microkit_dbg_putc(int c)
{
    tessera_debug_putc(c);
}

/* Output is collected in the IPC buffer's debug_text and written a line at a time (or a full
 * buffer), so that two PDs printing at once give whole lines, not a mix of their characters. */
static unsigned text_length;

static void flush_text(void)
{
    if (text_length != 0) {
        tessera_syscall1(SYS_DEBUG_WRITE, text_length);
        text_length = 0;
    }
}

static void put_char(char c)
{
    microkit_ipc_buffer()->debug_text[text_length++] = c;
    if (c == '\n' || text_length == TESSERA_DEBUG_TEXT_MAX) {
        flush_text();
    }
}

void microkit_dbg_puts(const char *s)
{
    while (*s != '\0') {
        put_char(*s++);
    }
    flush_text();
}

/* Decimal, no padding (Microkit's format): at most 10 digits for 32 bits. */
static void put_decimal(uint32_t value)
{
    char digits[11];
    unsigned at = sizeof(digits) - 1;
    digits[at] = '\0';
    do {
        digits[--at] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    microkit_dbg_puts(&digits[at]);
}

void microkit_dbg_put8(seL4_Uint8 x)
{
    put_decimal(x);
}

void microkit_dbg_put32(seL4_Uint32 x)
{
    put_decimal(x);
}

void tessera_vprintf(const char *fmt, __builtin_va_list args)
{
    tessera_vformat(put_char, fmt, args);
    flush_text();
}

void tessera_printf(const char *fmt, ...)
{
    __builtin_va_list args;
    __builtin_va_start(args, fmt);
    tessera_vprintf(fmt, args);
    __builtin_va_end(args);
}
