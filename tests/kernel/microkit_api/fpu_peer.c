/* Higher priority than api: a notification from api switches to it at once, mid-call. It
 * overwrites v20 (and uses FP in C), then records what it saw there first, so api can check that
 * neither PD sees the other's FP state. */
#include <microkit.h>
#include "common.h"

static volatile double base = 1.5;

void notified(microkit_channel ch)
{
    struct peer_report *report = (struct peer_report *)0x21000000UL;
    uint64_t seen;
    __asm__ volatile("fmov %0, d20\n\t"
                     "fmov d20, %1"
                     : "=&r"(seen)
                     : "r"(FP_PATTERN_PEER)
                     : "v20");
    double x = base;
    for (int i = 0; i < 8; i++) {
        x = x * 2.0 + base;
    }
    if (ch == 61 && report->notifications++ == 0) {
        report->v20_seen = seen;
    }
    if ((uint64_t)x != 766) {
        microkit_dbg_puts("fpu_peer: FP arithmetic wrong\n");
    }
}

void init(void)
{
    microkit_dbg_puts("fpu_peer: ready\n");
}
