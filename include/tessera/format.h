/* The one printf-style formatter, shared by the kernel's console and the PDs' debug output.
 * Formats: %d %u %x %p %s %c %%, with a width, '0' padding and the l/z length modifiers. */
#pragma once

void tessera_vformat(void (*put)(char c), const char *fmt, __builtin_va_list args);
