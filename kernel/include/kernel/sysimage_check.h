/* Validation of the system image before the kernel trusts any of it. Portable: unit-tested on
 * the host with hand-made images. */
#pragma once

#include <stdbool.h>
#include <tessera/sysimage.h>

struct sysimage_board {
    uint32_t board_id;
    uint64_t ram_base, ram_size;
    uint64_t kernel_base, kernel_size;
    uint64_t sysimage_base, sysimage_size;
    const uint64_t (*device_ranges)[2];
    unsigned device_range_count;
    uint32_t max_intid;
};

/* True if the image is consistent and safe to load on this board; otherwise false with a
 * sentence in `error` (at most `error_size` bytes, NUL-terminated). */
bool sysimage_check(const struct sysimage *image, const struct sysimage_board *board, char *error, unsigned error_size);
