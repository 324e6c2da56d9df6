/* Fault isolation: `faulty` writes outside its maps; the kernel reports it and stops it, and
 * `survivor` keeps answering. */
#include "../common/ktest.h"

#define FAULTY   0
#define SURVIVOR 1

void init(void)
{
    tessera_printf("controller: asking faulty to write outside its maps\n");
    microkit_notify(FAULTY);
    tessera_printf("controller: asking survivor\n");
    microkit_notify(SURVIVOR);
}

void notified(microkit_channel ch)
{
    if (ch == SURVIVOR) {
        tessera_printf("controller: survivor answered\n");
        KTEST_CHECK(true, "fault-isolation");
        /* faulty is stopped: notifying it again must be harmless. */
        microkit_notify(FAULTY);
        ktest_done();
    } else if (ch == FAULTY) {
        tessera_printf("TEST|FAIL fault-isolation: faulty kept running\n");
    }
}
