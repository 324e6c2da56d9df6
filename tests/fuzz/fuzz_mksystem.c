/*
 * Fuzz harness of mksystem's path from a .system file and a program image to the system image
 * (tools/mksystem: the XML reader, the model, the ELF reader and patcher, the layout and the
 * output), run in-process. The input is the .system text, then a NUL byte, then the bytes of
 * the program image every <program_image path="pd.elf"/> names (none if there is no NUL).
 *
 * Invariants:
 * - whatever the input, the tool ends with an answer (no crash, no read or write out of bounds,
 *   no leak);
 * - a file the tool accepts gives a system image the kernel's own boot check accepts (the same
 *   sysimage_check and board facts as kernel/core/boot.c), so no accepted description can stop
 *   the boot; and the image and the report are written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <board.h>
#include <kernel/sysimage_check.h>
#include "../../tools/mksystem/diag.h"
#include "../../tools/mksystem/output.h"
#include "../../tools/mksystem/xml.h"
#include "fuzz.h"

static const uint64_t board_devices[][2] = BOARD_DEVICE_RANGES;

static const struct sysimage_board board = {
    .board_id = BOARD_ID,
    .ram_base = BOARD_RAM_BASE,
    .ram_size = BOARD_RAM_SIZE,
    .kernel_base = BOARD_KERNEL_BASE,
    .kernel_size = BOARD_KERNEL_SIZE,
    .sysimage_base = BOARD_SYSIMAGE_BASE,
    .sysimage_size = BOARD_SYSIMAGE_SIZE,
    .device_ranges = board_devices,
    .device_range_count = BOARD_DEVICE_RANGE_COUNT,
    .max_intid = BOARD_GIC_MAX_INTID,
};

static char dir[256];
static char system_path[300], elf_path[300];

/* The scratch directory goes with the process (libFuzzer's fork mode starts many). */
static void remove_scratch(void)
{
    unlink(system_path);
    unlink(elf_path);
    rmdir(dir);
}

static bool write_file(const char *path, const uint8_t *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return false;
    }
    bool ok = fwrite(bytes, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir[0] == '\0') {
        /* One scratch directory per process (in memory where there is /dev/shm). */
        snprintf(dir, sizeof(dir), "%s/tessera-fuzz-mksystem-XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        FUZZ_CHECK(mkdtemp(dir) != NULL, "cannot make a scratch directory");
        snprintf(system_path, sizeof(system_path), "%s/fuzz.system", dir);
        snprintf(elf_path, sizeof(elf_path), "%s/pd.elf", dir);
        atexit(remove_scratch);
    }
    const uint8_t *nul = memchr(data, 0, size);
    size_t text_size = nul != NULL ? (size_t)(nul - data) : size;
    FUZZ_CHECK(write_file(system_path, data, text_size), "cannot write %s", system_path);
    unlink(elf_path);
    if (nul != NULL) {
        FUZZ_CHECK(write_file(elf_path, nul + 1, size - text_size - 1), "cannot write %s", elf_path);
    }

    /* The tool's diagnostics are its answer, not the harness's: they go nowhere (unless tracing). */
    FILE *saved = stderr;
    FILE *quiet = fuzz_tracing() ? NULL : fopen("/dev/null", "w");
    if (quiet != NULL) {
        stderr = quiet;
    }
    unsigned errors_before = diag_error_count();
    diag_set_file(system_path);
    struct system sys;
    memset(&sys, 0, sizeof(sys));
    struct layout layout = {0};
    struct xml_node *root = xml_parse_file(system_path);
    bool ok = root != NULL && model_build(root, dir, &sys);
    ok = ok && layout_build(&sys, &layout);
    ok = ok && diag_error_count() == errors_before;
    bool written = false;
    char error[200] = "";
    bool bootable = true;
    if (ok) {
        bootable = sysimage_check(layout.image, &board, error, sizeof(error));
        /* What main() writes: the bootable image over a kernel inside its window, the report. */
        uint8_t kernel_bytes[64] = {0};
        struct elf_segment kernel_segment = {.vaddr = BOARD_KERNEL_BASE,
                                             .file_size = sizeof(kernel_bytes),
                                             .mem_size = sizeof(kernel_bytes),
                                             .flags = 5};
        struct elf_file kernel = {.data = kernel_bytes,
                                  .size = sizeof(kernel_bytes),
                                  .entry = BOARD_KERNEL_BASE,
                                  .segments = &kernel_segment,
                                  .segment_count = 1};
        char *image = NULL, *report = NULL;
        size_t image_size = 0, report_size = 0;
        FILE *out = open_memstream(&image, &image_size);
        written = out != NULL && output_image(out, &kernel, &sys, &layout);
        if (out != NULL) {
            fclose(out);
        }
        out = open_memstream(&report, &report_size);
        if (out != NULL) {
            output_report(out, &sys, &layout);
            fclose(out);
        }
        free(image);
        free(report);
    }
    if (quiet != NULL) {
        stderr = saved;
        fclose(quiet);
    }
    free(layout.image);
    free(layout.pds);
    model_free(&sys);
    xml_free(root);
    FUZZ_CHECK(bootable, "mksystem accepted a system whose image the kernel refuses: %s", error);
    FUZZ_CHECK(!ok || written, "mksystem accepted a system and could not write its image");
    return 0;
}
