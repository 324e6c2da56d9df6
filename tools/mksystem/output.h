/* What the tool writes: the bootable ELF and the human-readable layout report. */
#pragma once

#include <stdio.h>
#include "layout.h"

/* The kernel's segments, the system image at BOARD_SYSIMAGE_BASE and every PD segment at its
 * physical address, as one ELF64 executable entered at the kernel's entry point. */
bool output_image(FILE *out, const struct elf_file *kernel, const struct system *sys, const struct layout *layout);
void output_report(FILE *out, const struct system *sys, const struct layout *layout);
