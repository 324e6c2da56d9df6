/* A test program for the .system tool's tests: it has the symbols the tool patches. */
#include <microkit.h>

uint64_t region_vaddr __attribute__((section(".data"))) = 1;
uint64_t region_paddr __attribute__((section(".data"))) = 1;
uint64_t region_size __attribute__((section(".data"))) = 1;
uint64_t region_table[3] __attribute__((section(".data"))) = {1, 1, 1};
uint64_t in_bss;

void init(void)
{
    in_bss = region_vaddr + region_paddr + region_size + region_table[0];
}

void notified(microkit_channel ch)
{
    (void)ch;
}
