/* Measures, with the counter, how much of the CPU it gets while competing with a spinner of its
 * own priority (round-robin) and then also with a higher-priority hog limited by its budget. */
#include "../common/ktest.h"

#define HOG 0

struct share {
    uint64_t running;
    uint64_t gaps;
    uint64_t longest_gap;
};

/* Spin for `duration` ticks of wall time, counting the time we were not running. */
static struct share measure(uint64_t duration)
{
    struct share s = {0, 0, 0};
    uint64_t gap_threshold = ktest_counter_frequency() / 5000; /* 0.2 ms */
    uint64_t start = ktest_counter();
    uint64_t last = start;
    for (;;) {
        uint64_t now = ktest_counter();
        uint64_t step = now - last;
        if (step > gap_threshold) {
            s.gaps++;
            if (step > s.longest_gap) {
                s.longest_gap = step;
            }
        } else {
            s.running += step;
        }
        last = now;
        if (now - start >= duration) {
            return s;
        }
    }
}

void init(void)
{
    uint64_t ms = ktest_counter_frequency() / 1000;
    struct share rr = measure(40 * ms);
    tessera_printf("worker: with spinner: ran %lu%% of 40 ms, %lu gaps, longest %lu us\n", rr.running * 100 / (40 * ms),
                   rr.gaps, rr.longest_gap * 1000 / ms);
    KTEST_CHECK(rr.gaps >= 5 && rr.running * 100 / (40 * ms) >= 25 && rr.running * 100 / (40 * ms) <= 75,
                "round-robin-no-starvation");

    microkit_notify(HOG);
    struct share limited = measure(100 * ms);
    uint64_t percent = limited.running * 100 / (100 * ms);
    tessera_printf("worker: with spinner and hog: ran %lu%% of 100 ms, %lu gaps, longest %lu us\n", percent,
                   limited.gaps, limited.longest_gap * 1000 / ms);
    /* The hog may take 20% of each period; the worker shares the rest with the spinner. */
    KTEST_CHECK(percent >= 25 && percent <= 55, "budget-period-enforced");
    ktest_done();
}

void notified(microkit_channel ch)
{
    (void)ch;
}
