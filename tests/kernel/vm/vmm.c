/*
 * The VMM side of the kernel's VM tests: loads the tiny guest, starts its vCPU, and handles every
 * exit the kernel delivers as a fault: MMIO (decoded from the syndrome), HVC, SMC, the virtual
 * timer (VPPI), and GIC maintenance. Checks what the guest reports.
 */
#include "../common/ktest.h"
#include "vm_test.h"

#define VCPU        0
#define GUEST_ENTRY 0x40000000UL

uint64_t guest_ram_vaddr __attribute__((section(".data"))) = 0;
extern const char guest_image_start[];
extern const char guest_image_end[];

static unsigned mmio_writes_ok;
static unsigned vppi_events;
static unsigned maintenance_events;
static uint64_t regs[TESSERA_USER_CONTEXT_WORDS];

/* How many words of the seL4_UserContext order cover pc, sp, spsr and register `reg`: a VMM
 * need not copy all 36 to emulate one access. */
static unsigned context_words_for(unsigned reg)
{
    if (reg <= 8 || reg == 31) {
        return UCTX_X0 + 9;
    }
    if (reg >= 16 && reg <= 18) {
        return UCTX_X16 + reg - 16 + 1;
    }
    if (reg == 29 || reg == 30) {
        return UCTX_X29 + reg - 29 + 1;
    }
    if (reg >= 9 && reg <= 15) {
        return UCTX_X9 + reg - 9 + 1;
    }
    return UCTX_X19 + reg - 19 + 1;
}

static uint64_t *reg_slot(unsigned reg)
{
    static uint64_t zero;
    if (reg <= 8) {
        return &regs[UCTX_X0 + reg];
    }
    if (reg <= 15) {
        return &regs[UCTX_X9 + reg - 9];
    }
    if (reg <= 18) {
        return &regs[UCTX_X16 + reg - 16];
    }
    if (reg <= 28) {
        return &regs[UCTX_X19 + reg - 19];
    }
    if (reg == 29) {
        return &regs[UCTX_X29];
    }
    if (reg == 30) {
        return &regs[UCTX_X30];
    }
    zero = 0; /* XZR */
    return &zero;
}

void init(void)
{
    uint64_t size = (uint64_t)(guest_image_end - guest_image_start);
    char *ram = (char *)guest_ram_vaddr;
    for (uint64_t i = 0; i < size; i++) {
        ram[i] = guest_image_start[i];
    }
    tessera_printf("vmm: loaded a %lu-byte guest, starting its vCPU\n", size);
    microkit_vcpu_restart(VCPU, GUEST_ENTRY);
}

void notified(microkit_channel ch)
{
    (void)ch;
}

static void check_write(uint64_t addr, unsigned size, uint64_t value)
{
    static const struct {
        uint64_t addr;
        unsigned size;
        uint64_t value;
    } expected[] = {
        {VM_TEST_MMIO_BASE + 0x10, 1, 0xab},
        {VM_TEST_MMIO_BASE + 0x12, 2, 0xbeef},
        {VM_TEST_MMIO_BASE + 0x14, 4, 0xcafef00d},
        {VM_TEST_MMIO_BASE + 0x18, 8, 0x0123456789abcdefUL},
    };
    for (unsigned i = 0; i < 4; i++) {
        if (expected[i].addr == addr && expected[i].size == size && expected[i].value == value) {
            mmio_writes_ok++;
        }
    }
    tessera_printf("vmm: guest wrote 0x%lx (%u bytes) to 0x%lx\n", value, size, addr);
}

/* A 4-byte load one byte past an aligned word: an alignment fault if the guest's SCTLR_EL1.A
 * applied here, byte-swapped if its E0E did. */
static uint32_t unaligned_little_endian_load(void)
{
    static const uint32_t words[2] = {0x11223344u, 0x55667788u};
    uint32_t value;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(value) : "r"((const char *)words + 1) : "memory");
    return value;
}

