/*
 * Replays saved fuzz inputs through a harness without libFuzzer, for `make unit-test`: every file
 * of the directories in FUZZ_REPLAY_DIRS (colon-separated, set by the build; or the directories
 * given as arguments) is fed once to LLVMFuzzerTestOneInput, in name order. The output is TAP, as
 * scripts/run-tests.py counts it: one "ok" per input. An input that breaks an invariant aborts
 * the program, which leaves the plan incomplete, so run-tests.py counts a failure; the line
 * before it names the input.
 *
 * The harnesses' own output (a kernel's console, a tool's diagnostics on stdout) must not be
 * mistaken for TAP, so the report goes to a copy of stdout and stdout itself to /dev/null.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"

#ifndef FUZZ_REPLAY_DIRS
#define FUZZ_REPLAY_DIRS ""
#endif

#define MAX_INPUTS 4096

struct input {
    char path[1024];
};

static struct input inputs[MAX_INPUTS];
static unsigned input_count;

static int visible(const struct dirent *e)
{
    return e->d_name[0] != '.'; /* .gitkeep and the like are not inputs */
}

static void add_directory(const char *dir)
{
    struct dirent **entries;
    int n = scandir(dir, &entries, visible, alphasort);
    if (n < 0) {
        return; /* a harness with no regressions yet has no such directory: nothing to replay */
    }
    for (int i = 0; i < n; i++) {
        struct stat st;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && input_count < MAX_INPUTS) {
            snprintf(inputs[input_count++].path, sizeof(inputs[0].path), "%s", path);
        }
        free(entries[i]);
    }
    free(entries);
}

static void add_directories(const char *list)
{
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", list);
    for (char *dir = strtok(copy, ":"); dir != NULL; dir = strtok(NULL, ":")) {
        add_directory(dir);
    }
}

static unsigned char *read_file(const char *path, size_t *size)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (f == NULL || fstat(fileno(f), &st) != 0) {
        if (f != NULL) {
            fclose(f);
        }
        return NULL;
    }
    /* One byte more than the file, so that an empty input still has a buffer. */
    unsigned char *data = malloc((size_t)st.st_size + 1);
    *size = data != NULL ? fread(data, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    return data;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            add_directory(argv[i]);
        }
    } else {
        add_directories(FUZZ_REPLAY_DIRS);
    }
    FILE *tap = fdopen(dup(STDOUT_FILENO), "w");
    int devnull = open("/dev/null", O_WRONLY);
    if (tap == NULL || devnull < 0) {
        perror("replay");
        return 1;
    }
    fflush(stdout);
    dup2(devnull, STDOUT_FILENO);
    close(devnull);
    /* A harness with no saved input would print an empty plan, which counts as nothing run. */
    fprintf(tap, "1..%u\n", input_count);
    unsigned failed = 0;
    for (unsigned i = 0; i < input_count; i++) {
        size_t size = 0;
        unsigned char *data = read_file(inputs[i].path, &size);
        fprintf(tap, "# replaying %s\n", inputs[i].path);
        fflush(tap);
        if (data == NULL) {
            fprintf(tap, "not ok %u - %s (cannot read)\n", i + 1, inputs[i].path);
            failed++;
            continue;
        }
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        fprintf(tap, "ok %u - %s\n", i + 1, inputs[i].path);
        fflush(tap);
    }
    fclose(tap);
    return failed == 0 ? 0 : 1;
}
