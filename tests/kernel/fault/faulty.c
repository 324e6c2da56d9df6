#include "../common/ktest.h"

void init(void)
{
}

void notified(microkit_channel ch)
{
    (void)ch;
    tessera_printf("faulty: writing to 0xdead0000\n");
    *(volatile uint64_t *)0xdead0000UL = 1;
    tessera_printf("faulty: still running after the bad write\n");
    microkit_notify(0);
}
