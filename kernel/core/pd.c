/* The protection domains of the system, one per system-image entry, filled in at boot. */
#include <kernel/thread.h>

struct pd pds[SYSIMAGE_MAX_PDS];
unsigned pd_count;
