/*
 * mksystem: validate a .system file and pack the kernel, the system image and every PD program
 * into one bootable image, plus a layout report. Nothing is written unless everything is valid.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diag.h"
#include "output.h"
#include "xml.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: mksystem SYSTEM_FILE --kernel KERNEL_ELF [--search-path DIR[:DIR...]] -o IMAGE "
                 "[--report REPORT]\n");
}

/* Write through a temporary file and rename, so a failure never leaves a partial output. */
static bool write_output(const char *path, bool is_image, const struct elf_file *kernel, const struct system *sys,
                         const struct layout *layout)
{
    size_t len = strlen(path) + 16;
    char *tmp = malloc(len);
    snprintf(tmp, len, "%s.tmp%d", path, (int)getpid());
    FILE *out = fopen(tmp, "wb");
    if (out == NULL) {
        diag_error_plain("cannot write %s", path);
        free(tmp);
        return false;
    }
    bool ok = true;
    if (is_image) {
        ok = output_image(out, kernel, sys, layout);
    } else {
        output_report(out, sys, layout);
    }
    ok = fclose(out) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        diag_error_plain("cannot write %s", path);
        unlink(tmp);
        free(tmp);
        return false;
    }
    free(tmp);
    return true;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"kernel", required_argument, NULL, 'k'}, {"search-path", required_argument, NULL, 's'},
        {"output", required_argument, NULL, 'o'}, {"report", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *kernel_path = NULL, *search_path = ".", *output = NULL, *report = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "k:s:o:r:h", options, NULL)) != -1) {
        switch (c) {
        case 'k':
            kernel_path = optarg;
            break;
        case 's':
            search_path = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'r':
            report = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1 || kernel_path == NULL || output == NULL) {
        usage(stderr);
        return 2;
    }
    const char *system_path = argv[optind];
    diag_set_file(system_path);

    struct elf_file kernel;
    char why[512];
    if (!elf_load(kernel_path, &kernel, why, sizeof(why))) {
        diag_error_plain("kernel: %s", why);
        return 1;
    }
    struct xml_node *root = xml_parse_file(system_path);
    if (root == NULL) {
        return 1;
    }
    struct system sys;
    struct layout layout = {0};
    bool ok = model_build(root, search_path, &sys);
    ok = ok && layout_build(&sys, &layout);
    if (!ok || diag_error_count() != 0) {
        fprintf(stderr, "mksystem: %u error(s); nothing written\n", diag_error_count());
    } else if (!write_output(output, true, &kernel, &sys, &layout)) {
        ok = false;
    } else if (report != NULL && !write_output(report, false, &kernel, &sys, &layout)) {
        unlink(output);
        ok = false;
    }
    free(layout.image);
    free(layout.pds);
    model_free(&sys);
    xml_free(root);
    elf_free(&kernel);
    return ok ? 0 : 1;
}
