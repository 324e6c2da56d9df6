/* The Microkit API end to end, as a Microkit program uses it (see microkit_api.system). */
#include <sel4/sel4.h>
#include <microkit.h>
#include "../common/ktest.h"
#include "common.h"

#define ECHO             0
#define PEER             61
#define PSCI_VERSION_FID 0x84000000

/* Patched by mksystem, all in .bss (Microkit programs leave them uninitialised). */
uint64_t filled_vaddr;
uint64_t filled_length;
uint64_t shared_vaddr;
uint64_t shared_size;
uint64_t crasher_id;
uint64_t echo_channel;
uint64_t peer_channel;

/* Constructors: run before init(), by priority, then plain ones. */
static char constructor_order[8];
static unsigned constructors_run;

static void record(char c)
{
    if (constructors_run < sizeof(constructor_order) - 1) {
        constructor_order[constructors_run++] = c;
    }
}

__attribute__((constructor(200))) static void second(void)
{
    record('b');
}

__attribute__((constructor(101))) static void first(void)
{
    record('a');
}

__attribute__((constructor)) static void last(void)
{
    record('c');
}

static volatile double third = 1.0 / 3.0;

static void check_setvars(void)
{
    KTEST_CHECK(filled_vaddr == 0x20000000 && shared_vaddr == 0x21000000 && shared_size == 0x1000, "setvar-bss-vaddr");
    const char *text = (const char *)filled_vaddr;
    static const char expected[] = "Tessera prefill: these bytes start the region\n";
    bool same = filled_length == sizeof(expected) - 1;
    for (uint64_t i = 0; same && i < filled_length; i++) {
        same = text[i] == expected[i];
    }
    /* the rest of the region is zero */
    KTEST_CHECK(same && text[filled_length] == 0 && text[0xfff] == 0, "prefill-region");
    KTEST_CHECK(crasher_id == 61 && echo_channel == 0 && peer_channel == 61, "setvar-id");
}

static void check_echo(void)
{
    for (int i = 0; i < ECHO_WORDS; i++) {
        seL4_SetMR(i, 1000 + (seL4_Word)i);
    }
    microkit_msginfo reply = microkit_ppcall(ECHO, microkit_msginfo_new(ECHO_LABEL, ECHO_WORDS));
    bool ok = microkit_msginfo_get_count(reply) == ECHO_WORDS && microkit_msginfo_get_label(reply) == ECHO_LABEL + 32;
    for (int i = 0; ok && i < ECHO_WORDS; i++) {
        ok = seL4_GetMR(i) == 1000 + (seL4_Word)(ECHO_WORDS - 1 - i) + 1;
    }
    tessera_printf("api: echo label 0x%lx count %lu mr0 %lu mr63 %lu\n", microkit_msginfo_get_label(reply),
                   microkit_msginfo_get_count(reply), seL4_GetMR(0), seL4_GetMR(63));
    KTEST_CHECK(ok, "ppc-64-message-registers");
}

/* v20 holds api's pattern across a notify that switches to fpu_peer, which writes its own. */
static void check_fp_switch(void)
{
    uint64_t after;
    register uint64_t x0 __asm__("x0") = PEER;
    register uint64_t x7 __asm__("x7") = SYS_NOTIFY;
    __asm__ volatile("fmov d20, %[pattern]\n\t"
                     "svc #0\n\t"
                     "fmov %[after], d20"
                     : [after] "=&r"(after), "+r"(x0)
                     : [pattern] "r"(FP_PATTERN_API), "r"(x7)
                     : "v20", "memory");
    const volatile struct peer_report *report = (const volatile struct peer_report *)shared_vaddr;
    tessera_printf("api: v20 0x%lx after the switch, fpu_peer saw 0x%lx (%lu notification)\n", after, report->v20_seen,
                   report->notifications);
    KTEST_CHECK(after == FP_PATTERN_API && report->notifications == 1 && report->v20_seen != FP_PATTERN_API,
                "fp-state-per-pd");
    double sum = 0;
    for (int i = 0; i < 3; i++) {
        sum += third;
    }
    KTEST_CHECK(sum > 0.999999 && sum < 1.000001, "fp-arithmetic");
}

static void check_smc(void)
{
    seL4_ARM_SMCContext args = {0};
    seL4_ARM_SMCContext response = {0};
    args.x0 = PSCI_VERSION_FID;
    microkit_arm_smc_call(&args, &response);
    tessera_printf("api: PSCI version %lu.%lu\n", (response.x0 >> 16) & 0xffff, response.x0 & 0xffff);
    KTEST_CHECK(response.x0 >= 0x10000 && response.x0 < 0x20000, "smc-psci-version");
}

/* A deferred notify through Microkit's variables goes with the next receive; a wrong channel
 * is told and nothing is sent. */
static void check_deferred(void)
{
    microkit_deferred_notify(PEER);
    KTEST_CHECK(microkit_have_signal && microkit_signal_cap == BASE_OUTPUT_NOTIFICATION_CAP + PEER,
                "deferred-signal-variables");
    microkit_notify(62);
}

void init(void)
{
    microkit_dbg_puts("api: put8 ");
    microkit_dbg_put8(255);
    microkit_dbg_puts(" put32 ");
    microkit_dbg_put32(4294967295U);
    microkit_dbg_puts("\n");
    constructor_order[constructors_run] = '\0';
    tessera_printf("api: constructors ran %s before init\n", constructor_order);
    KTEST_CHECK(constructors_run == 3 && constructor_order[0] == 'a' && constructor_order[1] == 'b' &&
                    constructor_order[2] == 'c',
                "constructors-before-init");
    check_setvars();
    check_echo();
    check_fp_switch();
    check_smc();
    check_deferred();
}

void notified(microkit_channel ch)
{
    (void)ch;
}

static unsigned crashes;

/* The child's three crashes: MR64, internal_crash (restarted each time), then internal_crash
 * resumed where it stopped, which must fault again. */
seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    (void)reply_msginfo;
    uint64_t label = microkit_msginfo_get_label(msginfo);
    uint64_t esr = seL4_GetMR(seL4_UserException_Number);
    crashes++;
    tessera_printf("api: child %u crash %u: label %lu ec 0x%lx\n", child, crashes, label, esr >> 26);
    bool breakpoint = child == 61 && label == seL4_Fault_UserException && (esr >> 26) == 0x3c;
    if (crashes == 1) {
        KTEST_CHECK(breakpoint, "mr64-stops-the-pd");
        microkit_pd_restart(child, 0x200000);
    } else if (crashes == 2) {
        KTEST_CHECK(breakpoint, "internal-crash-stops-the-pd");
        microkit_pd_stop(child);
        microkit_pd_resume(child);
    } else {
        KTEST_CHECK(breakpoint, "crash-never-returns");
        microkit_pd_stop(child);
        const volatile struct peer_report *report = (const volatile struct peer_report *)shared_vaddr;
        KTEST_CHECK(report->notifications == 2, "deferred-signal-sent");
        ktest_done();
    }
    return seL4_False;
}
