#include <stdarg.h>
#include <stdio.h>
#include "diag.h"

static const char *file = "?";
static unsigned errors;

void diag_set_file(const char *path)
{
    file = path;
}

void diag_error(int line, const char *fmt, ...)
{
    va_list args;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
    errors++;
}

void diag_error_plain(const char *fmt, ...)
{
    va_list args;
    fprintf(stderr, "mksystem: ");
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
    errors++;
}

void diag_warning(int line, const char *fmt, ...)
{
    va_list args;
    fprintf(stderr, "%s:%d: warning: ", file, line);
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
}

void diag_warning_plain(const char *fmt, ...)
{
    va_list args;
    fprintf(stderr, "mksystem: warning: ");
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
}

unsigned diag_error_count(void)
{
    return errors;
}
