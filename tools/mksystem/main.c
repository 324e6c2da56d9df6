/*
 * mksystem: validate a .system file and pack the kernel, the system image and every PD program
 * into one bootable image, plus a layout report. Nothing is written unless everything is valid.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "args.h"
#include "diag.h"
#include "output.h"
#include "xml.h"

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
    struct options options;
    enum args_result parsed = args_parse(argc, argv, &options);
    if (parsed != ARGS_OK) {
        args_free(&options);
        return parsed == ARGS_HELP ? 0 : 2;
    }
    diag_set_file(options.system_path);

    struct elf_file kernel;
    char why[512];
    if (!elf_load(options.kernel, &kernel, why, sizeof(why))) {
        diag_error_plain("kernel: %s", why);
        args_free(&options);
        return 1;
    }
    struct xml_node *root = xml_parse_file(options.system_path);
    if (root == NULL) {
        elf_free(&kernel);
        args_free(&options);
        return 1;
    }
    struct system sys;
    struct layout layout = {0};
    bool ok = model_build(root, options.search_path, &sys);
    ok = ok && layout_build(&sys, &layout);
    if (!ok || diag_error_count() != 0) {
        fprintf(stderr, "mksystem: %u error(s); nothing written\n", diag_error_count());
        ok = false;
    } else if (!write_output(options.output, true, &kernel, &sys, &layout)) {
        ok = false;
    } else if (options.report != NULL && !write_output(options.report, false, &kernel, &sys, &layout)) {
        unlink(options.output);
        ok = false;
    }
    free(layout.image);
    free(layout.pds);
    model_free(&sys);
    xml_free(root);
    elf_free(&kernel);
    args_free(&options);
    return ok ? 0 : 1;
}
