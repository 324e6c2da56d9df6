/* A test program for the .system tool's tests: it has the symbols the tool patches, some in
 * .data and some in .bss (which the tool patches too, as Microkit's does). */
#include <microkit.h>

uint64_t region_vaddr __attribute__((section(".data"))) = 1;
uint64_t region_paddr __attribute__((section(".data"))) = 1;
uint64_t region_size __attribute__((section(".data"))) = 1;
uint64_t region_table[3] __attribute__((section(".data"))) = {1, 1, 1};
uint64_t in_bss;
uint64_t bss_ids[5];

void init(void)
{
    in_bss = region_vaddr + region_paddr + region_size + region_table[0] + bss_ids[0];
    /* Never true; links the runtime's SMC call, whose permission symbol the tool patches. */
    if (in_bss == 0) {
        seL4_ARM_SMCContext args = {0}, response;
        microkit_arm_smc_call(&args, &response);
    }
}

void notified(microkit_channel ch)
{
    (void)ch;
}