static void handle_report(uint64_t offset, uint64_t value)
{
    switch (offset) {
    case REPORT_READ_RESULT:
        KTEST_CHECK(value == VM_TEST_READ_VALUE, "vm-mmio-read");
        break;
    case REPORT_HVC_RESULT:
        KTEST_CHECK(value == VM_TEST_HVC_ANSWER, "vm-hvc");
        break;
    case REPORT_SMC_RESULT:
        KTEST_CHECK(mmio_writes_ok == 4, "vm-mmio-write");
        KTEST_CHECK(value == VM_TEST_SMC_ANSWER, "vm-smc");
        break;
    case REPORT_REQUEST_SPI:
        microkit_vcpu_arm_inject_irq(VCPU, VM_TEST_SPI, 0, 0, 1);
        break;
    case REPORT_SPI_SEEN:
        KTEST_CHECK(value == 1, "vm-virtual-irq");
        break;
    case REPORT_TICKS:
        tessera_printf("vmm: guest saw %lu timer ticks (%u VPPI events, %u maintenance events)\n", value, vppi_events,
                       maintenance_events);
        KTEST_CHECK(value == VM_TEST_TICKS && vppi_events >= VM_TEST_TICKS, "vm-virtual-timer");
        break;
    case REPORT_TICK_TIME_US:
        tessera_printf("vmm: %u ticks of 10 ms took %lu us of guest time\n", VM_TEST_TICKS, value);
        KTEST_CHECK(value >= VM_TEST_TICKS * 10000UL, "vm-virtual-timer-period");
        break;
    case REPORT_EXCEPTION:
        tessera_printf("TEST|FAIL vm: guest took an unexpected exception, esr 0x%lx\n", value);
        break;
    case REPORT_MMIO_TICKS:
        tessera_printf("vmm: %u MMIO reads in %lu counter ticks at %lu Hz\n", VM_TEST_MMIO_LOOPS, value,
                       ktest_counter_frequency());
        break;
    case REPORT_HOSTILE_SCTLR:
        KTEST_CHECK(unaligned_little_endian_load() == 0x88112233u, "vm-guest-sctlr-isolated");
        break;
    case REPORT_DONE:
        ktest_done();
        break;
    default:
        break;
    }
}

static bool handle_vm_fault(void)
{
    uint64_t addr = microkit_mr_get(1);
    uint64_t esr = microkit_mr_get(3);
    if (!(esr & (1UL << 24))) {
        tessera_printf("TEST|FAIL vm: abort without syndrome at 0x%lx\n", addr);
        return false;
    }
    unsigned size = 1u << ((esr >> 22) & 3);
    unsigned reg = (esr >> 16) & 31;
    bool write = (esr >> 6) & 1;
    unsigned words = context_words_for(reg);
    tessera_tcb_read_registers(VCPU, regs, words);
    uint64_t mask = size == 8 ? ~0UL : (1UL << (size * 8)) - 1;
    if (write) {
        uint64_t value = *reg_slot(reg) & mask;
        if (addr >= VM_TEST_REPORT_BASE) {
            handle_report(addr - VM_TEST_REPORT_BASE, value);
        } else {
            check_write(addr, size, value);
        }
    } else if (reg != 31) {
        *reg_slot(reg) = addr == VM_TEST_MMIO_BASE ? VM_TEST_READ_VALUE : 0;
    }
    regs[UCTX_PC] += 4;
    tessera_tcb_write_registers(VCPU, false, regs, words);
    return true;
}

static bool handle_vcpu_fault(void)
{
    uint64_t esr = microkit_mr_get(0);
    unsigned ec = (unsigned)(esr >> 26);
    tessera_tcb_read_registers(VCPU, regs, TESSERA_USER_CONTEXT_WORDS);
    if (ec == 0x16 && regs[UCTX_X0] == VM_TEST_HVC_ARG) {
        regs[UCTX_X0] = VM_TEST_HVC_ANSWER; /* HVC: the PC is already past the instruction */
    } else if (ec == 0x17 && regs[UCTX_X0] == VM_TEST_SMC_ARG) {
        regs[UCTX_X0] = VM_TEST_SMC_ANSWER;
        regs[UCTX_PC] += 4; /* SMC: the PC still points at it */
    } else {
        tessera_printf("TEST|FAIL vm: unexpected vCPU fault, esr 0x%lx\n", esr);
        return false;
    }
    tessera_tcb_write_registers(VCPU, false, regs, TESSERA_USER_CONTEXT_WORDS);
    return true;
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    *reply_msginfo = microkit_msginfo_new(0, 0);
    if (child != VCPU) {
        return false;
    }
    switch (microkit_msginfo_get_label(msginfo)) {
    case FAULT_VM:
        return handle_vm_fault();
    case FAULT_VCPU:
        return handle_vcpu_fault();
    case FAULT_VPPI:
        vppi_events++;
        microkit_vcpu_arm_inject_irq(VCPU, 27, 0, 0, 0);
        return true;
    case FAULT_VGIC_MAINTENANCE:
        maintenance_events++;
        if (microkit_mr_get(0) == 0) {
            microkit_vcpu_arm_ack_vppi(VCPU, 27);
        }
        return true;
    default:
        tessera_printf("TEST|FAIL vm: unexpected fault label %lu\n", microkit_msginfo_get_label(msginfo));
        return false;
    }
}
