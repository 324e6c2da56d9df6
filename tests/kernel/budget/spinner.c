/* Spins forever at the worker's priority: only timeslicing lets the worker run. */
#include "../common/ktest.h"

void init(void)
{
    tessera_printf("spinner: spinning\n");
    for (;;) {
    }
}

void notified(microkit_channel ch)
{
    (void)ch;
}
