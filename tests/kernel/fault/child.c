#include "../common/ktest.h"

void init(void)
{
    uint64_t value = *(volatile uint64_t *)0x7000010UL;
    tessera_printf("TEST|FAIL child-fault-to-parent: read outside maps returned %lu\n", value);
}

void notified(microkit_channel ch)
{
    (void)ch;
}
