#include "../common/ktest.h"

uint64_t region __attribute__((section(".data"))) = 0;

void init(void)
{
}

void notified(microkit_channel ch)
{
    (void)ch;
    uint64_t value = *(volatile uint64_t *)region;
    tessera_printf("checker: region at 0x%lx holds 0x%lx\n", region, value);
    KTEST_CHECK(region == 0x40000000UL && value == 0x5e7a5e7aUL, "shared-region");
    /* Debug text longer than the IPC buffer's text area is refused, not read past its end. */
    KTEST_CHECK(tessera_syscall1(SYS_DEBUG_WRITE, TESSERA_DEBUG_TEXT_MAX + 1) == TESSERA_RANGE_ERROR &&
                    tessera_syscall1(SYS_DEBUG_WRITE, ~0UL) == TESSERA_RANGE_ERROR,
                "debug-write-length-checked");
    ktest_done();
}
