/*
 * The guest side of the kernel's VM tests. It talks to its VMM only through what a real guest
 * has: MMIO to addresses the VMM emulates, HVC, SMC, and interrupts through the GIC CPU
 * interface (the physical GICV page mapped at the guest's GICC address, GICv2).
 */
#include <stdint.h>
#include "../vm_test.h"

#define GICC_CTLR 0x00
#define GICC_PMR  0x04
#define GICC_IAR  0x0c
#define GICC_EOIR 0x10

#define SCTLR_EL1_A   (1UL << 1)
#define SCTLR_EL1_E0E (1UL << 24)

static volatile unsigned timer_ticks;
static volatile unsigned spi_count;
static uint64_t timer_interval;

static void write32(uint64_t addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

static uint32_t read32(uint64_t addr)
{
    return *(volatile uint32_t *)addr;
}

static void report(uint64_t what, uint64_t value)
{
    *(volatile uint64_t *)(VM_TEST_REPORT_BASE + what) = value;
}

static uint64_t hvc(uint64_t x0)
{
    register uint64_t r0 __asm__("x0") = x0;
    __asm__ volatile("hvc #0" : "+r"(r0)::"memory");
    return r0;
}

static uint64_t smc(uint64_t x0)
{
    register uint64_t r0 __asm__("x0") = x0;
    __asm__ volatile("smc #0" : "+r"(r0)::"x1", "x2", "x3", "memory");
    return r0;
}

static void timer_arm(void)
{
    __asm__ volatile("msr cntv_tval_el0, %0; msr cntv_ctl_el0, %1; isb" ::"r"(timer_interval), "r"(1UL));
}

void guest_irq(void)
{
    uint32_t iar = read32(VM_TEST_GICC + GICC_IAR);
    uint32_t intid = iar & 0x3ff;
    if (intid == 27) {
        timer_ticks++;
        timer_arm();
    } else if (intid == VM_TEST_SPI) {
        spi_count++;
    }
    if (intid < 1020) {
        write32(VM_TEST_GICC + GICC_EOIR, iar);
    }
}

void guest_exception(void)
{
    uint64_t esr;
    __asm__ volatile("mrs %0, esr_el1" : "=r"(esr));
    report(REPORT_EXCEPTION, esr);
    for (;;) {
    }
}

void guest_main(void)
{
    /* 1. MMIO: a read of an address with nothing behind it returns what the VMM chooses; writes of
     * every width reach the VMM with address, width and value. */
    report(REPORT_READ_RESULT, read32(VM_TEST_MMIO_BASE));
    *(volatile uint8_t *)(VM_TEST_MMIO_BASE + 0x10) = 0xab;
    *(volatile uint16_t *)(VM_TEST_MMIO_BASE + 0x12) = 0xbeef;
    *(volatile uint32_t *)(VM_TEST_MMIO_BASE + 0x14) = 0xcafef00dU;
    *(volatile uint64_t *)(VM_TEST_MMIO_BASE + 0x18) = 0x0123456789abcdefUL;

    /* Cost of an emulated MMIO read, for `make bench`. */
    uint64_t t0, t1;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(t0));
    for (unsigned i = 0; i < VM_TEST_MMIO_LOOPS; i++) {
        (void)read32(VM_TEST_MMIO_BASE + 0x20);
    }
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(t1));
    report(REPORT_MMIO_TICKS, t1 - t0);

    /* 2. HVC and SMC reach the VMM, which answers in x0. */
    report(REPORT_HVC_RESULT, hvc(VM_TEST_HVC_ARG));
    report(REPORT_SMC_RESULT, smc(VM_TEST_SMC_ARG));

    /* 3. Interrupts through the virtual CPU interface. */
    write32(VM_TEST_GICC + GICC_PMR, 0xf8);
    write32(VM_TEST_GICC + GICC_CTLR, 1);
    __asm__ volatile("msr daifclr, #3");
    report(REPORT_REQUEST_SPI, 1);
    while (spi_count == 0) {
        __asm__ volatile("wfi");
    }
    report(REPORT_SPI_SEEN, spi_count);

    /* 4. The virtual timer, periodically, idling in WFI between ticks. */
    uint64_t frequency;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frequency));
    timer_interval = frequency / 100; /* 10 ms */
    uint64_t start, end;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(start));
    timer_arm();
    while (timer_ticks < VM_TEST_TICKS) {
        __asm__ volatile("wfi");
    }
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(end));
    __asm__ volatile("msr cntv_ctl_el0, xzr");
    report(REPORT_TICKS, timer_ticks);
    report(REPORT_TICK_TIME_US, (end - start) * 1000000 / frequency);

    /* 5. EL1 controls are the guest's own: alignment checking and big-endian EL0 data set here
     * must not reach the VMM, which runs at EL0 while the guest waits. */
    uint64_t sctlr;
    __asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
    __asm__ volatile("msr sctlr_el1, %0; isb" ::"r"(sctlr | SCTLR_EL1_A | SCTLR_EL1_E0E));
    report(REPORT_HOSTILE_SCTLR, 1);
    __asm__ volatile("msr sctlr_el1, %0; isb" ::"r"(sctlr));
    report(REPORT_DONE, 1);
    for (;;) {
        __asm__ volatile("wfi");
    }
}

uint8_t guest_stack[4096] __attribute__((aligned(16)));
