/* Diagnostics: every error names the file and line it is about, in a plain sentence. */
#pragma once

#include <stdbool.h>

void diag_set_file(const char *path);
void diag_error(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_error_plain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "file:line: warning: ..." for what is accepted but given differently than asked; not counted. */
void diag_warning(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag_warning_plain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned diag_error_count(void);
