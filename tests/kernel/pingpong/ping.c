/* Notification ping-pong: ping and pong notify each other ROUND_TRIPS times; both count every
 * notification they see and the counts must be exact. Then coalescing: three notifications to a
 * lower-priority PD waiting in RECV, sent before it can run, arrive as one. lazy starts the whole
 * run with a deferred notify, so it is already waiting when the burst comes. */
#include "../common/ktest.h"

#define PONG_CHANNEL 0
#define ROUND_TRIPS  10000

static unsigned received;
static uint64_t started_at;

static bool started;

void init(void)
{
}

static void start(void)
{
    started = true;
    tessera_printf("ping: starting %u round trips\n", ROUND_TRIPS);
    started_at = ktest_counter();
    microkit_notify(PONG_CHANNEL);
}

#define LAZY_BURST_CHANNEL  2
#define LAZY_FINISH_CHANNEL 3

void notified(microkit_channel ch)
{
    if (ch == LAZY_BURST_CHANNEL && !started) {
        start(); /* lazy, the lowest priority, is waiting in RECV by now */
        return;
    }
    if (ch == LAZY_BURST_CHANNEL) {
        microkit_notify(LAZY_FINISH_CHANNEL);
        return;
    }
    if (ch != PONG_CHANNEL) {
        tessera_printf("TEST|FAIL pingpong: notified on unexpected channel %u\n", ch);
        return;
    }
    received++;
    if (received < ROUND_TRIPS) {
        microkit_notify(PONG_CHANNEL);
        return;
    }
    uint64_t ticks = ktest_counter() - started_at;
    tessera_printf("ping: %u round trips in %lu counter ticks at %lu Hz\n", received, ticks, ktest_counter_frequency());
    microkit_ppcall(PONG_CHANNEL + 1, microkit_msginfo_new(0, 0));
    uint64_t pong_count = microkit_mr_get(0);
    tessera_printf("ping: pong saw %lu notifications\n", pong_count);
    KTEST_CHECK(received == ROUND_TRIPS && pong_count == ROUND_TRIPS, "pingpong-10000");
    /* Coalescing: the low-priority PD cannot run between these three. */
    microkit_notify(LAZY_BURST_CHANNEL);
    microkit_notify(LAZY_BURST_CHANNEL);
    microkit_notify(LAZY_BURST_CHANNEL);
}
