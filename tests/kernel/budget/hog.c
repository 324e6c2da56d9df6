/* Higher priority than the worker, but budget 2 ms per 10 ms period: once notified it spins
 * forever, and the kernel must still leave the rest of each period to lower priorities. */
#include "../common/ktest.h"

void init(void)
{
}

void notified(microkit_channel ch)
{
    (void)ch;
    tessera_printf("hog: spinning at high priority\n");
    for (;;) {
    }
}
