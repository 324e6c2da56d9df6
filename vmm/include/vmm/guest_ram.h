/* Guest RAM as the VMM sees it, and the one check every guest-supplied address goes through. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct guest_ram {
    uint64_t gpa; /* guest-physical base */
    uint64_t size;
    uintptr_t vaddr; /* where the VMM maps it */
};

/* True if [gpa, gpa + length) lies inside guest RAM (no wrap-around); then *pointer is where
 * the VMM reaches it. length 0 is refused: no valid buffer is empty. */
bool guest_ram_range(const struct guest_ram *ram, uint64_t gpa, uint64_t length, void **pointer);
