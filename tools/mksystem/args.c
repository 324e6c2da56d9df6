/* Command-line parsing (args.h). Written by hand rather than with getopt_long: Microkit's
 * --search-path takes every value up to the next option, which getopt cannot express. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <board.h>
#include "args.h"

void args_usage(FILE *out)
{
    fprintf(out,
            "usage: mksystem SYSTEM_FILE [--kernel KERNEL_ELF | --board %s --config debug|release]\n"
            "                [--search-path DIR[:DIR...] [DIR...]] [-o IMAGE] [-r REPORT]\n"
            "  Microkit's options are accepted too: --override-kernel, --image-type elf, and\n"
            "  --viper-output/--capdl-json (ignored with a warning: Tessera has no capabilities).\n"
            "  Without --kernel the kernel is $MICROKIT_SDK (or this program's SDK)/board/BOARD/CONFIG/"
            "elf/kernel.elf.\n",
            BOARD_NAME);
}

static void append_search_path(struct options *o, const char *dir)
{
    size_t old = o->search_path != NULL ? strlen(o->search_path) : 0;
    char *joined = realloc(o->search_path, old + strlen(dir) + 2);
    if (joined == NULL) {
        fprintf(stderr, "mksystem: out of memory\n");
        exit(2);
    }
    if (old == 0) {
        strcpy(joined, dir);
    } else {
        joined[old] = ':';
        strcpy(joined + old + 1, dir);
    }
    o->search_path = joined;
}

/* "--name value" or "--name=value": the value, advancing *i past it; NULL if missing. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    const char *arg = argv[*i];
    size_t len = strlen(name);
    if (arg[len] == '=') {
        return arg + len + 1;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "mksystem: %s needs a value\n", name);
        return NULL;
    }
    return argv[++*i];
}

static bool is_option(const char *arg, const char *name)
{
    size_t len = strlen(name);
    return strncmp(arg, name, len) == 0 && (arg[len] == '\0' || (arg[len] == '=' && name[1] == '-'));
}

/* Outputs of Microkit's tool that describe seL4 objects: Tessera has none to describe. */
static void ignore_capability_output(const char *option)
{
    fprintf(stderr,
            "mksystem: warning: %s ignored: Tessera has no capabilities, so there is no capDL or Viper "
            "description to write (a PD's authority is in the report)\n",
            option);
}

/* One option at argv[*i]; false on a usage error (message printed). */
static bool parse_option(int argc, char **argv, int *i, struct options *o)
{
    const struct {
        const char *name;
        const char *alias;
        const char **field;
    } valued[] = {
        {"--kernel", "--override-kernel", &o->kernel},
        {"--output", "-o", &o->output},
        {"--report", "-r", &o->report},
        {"--board", NULL, &o->board},
        {"--config", NULL, &o->config},
    };
    const char *arg = argv[*i];
    for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
        const char *name = NULL;
        if (is_option(arg, valued[k].name)) {
            name = valued[k].name;
        } else if (valued[k].alias != NULL && is_option(arg, valued[k].alias)) {
            name = valued[k].alias;
        }
        if (name != NULL) {
            *valued[k].field = option_value(argc, argv, i, name);
            return *valued[k].field != NULL;
        }
    }
    if (is_option(arg, "--search-path")) {
        if (arg[strlen("--search-path")] == '=') {
            append_search_path(o, arg + strlen("--search-path="));
            return true;
        }
        /* Microkit's form: every value up to the next option. */
        int first = *i + 1;
        while (*i + 1 < argc && argv[*i + 1][0] != '-') {
            append_search_path(o, argv[++*i]);
        }
        if (*i + 1 == first) {
            fprintf(stderr, "mksystem: --search-path needs a value\n");
            return false;
        }
        return true;
    }
    if (is_option(arg, "--image-type")) {
        const char *value = option_value(argc, argv, i, "--image-type");
        if (value != NULL && strcmp(value, "elf") != 0) {
            fprintf(stderr,
                    "mksystem: --image-type %s: mksystem writes an ELF image only (load it with QEMU's "
                    "-kernel or a boot loader's ELF command)\n",
                    value);
            return false;
        }
        return value != NULL;
    }
    if (is_option(arg, "--viper-output") || is_option(arg, "--capdl-json")) {
        const char *name = is_option(arg, "--viper-output") ? "--viper-output" : "--capdl-json";
        ignore_capability_output(name);
        return option_value(argc, argv, i, name) != NULL;
    }
    fprintf(stderr, "mksystem: unknown option %s\n", arg);
    return false;
}

