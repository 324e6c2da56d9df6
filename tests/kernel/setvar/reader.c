/* setvar: the tool patches the map's vaddr and the region's physical address into the PD. The
 * PD prints both (the test compares them with the .system file and the tool's report) and proves
 * the map works by writing through it; `checker` reads the same region at another vaddr. */
#include "../common/ktest.h"

uint64_t shared_vaddr __attribute__((section(".data"))) = 0;
uint64_t shared_paddr __attribute__((section(".data"))) = 0;

void init(void)
{
    tessera_printf("reader: shared_vaddr=0x%lx shared_paddr=0x%lx\n", shared_vaddr, shared_paddr);
    KTEST_CHECK(shared_vaddr == 0x30000000UL, "setvar-vaddr");
    KTEST_CHECK(shared_paddr != 0, "setvar-paddr");
    *(volatile uint64_t *)shared_vaddr = 0x5e7a5e7aUL;
    microkit_notify(0);
}

void notified(microkit_channel ch)
{
    (void)ch;
}
