/* Booting an arm64 Linux kernel (Documentation/arm64/booting.rst): the Image header, and where
 * kernel, device tree and initrd go in guest RAM. Portable and host-tested. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct linux_layout {
    uint64_t kernel_gpa; /* entry point: the first byte of the Image */
    uint64_t kernel_end; /* kernel_gpa + the memory it claims (image_size) */
    uint64_t dtb_gpa;
    uint64_t initrd_gpa;
    uint64_t initrd_end;
};

enum linux_error {
    LINUX_OK = 0,
    LINUX_TOO_SHORT,
    LINUX_BAD_MAGIC,
    LINUX_BIG_ENDIAN,
    LINUX_DOES_NOT_FIT,
    LINUX_OVERLAP,
};

/* Check the Image header and place kernel, DTB (dtb_capacity bytes reserved) and initrd in
 * [ram_gpa, ram_gpa + ram_size). */
enum linux_error linux_plan(const uint8_t *image, size_t image_length, uint64_t ram_gpa, uint64_t ram_size,
                            size_t dtb_capacity, size_t initrd_length, struct linux_layout *layout);
const char *linux_error_text(enum linux_error error);
