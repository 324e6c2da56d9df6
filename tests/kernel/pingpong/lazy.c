/* Lowest priority: ping sends three notifications on channel 5 back to back; coalescing means
 * they arrive as one. Lazy then tells ping, which answers on channel 6: by then every delivery
 * of the burst must have happened, so channel 5 must have been seen exactly once. */
#include "../common/ktest.h"

#define BURST_CHANNEL  5
#define FINISH_CHANNEL 6

static unsigned burst_calls;

void init(void)
{
    /* Fused with this PD's first RECV: ping starts only once lazy waits. */
    microkit_deferred_notify(BURST_CHANNEL);
}

void notified(microkit_channel ch)
{
    if (ch == BURST_CHANNEL) {
        burst_calls++;
        tessera_printf("lazy: burst notification %u\n", burst_calls);
        if (burst_calls == 1) {
            microkit_notify(BURST_CHANNEL);
        }
        return;
    }
    if (ch == FINISH_CHANNEL) {
        KTEST_CHECK(burst_calls == 1, "notification-coalescing");
        ktest_done();
    }
}
