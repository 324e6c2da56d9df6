/* Physical layout and the system image: where everything goes, and what the kernel is told. */
#pragma once

#include <tessera/sysimage.h>
#include "model.h"

struct pd_layout {
    uint64_t stack_paddr;
    uint64_t stack_vaddr;
    uint64_t ipc_paddr;
};

struct layout {
    struct pd_layout *pds;
    struct sysimage *image; /* heap copy, written at BOARD_SYSIMAGE_BASE */
};

/* Place every region and PD, check address spaces and physical ranges, patch the PD programs
 * and fill the system image. False (errors printed) if anything does not fit or overlaps. */
bool layout_build(struct system *sys, struct layout *layout);
