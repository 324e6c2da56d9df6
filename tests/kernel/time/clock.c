/*
 * The kernel's time, seen from a VMM PD: tessera_time_now_ns() never goes back, and across a
 * guest that runs with a large virtual-counter offset (CNTVOFF) it advances by at least what the
 * guest measured of its own run, and by no more than a few seconds: a clock that carried the
 * offset would jump by hours. The guest reports its virtual count too, so the test also checks
 * that the offset was in force for it.
 */
#include "../common/ktest.h"

#define VCPU        0
#define GUEST_ENTRY 0x40000000UL
#define ROUNDS      4
/* 2^40 ticks: over 4 hours at QEMU's 62.5 MHz. */
#define GUEST_OFFSET (1UL << 40)
#define SECOND_NS    1000000000UL

uint64_t guest_ram_vaddr __attribute__((section(".data"))) = 0;

/* The guest, position-independent so it can be copied anywhere: spin 2,000,000 times between
 * two reads of its virtual count, then HVC with x0 = the ticks it spun, x1 = the count at the
 * end; again on every resume. */
extern const uint32_t spinner_start[];
extern const uint32_t spinner_end[];
__asm__(".pushsection .rodata\n"
        ".balign 4\n"
        "spinner_start:\n"
        "1:  isb\n"
        "    mrs  x1, cntvct_el0\n"
        "    movz x3, #0x1e, lsl #16\n"
        "    movk x3, #0x8480\n"
        "2:  subs x3, x3, #1\n"
        "    b.ne 2b\n"
        "    isb\n"
        "    mrs  x2, cntvct_el0\n"
        "    sub  x0, x2, x1\n"
        "    mov  x1, x2\n"
        "    hvc  #0\n"
        "    b    1b\n"
        "spinner_end:\n"
        ".popsection\n");

static uint64_t frequency;
static uint64_t resumed_at; /* time when the guest was last started or resumed */
static unsigned rounds;
static bool advances = true;
static bool offset_ignored = true;
static uint64_t regs[UCTX_X0 + 2];

static uint64_t ticks_to_ns(uint64_t ticks)
{
    return ticks / frequency * SECOND_NS + ticks % frequency * SECOND_NS / frequency;
}

static uint64_t ns_to_ticks(uint64_t ns)
{
    return ns / SECOND_NS * frequency + ns % SECOND_NS * frequency / SECOND_NS;
}

static void check_monotonic(void)
{
    uint64_t first = tessera_time_now_ns();
    uint64_t last = first;
    bool never_back = true;
    for (unsigned i = 0; i < 10000; i++) {
        uint64_t now = tessera_time_now_ns();
        never_back = never_back && now >= last;
        last = now;
    }
    tessera_printf("clock: 10000 reads took %lu ns\n", last - first);
    KTEST_CHECK(never_back && last > first, "time-monotonic");
}

void init(void)
{
    frequency = ktest_counter_frequency();
    check_monotonic();
    const uint32_t *code = spinner_start;
    uint32_t *ram = (uint32_t *)guest_ram_vaddr;
    for (unsigned i = 0; code + i < spinner_end; i++) {
        ram[i] = code[i];
    }
    microkit_vcpu_arm_write_reg(VCPU, VCPU_CNTVOFF, GUEST_OFFSET);
    tessera_printf("clock: starting the guest with a virtual-counter offset of %lu ticks\n", GUEST_OFFSET);
    resumed_at = tessera_time_now_ns();
    microkit_vcpu_restart(VCPU, GUEST_ENTRY);
}

void notified(microkit_channel ch)
{
    (void)ch;
}

static void finish(void)
{
    microkit_vcpu_stop(VCPU);
    /* What a PD reading the counter itself would see now: the guest's offset, still loaded. */
    tessera_printf("clock: time %lu ns; this PD's own cntvct_el0 reads %lu\n", tessera_time_now_ns(), ktest_counter());
    KTEST_CHECK(advances, "time-advances-across-vm");
    KTEST_CHECK(offset_ignored, "time-ignores-vcpu-offset");
    ktest_done();
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    uint64_t now = tessera_time_now_ns();
    *reply_msginfo = microkit_msginfo_new(0, 0);
    if (child != VCPU || microkit_msginfo_get_label(msginfo) != FAULT_VCPU || (microkit_mr_get(0) >> 26) != 0x16) {
        tessera_printf("TEST|FAIL time: unexpected fault label %lu esr 0x%lx\n", microkit_msginfo_get_label(msginfo),
                       microkit_mr_get(0));
        return false;
    }
    tessera_tcb_read_registers(VCPU, regs, UCTX_X0 + 2);
    uint64_t spun_ns = ticks_to_ns(regs[UCTX_X0]);
    uint64_t guest_count = regs[UCTX_X0 + 1];
    uint64_t elapsed = now - resumed_at;
    tessera_printf("clock: round %u: guest spun %lu ns, time advanced %lu ns\n", rounds + 1, spun_ns, elapsed);
    if (now <= resumed_at || elapsed < spun_ns || elapsed > 10 * SECOND_NS) {
        advances = false;
    }
    /* The guest's count is the physical one less its offset: the kernel's time, as ticks, less
     * the offset is at or a little after it (the guest read its count first). */
    uint64_t behind = ns_to_ticks(now) - GUEST_OFFSET - guest_count;
    if (behind > frequency) {
        tessera_printf("clock: the guest's count is %lu ticks away from time - offset\n", behind);
        offset_ignored = false;
    }
    if (++rounds == ROUNDS) {
        finish();
        return false;
    }
    resumed_at = tessera_time_now_ns();
    return true;
}
