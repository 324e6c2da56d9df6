/* A child that crashes three ways, one per run (its parent restarts it): message register 64
 * (stops the PD, no wrap into MR0), microkit_internal_crash, and a crash its parent resumes
 * (it must fault again, never run on). */
#include <microkit.h>

static unsigned run __attribute__((section(".data"))) = 0;

void init(void)
{
    run++;
    microkit_dbg_puts("crasher: run ");
    microkit_dbg_put8((seL4_Uint8)run);
    microkit_dbg_puts("\n");
    microkit_mr_set(0, 0xc0ffee);
    if (run == 1) {
        microkit_mr_set(64, 1);
    } else {
        microkit_internal_crash(seL4_IllegalOperation);
    }
    microkit_dbg_puts("crasher: still running after a crash\n");
}

void notified(microkit_channel ch)
{
    (void)ch;
}
