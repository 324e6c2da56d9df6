/* mksystem's command line: its own options and Microkit's (`microkit SYSTEM --board B --config C
 * -o IMAGE -r REPORT --search-path DIR...`), so Microkit's Makefiles can run it unchanged. */
#pragma once

#include <stdbool.h>

struct options {
    const char *system_path;
    const char *kernel; /* --kernel or --override-kernel; else found from --board/--config */
    char *search_path;  /* every --search-path value, colon-joined (malloc'd) */
    const char *output;
    const char *report; /* NULL: no report */
    const char *board;
    const char *config;
    char *kernel_found; /* the SDK's kernel when --kernel was not given (malloc'd) */
};

enum args_result {
    ARGS_OK,
    ARGS_HELP,  /* usage printed on stdout: exit 0 */
    ARGS_USAGE, /* message and usage on stderr: exit 2 */
};

enum args_result args_parse(int argc, char **argv, struct options *options);
void args_usage(FILE *out);
void args_free(struct options *options);
