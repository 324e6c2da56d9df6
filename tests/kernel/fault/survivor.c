#include "../common/ktest.h"

void init(void)
{
}

void notified(microkit_channel ch)
{
    tessera_printf("survivor: alive\n");
    microkit_notify(ch);
}
