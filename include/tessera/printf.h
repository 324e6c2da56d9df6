/* printf for PDs, over the kernel's debug output. Formats: %d %u %x %p %s %c %%, with width,
 * '0' padding and the l/z length modifiers. */
#pragma once

void tessera_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tessera_vprintf(const char *fmt, __builtin_va_list args);
