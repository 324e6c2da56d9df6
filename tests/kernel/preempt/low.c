/* Priority preemption: low notifies mid, which preempts it at once and notifies high, which
 * preempts mid. Inits run highest priority first. Expected log: H M L (inits), then
 * 1 (low before notify), m (mid notified), h (high notified), 2 (mid after notify),
 * 3 (low after notify). */
#include "preempt.h"

uint64_t event_log_vaddr __attribute__((section(".data"))) = 0;

#define MID 0

void init(void)
{
    log_event('L');
    log_event('1');
    microkit_notify(MID);
    log_event('3');
    struct event_log *log = (struct event_log *)event_log_vaddr;
    char seen[65];
    unsigned n = (unsigned)log->count;
    for (unsigned i = 0; i < n && i < 64; i++) {
        seen[i] = log->events[i];
    }
    seen[n < 64 ? n : 64] = '\0';
    tessera_printf("low: event order %s\n", seen);
    const char *expected = "HML1mh23";
    bool same = n == 8;
    for (unsigned i = 0; same && i < 8; i++) {
        same = seen[i] == expected[i];
    }
    KTEST_CHECK(same, "preemption-order");
    ktest_done();
}

void notified(microkit_channel ch)
{
    (void)ch;
}
