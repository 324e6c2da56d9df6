/* Boot of the portable core, called by the arch once the CPU, its MMU, the interrupt controller
 * and the timer are set up. */
#pragma once

#include <tessera/sysimage.h>

/* Validate the system image, build every address space and thread it describes, and start
 * scheduling. */
_Noreturn void kernel_boot(const struct sysimage *image);
