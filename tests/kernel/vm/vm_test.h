/* What the VM test's guest and VMM agree on. */
#pragma once

#define VM_TEST_GICC        0x08010000UL
#define VM_TEST_MMIO_BASE   0x10000000UL
#define VM_TEST_REPORT_BASE 0x10001000UL
#define VM_TEST_READ_VALUE  0xfeedbeefUL
#define VM_TEST_HVC_ARG     0x1234UL
#define VM_TEST_HVC_ANSWER  0x5678UL
#define VM_TEST_SMC_ARG     0x84000000UL /* PSCI_VERSION */
#define VM_TEST_SMC_ANSWER  0x10001UL    /* 1.1 */
#define VM_TEST_SPI         40
#define VM_TEST_TICKS       10

#define REPORT_READ_RESULT   0x00
#define REPORT_HVC_RESULT    0x08
#define REPORT_SMC_RESULT    0x10
#define REPORT_REQUEST_SPI   0x18
#define REPORT_SPI_SEEN      0x20
#define REPORT_TICKS         0x28
#define REPORT_TICK_TIME_US  0x30
#define REPORT_EXCEPTION     0x38
#define REPORT_DONE          0x40
#define REPORT_MMIO_TICKS    0x48
#define REPORT_HOSTILE_SCTLR 0x50
#define VM_TEST_MMIO_LOOPS   1000