/* The directory above the one this program is in: an SDK's bin/ holds it. */
static bool own_sdk_dir(char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        return false;
    }
    exe[n] = '\0';
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(exe, '/');
        if (slash == NULL) {
            return false;
        }
        *slash = '\0';
    }
    return snprintf(out, size, "%s", exe[0] != '\0' ? exe : "/") < (int)size;
}

/* --board and --config, checked against what this build is, and the SDK kernel they name. */
static bool resolve_board(struct options *o)
{
    if (o->board != NULL && strcmp(o->board, BOARD_NAME) != 0) {
        fprintf(stderr, "mksystem: --board %s: this mksystem is built for board %s (make BOARD=%s builds one for it)\n",
                o->board, BOARD_NAME, o->board);
        return false;
    }
    if (o->config != NULL && strcmp(o->config, "debug") != 0 && strcmp(o->config, "release") != 0) {
        fprintf(stderr, "mksystem: --config %s: Tessera has the configurations debug and release only\n", o->config);
        return false;
    }
    if (o->kernel != NULL) {
        return true;
    }
    if (o->board == NULL || o->config == NULL) {
        fprintf(stderr, "mksystem: give --kernel KERNEL_ELF, or --board and --config to use an SDK's kernel\n");
        return false;
    }
    char sdk[PATH_MAX];
    const char *env = getenv("MICROKIT_SDK");
    if (env != NULL && env[0] != '\0') {
        snprintf(sdk, sizeof(sdk), "%s", env);
    } else if (!own_sdk_dir(sdk, sizeof(sdk))) {
        fprintf(stderr, "mksystem: cannot tell where this program's SDK is; set MICROKIT_SDK or give --kernel\n");
        return false;
    }
    size_t len = strlen(sdk) + strlen(o->board) + strlen(o->config) + 32;
    o->kernel_found = malloc(len);
    if (o->kernel_found == NULL) {
        fprintf(stderr, "mksystem: out of memory\n");
        exit(2);
    }
    snprintf(o->kernel_found, len, "%s/board/%s/%s/elf/kernel.elf", sdk, o->board, o->config);
    if (access(o->kernel_found, R_OK) != 0) {
        fprintf(stderr,
                "mksystem: no kernel at %s (an SDK holds the configuration it was built with: make CONFIG=%s)\n",
                o->kernel_found, o->config);
        return false;
    }
    o->kernel = o->kernel_found;
    return true;
}

enum args_result args_parse(int argc, char **argv, struct options *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            args_usage(stdout);
            return ARGS_HELP;
        }
        if (arg[0] == '-' && arg[1] != '\0') {
            if (!parse_option(argc, argv, &i, o)) {
                args_usage(stderr);
                return ARGS_USAGE;
            }
        } else if (o->system_path == NULL) {
            o->system_path = arg;
        } else {
            fprintf(stderr, "mksystem: a second system file '%s' (one is built at a time)\n", arg);
            args_usage(stderr);
            return ARGS_USAGE;
        }
    }
    if (o->system_path == NULL) {
        fprintf(stderr, "mksystem: no system file given\n");
        args_usage(stderr);
        return ARGS_USAGE;
    }
    if (!resolve_board(o)) {
        return ARGS_USAGE;
    }
    /* Microkit's defaults, when it is run as Microkit's tool (with --board). */
    if (o->output == NULL) {
        o->output = "loader.img";
    }
    if (o->report == NULL && o->board != NULL) {
        o->report = "report.txt";
    }
    /* The working directory is searched last, as Microkit's tool does (its example Makefiles
     * rely on it for files next to the .system file, like a prefill). */
    append_search_path(o, ".");
    return ARGS_OK;
}

void args_free(struct options *o)
{
    free(o->search_path);
    free(o->kernel_found);
    memset(o, 0, sizeof(*o));
}
