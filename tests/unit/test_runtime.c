/*
 * The PD runtime (runtime/) on the host, over a fake kernel: every system call it makes is
 * recorded and answered as the test says (tests/unit/fake_runtime). Covers the Microkit API
 * additions (<sel4/sel4.h> types, msginfo, put8/put32, pd_resume, the signal variables and cap
 * names, arm_smc_call), the message-register bound (never wraps), crashes that never return,
 * channel ids 0..61, and constructors before init().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <microkit.h>
#include "../../runtime/src/internal.h"

struct tessera_ipc_buffer test_ipc_buffer;

/* ---- the fake kernel ---- */

#define MAX_CALLS 64
struct call {
    uint64_t number;
    uint64_t x[7];
};

static struct call calls[MAX_CALLS];
static unsigned call_count;
static char console[4096]; /* what SYS_DEBUG_WRITE and SYS_DEBUG_PUTC printed */
static size_t console_length;

/* Answers to the receive family (RECV, REPLY_RECV, SIGNAL_RECV), in order; when they run out
 * the test ends its event loop through `loop_end`. */
static struct tessera_event_regs events[8];
static unsigned event_count, event_next;
static jmp_buf loop_end;
static bool loop_armed;

/* What PPCALL, SMC and the other calls return in x0..x6. */
static struct tessera_event_regs ppcall_answer, smc_answer;
static uint64_t child_ctl_error;

/* tessera_stop_self lands here instead of a breakpoint. */
static jmp_buf stopped;
static bool stop_armed;
static uint64_t stop_error;

static void reset(void)
{
    memset(calls, 0, sizeof(calls));
    call_count = 0;
    memset(console, 0, sizeof(console));
    console_length = 0;
    event_count = event_next = 0;
    loop_armed = stop_armed = false;
    memset(&test_ipc_buffer, 0, sizeof(test_ipc_buffer));
    memset(&ppcall_answer, 0, sizeof(ppcall_answer));
    memset(&smc_answer, 0, sizeof(smc_answer));
    child_ctl_error = TESSERA_OK;
    snprintf(microkit_name, sizeof(microkit_name), "tester");
    microkit_irqs = microkit_notifications = microkit_pps = 0;
    microkit_have_signal = seL4_False;
    microkit_signal_cap = 0;
    tessera_pd_smc = 0;
}

static void print_to_console(const char *text, size_t length)
{
    assert_true(console_length + length < sizeof(console));
    memcpy(console + console_length, text, length);
    console_length += length;
}

void fake_syscall(uint64_t number, struct tessera_event_regs *regs)
{
    assert_true(call_count < MAX_CALLS);
    calls[call_count].number = number;
    memcpy(calls[call_count].x, regs->x, sizeof(regs->x));
    call_count++;
    switch (number) {
    case SYS_DEBUG_WRITE:
        assert_true(regs->x[0] <= TESSERA_DEBUG_TEXT_MAX);
        print_to_console(test_ipc_buffer.debug_text, regs->x[0]);
        regs->x[0] = TESSERA_OK;
        return;
    case SYS_DEBUG_PUTC: {
        char c = (char)regs->x[0];
        print_to_console(&c, 1);
        return;
    }
    case SYS_RECV:
    case SYS_REPLY_RECV:
    case SYS_SIGNAL_RECV:
        if (event_next == event_count) {
            assert_true(loop_armed);
            longjmp(loop_end, 1);
        }
        *regs = events[event_next++];
        return;
    case SYS_PPCALL:
        *regs = ppcall_answer;
        return;
    case SYS_SMC:
        *regs = smc_answer;
        return;
    case SYS_CHILD_CTL:
        regs->x[0] = child_ctl_error;
        return;
    default:
        regs->x[0] = TESSERA_OK;
        return;
    }
}

void tessera_stop_self(uint64_t error)
{
    stop_error = error;
    assert_true(stop_armed);
    longjmp(stopped, 1);
}

/* Runs `statement`; true if the PD stopped in it (tessera_stop_self). */
#define STOPS(statement)                      \
    ({                                        \
        stop_armed = true;                    \
        bool stopped_ = setjmp(stopped) != 0; \
        if (!stopped_) {                      \
            statement;                        \
        }                                     \
        stop_armed = false;                   \
        stopped_;                             \
    })

static unsigned count_calls(uint64_t number)
{
    unsigned n = 0;
    for (unsigned i = 0; i < call_count; i++) {
        n += calls[i].number == number;
    }
    return n;
}

static const struct call *first_call(uint64_t number)
{
    for (unsigned i = 0; i < call_count; i++) {
        if (calls[i].number == number) {
            return &calls[i];
        }
    }
    fail_msg("no system call %llu was made", (unsigned long long)number);
    return NULL;
}

/* ---- the PD's entry points, as each test sets them ---- */

static char trace[256]; /* what the entry points saw, in order */
static microkit_msginfo protected_reply;
static seL4_Bool fault_answer;
static int protected_defers = -1; /* a channel protected() defers a notify on, or -1 */
static microkit_child fault_child;

static void note(const char *what)
{
    strncat(trace, what, sizeof(trace) - strlen(trace) - 1);
}

void init(void)
{
    note("init;");
}

void notified(microkit_channel ch)
{
    char text[16];
    snprintf(text, sizeof(text), "n%u;", ch);
    note(text);
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
    char text[48];
    snprintf(text, sizeof(text), "p%u:%lu:%lu;", ch, microkit_msginfo_get_label(msginfo),
             microkit_msginfo_get_count(msginfo));
    note(text);
    if (protected_defers >= 0) {
        microkit_deferred_notify((microkit_channel)protected_defers);
    }
    return protected_reply;
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    (void)msginfo;
    fault_child = child;
    *reply_msginfo = microkit_msginfo_new(0, 0);
    return fault_answer;
}

static int setup(void **state)
{
    (void)state;
    reset();
    trace[0] = '\0';
    protected_reply = microkit_msginfo_new(0, 0);
    fault_answer = seL4_False;
    protected_defers = -1;
    return 0;
}

/* Run the event loop over the queued events until they run out. */
static void run_events(void)
{
    loop_armed = true;
    if (setjmp(loop_end) == 0) {
        bool have_reply = false;
        microkit_msginfo reply = microkit_msginfo_new(0, 0);
        for (;;) {
            have_reply = tessera_event_step(have_reply, &reply);
        }
    }
    loop_armed = false;
}

static void queue_event(uint64_t kind, uint64_t msginfo, uint64_t x6)
{
    assert_true(event_count < 8);
    events[event_count++] = (struct tessera_event_regs){{kind, msginfo, 0, 0, 0, 0, x6}};
}

/* ---- <sel4/sel4.h> ---- */

static void sel4_types_have_sel4_sizes_and_values(void **state)
{
    (void)state;
    assert_int_equal(sizeof(seL4_Word), 8);
    assert_int_equal(sizeof(seL4_Bool), 1);
    assert_true((seL4_Bool)-1 < 0); /* signed, as seL4's */
    assert_int_equal(seL4_True, 1);
    assert_int_equal(seL4_False, 0);
    assert_int_equal(seL4_NoError, 0);
    assert_int_equal(seL4_InvalidArgument, TESSERA_INVALID_ARGUMENT);
    assert_int_equal(seL4_DeleteFirst, TESSERA_DELETE_FIRST);
    assert_int_equal(seL4_MsgMaxLength, 64);
    assert_int_equal(sizeof(seL4_MessageInfo_t), 8);
    assert_int_equal(sizeof(seL4_ARM_SMCContext), 8 * 8);
    assert_int_equal(offsetof(seL4_ARM_SMCContext, x7), 7 * 8);
    /* seL4_UserContext in the kernel's TCB_READ order */
    assert_int_equal(sizeof(seL4_UserContext), TESSERA_USER_CONTEXT_WORDS * 8);
    assert_int_equal(offsetof(seL4_UserContext, pc), UCTX_PC * 8);
    assert_int_equal(offsetof(seL4_UserContext, x0), UCTX_X0 * 8);
    assert_int_equal(offsetof(seL4_UserContext, x16), UCTX_X16 * 8);
    assert_int_equal(offsetof(seL4_UserContext, x9), UCTX_X9 * 8);
    assert_int_equal(offsetof(seL4_UserContext, x19), UCTX_X19 * 8);
    assert_int_equal(offsetof(seL4_UserContext, tpidrro_el0), UCTX_TPIDRRO_EL0 * 8);
    assert_int_equal(seL4_Fault_VMFault, FAULT_VM);
    assert_int_equal(seL4_Fault_UserException, FAULT_USER_EXCEPTION);
#if !defined(CONFIG_ARCH_AARCH64) || !defined(CONFIG_DEBUG_BUILD) || !defined(CONFIG_PRINTING) || \
    !defined(CONFIG_ARM_HYPERVISOR_SUPPORT) || !defined(CONFIG_ALLOW_SMC_CALLS)
    fail_msg("a configuration name Microkit programs test is missing");
#endif
#if defined(CONFIG_ARCH_X86_64) || defined(CONFIG_ARCH_RISCV) || defined(CONFIG_VTX)
    fail_msg("a configuration name for another architecture is defined");
#endif
}

static void message_info_has_sel4s_layout(void **state)
{
    (void)state;
    seL4_MessageInfo_t info = seL4_MessageInfo_new(0x123, 0, 0, 5);
    assert_int_equal(info.words[0], (0x123ULL << 12) | 5);
    assert_int_equal(seL4_MessageInfo_get_label(info), 0x123);
    assert_int_equal(seL4_MessageInfo_get_length(info), 5);
    /* the label is 52 bits, the length 7, as in seL4: wider values are cut to the field */
    info = seL4_MessageInfo_new(~0ULL, 0, 0, 0x85);
    assert_int_equal(seL4_MessageInfo_get_label(info), (1ULL << 52) - 1);
    assert_int_equal(seL4_MessageInfo_get_length(info), 5);
    info = seL4_MessageInfo_set_label(info, 7);
    info = seL4_MessageInfo_set_length(info, 64);
    assert_int_equal(seL4_MessageInfo_get_label(info), 7);
    assert_int_equal(seL4_MessageInfo_get_length(info), 64);
    /* microkit_msginfo is the same type */
    microkit_msginfo m = microkit_msginfo_new(42, 9);
    assert_int_equal(m.words[0], seL4_MessageInfo_new(42, 0, 0, 9).words[0]);
    assert_int_equal(microkit_msginfo_get_label(m), 42);
    assert_int_equal(microkit_msginfo_get_count(m), 9);
}

/* ---- message registers: 0..63, never wrapping ---- */

static void message_registers_0_to_63_work(void **state)
{
    (void)state;
    for (int i = 0; i < 64; i++) {
        microkit_mr_set((seL4_Uint8)i, 1000 + (seL4_Word)i);
    }
    for (int i = 0; i < 64; i++) {
        assert_int_equal(microkit_mr_get((seL4_Uint8)i), 1000 + i);
        assert_int_equal(seL4_GetMR(i), 1000 + i);
    }
    seL4_SetMR(63, 7);
    assert_int_equal(test_ipc_buffer.mrs[63], 7);
}

static void message_register_64_stops_the_pd_and_never_wraps(void **state)
{
    (void)state;
    microkit_mr_set(0, 11);
    assert_true(STOPS(microkit_mr_set(64, 99)));
    assert_int_equal(test_ipc_buffer.mrs[0], 11); /* MR0 untouched */
    assert_non_null(
        strstr(console, "tester: error: seL4_SetMR: message register 64 does not exist (Tessera has 0..63)"));
    assert_true(STOPS(microkit_mr_get(200)));
    assert_true(STOPS(seL4_SetMR(-1, 1)));
    assert_true(STOPS(seL4_GetMR(120)));
    assert_int_equal(stop_error, 120);
}

static void ppcall_with_more_than_64_registers_stops_the_pd(void **state)
{
    (void)state;
    microkit_pps = 1ULL << 3;
    assert_true(STOPS(microkit_ppcall(3, microkit_msginfo_new(1, 65))));
    assert_int_equal(count_calls(SYS_PPCALL), 0);
    assert_non_null(strstr(console, "microkit_ppcall: more message registers than Tessera's 64 (65)"));
    /* 64 is fine: MR0..MR3 go in registers, the reply's come back */
    microkit_mr_set(0, 5);
    ppcall_answer = (struct tessera_event_regs){{0, microkit_msginfo_new(8, 1).words[0], 10, 0, 0, 0, 0}};
    microkit_msginfo reply = microkit_ppcall(3, microkit_msginfo_new(7, 64));
    assert_int_equal(microkit_msginfo_get_label(reply), 8);
    assert_int_equal(microkit_mr_get(0), 10);
    const struct call *c = first_call(SYS_PPCALL);
    assert_int_equal(c->x[0], 3);
    assert_int_equal(c->x[2], 5);
}

static void protected_reply_above_64_registers_stops_the_pd(void **state)
{
    (void)state;
    queue_event(EVENT_PPC, microkit_msginfo_new(4, 2).words[0], 7);
    protected_reply = microkit_msginfo_new(0, 100);
    bool stopped_in_loop = STOPS(run_events());
    assert_true(stopped_in_loop);
    assert_string_equal(trace, "p7:4:2;");
    assert_non_null(strstr(console, "protected() replied with more message registers than Tessera's 64 (100)"));
}

/* ---- crashes ---- */

static void internal_crash_never_returns(void **state)
{
    (void)state;
    assert_true(STOPS(microkit_internal_crash(seL4_IllegalOperation)));
    assert_int_equal(stop_error, seL4_IllegalOperation);
    assert_true(STOPS(tessera_crash("something broke", 17)));
    assert_non_null(strstr(console, "tester: error: something broke (17)\n"));
}

/* ---- channels 0..61 ---- */

static void channel_ids_are_0_to_61(void **state)
{
    (void)state;
    assert_int_equal(MICROKIT_MAX_CHANNELS, 62);
    assert_int_equal(MICROKIT_MAX_CHANNEL_ID, 61);
    assert_true(tessera_channel_in(1ULL << 61, 61));
    assert_false(tessera_channel_in(1ULL << 62, 62));
    assert_false(tessera_channel_in(~0ULL, 62));
    assert_false(tessera_channel_in(~0ULL, 10000));
}

static void notify_and_irq_ack_check_the_channel(void **state)
{
    (void)state;
    microkit_notifications = (1ULL << 2) | (1ULL << 61);
    microkit_irqs = 1ULL << 5;
    microkit_notify(61);
    microkit_irq_ack(5);
    assert_int_equal(first_call(SYS_NOTIFY)->x[0], 61);
    assert_int_equal(first_call(SYS_IRQ_ACK)->x[0], 5);
    /* invalid: told and returned, nothing sent (Microkit's behaviour) */
    microkit_notify(10000);
    microkit_notify(5);
    microkit_irq_ack(2);
    assert_int_equal(count_calls(SYS_NOTIFY), 1);
    assert_int_equal(count_calls(SYS_IRQ_ACK), 1);
    assert_non_null(strstr(console, "tester: microkit_notify: invalid channel 10000\n"));
    assert_non_null(strstr(console, "tester: microkit_notify: invalid channel 5\n"));
    assert_non_null(strstr(console, "tester: microkit_irq_ack: invalid channel 2\n"));
}

/* ---- deferred signals: Microkit's variables ---- */

static void deferred_notify_sets_microkits_signal_variables(void **state)
{
    (void)state;
    microkit_notifications = 1ULL << 4;
    microkit_irqs = 1ULL << 9;
    microkit_deferred_notify(4);
    assert_true(microkit_have_signal);
    assert_int_equal(microkit_signal_cap, BASE_OUTPUT_NOTIFICATION_CAP + 4);
    microkit_deferred_irq_ack(9);
    assert_int_equal(microkit_signal_cap, BASE_IRQ_CAP + 9);
    microkit_have_signal = seL4_False;
    microkit_deferred_notify(9); /* an IRQ, not a channel */
    assert_false(microkit_have_signal);
    assert_non_null(strstr(console, "microkit_deferred_notify: invalid channel 9"));
}

static void deferred_signal_goes_with_the_next_receive(void **state)
{
    (void)state;
    microkit_notifications = 1ULL << 4;
    microkit_irqs = 1ULL << 9;
    microkit_deferred_notify(4);
    run_events();
    assert_false(microkit_have_signal);
    const struct call *c = first_call(SYS_SIGNAL_RECV);
    assert_int_equal(c->x[0], DEFERRED_NOTIFY | (4 << 8));
    /* an IRQ ack the same way, set through the variables as sDDF may */
    reset();
    microkit_irqs = 1ULL << 9;
    microkit_have_signal = seL4_True;
    microkit_signal_cap = BASE_IRQ_CAP + 9;
    run_events();
    assert_int_equal(first_call(SYS_SIGNAL_RECV)->x[0], DEFERRED_IRQ_ACK | (9 << 8));
}

static void deferred_signal_on_no_channel_is_dropped_and_told(void **state)
{
    (void)state;
    microkit_have_signal = seL4_True;
    microkit_signal_cap = BASE_IRQ_CAP + 3; /* not this PD's */
    run_events();
    assert_int_equal(count_calls(SYS_SIGNAL_RECV), 0);
    assert_int_equal(count_calls(SYS_RECV), 1);
    assert_false(microkit_have_signal);
    assert_non_null(strstr(console, "microkit_signal_cap names no channel or IRQ of this PD"));
}

static void deferred_signal_is_sent_before_a_reply(void **state)
{
    (void)state;
    microkit_notifications = 1ULL << 1;
    queue_event(EVENT_PPC, microkit_msginfo_new(3, 0).words[0], 2);
    protected_reply = microkit_msginfo_new(4, 1);
    protected_defers = 1;
    run_events();
    assert_string_equal(trace, "p2:3:0;");
    /* the notify on its own first, then the reply with its receive */
    assert_int_equal(calls[0].number, SYS_RECV);
    assert_int_equal(calls[1].number, SYS_NOTIFY);
    assert_int_equal(calls[1].x[0], 1);
    assert_int_equal(calls[2].number, SYS_REPLY_RECV);
    assert_int_equal(calls[2].x[1], microkit_msginfo_new(4, 1).words[0]);
    assert_false(microkit_have_signal);
}

/* ---- the event loop ---- */

static void notification_word_calls_notified_in_order(void **state)
{
    (void)state;
    queue_event(EVENT_NOTIFY, 0, (1ULL << 0) | (1ULL << 7) | (1ULL << 61));
    run_events();
    assert_string_equal(trace, "n0;n7;n61;");
}

static void fault_replies_only_when_fault_returns_true(void **state)
{
    (void)state;
    queue_event(EVENT_FAULT, seL4_MessageInfo_new(FAULT_VM, 0, 0, 4).words[0], 3);
    fault_answer = seL4_False;
    run_events();
    assert_int_equal(fault_child, 3);
    assert_int_equal(count_calls(SYS_REPLY_RECV), 0);
    reset();
    queue_event(EVENT_FAULT, seL4_MessageInfo_new(FAULT_VM, 0, 0, 4).words[0], 3);
    fault_answer = seL4_True;
    run_events();
    assert_int_equal(count_calls(SYS_REPLY_RECV), 1);
}

/* ---- start: constructors, init, IRQs ---- */

static void first_constructor(void)
{
    note("ctor1;");
}

static void second_constructor(void)
{
    note("ctor2;");
}

static void constructors_run_before_init_in_order(void **state)
{
    (void)state;
    static const tessera_constructor constructors[] = {first_constructor, second_constructor};
    microkit_irqs = (1ULL << 3) | (1ULL << 61);
    tessera_pd_start(constructors, constructors + 2);
    assert_string_equal(trace, "ctor1;ctor2;init;");
    /* IRQs acked after init, each once */
    assert_int_equal(count_calls(SYS_IRQ_ACK), 2);
    assert_int_equal(calls[0].x[0], 3);
    assert_int_equal(calls[1].x[0], 61);
    /* none at all is fine */
    trace[0] = '\0';
    tessera_pd_start(constructors, constructors);
    assert_string_equal(trace, "init;");
}

/* ---- children, SMC, output ---- */

static void pd_resume_stop_restart_reach_the_kernel(void **state)
{
    (void)state;
    microkit_pd_resume(2);
    microkit_pd_stop(2);
    microkit_pd_restart(2, 0x200000);
    assert_int_equal(count_calls(SYS_CHILD_CTL), 3);
    assert_int_equal(calls[0].x[0], 2);
    assert_int_equal(calls[0].x[1], CHILD_RESUME);
    assert_int_equal(calls[1].x[1], CHILD_STOP);
    assert_int_equal(calls[2].x[1], CHILD_RESTART);
    assert_int_equal(calls[2].x[2], 0x200000);
    /* an error the kernel gives stops the PD, as in Microkit */
    child_ctl_error = TESSERA_INVALID_ARGUMENT;
    assert_true(STOPS(microkit_pd_resume(9)));
    assert_non_null(strstr(console, "tester: error: microkit_pd_resume (1)"));
}

static void arm_smc_call_passes_x0_to_x6_and_returns_x0_to_x3(void **state)
{
    (void)state;
    seL4_ARM_SMCContext args = {0x84000000, 1, 2, 3, 4, 5, 6, 0};
    seL4_ARM_SMCContext response;
    /* without smc="true": the PD stops, nothing is called */
    assert_true(STOPS(microkit_arm_smc_call(&args, &response)));
    assert_int_equal(count_calls(SYS_SMC), 0);
    assert_non_null(strstr(console, "the PD may not make SMC calls"));
    tessera_pd_smc = 1;
    smc_answer = (struct tessera_event_regs){{0x10001, 11, 12, 13, 99, 99, 99}};
    memset(&response, 0xff, sizeof(response));
    microkit_arm_smc_call(&args, &response);
    const struct call *c = first_call(SYS_SMC);
    for (unsigned i = 0; i < 7; i++) {
        assert_int_equal(c->x[i], i == 0 ? 0x84000000 : i);
    }
    assert_int_equal(response.x0, 0x10001);
    assert_int_equal(response.x1, 11);
    assert_int_equal(response.x3, 13);
    assert_int_equal(response.x4, 0);
    assert_int_equal(response.x7, 0);
    /* x7 cannot be passed: refused, not dropped */
    args.x7 = 1;
    assert_true(STOPS(microkit_arm_smc_call(&args, &response)));
    assert_int_equal(count_calls(SYS_SMC), 1);
}

static void dbg_put8_and_put32_print_decimal(void **state)
{
    (void)state;
    microkit_dbg_put8(0);
    microkit_dbg_puts(",");
    microkit_dbg_put8(255);
    microkit_dbg_puts(",");
    microkit_dbg_put32(0);
    microkit_dbg_puts(",");
    microkit_dbg_put32(4294967295U);
    microkit_dbg_puts(",");
    microkit_dbg_put32(1000000);
    microkit_dbg_putc('!');
    seL4_DebugPutChar('\n');
    assert_string_equal(console, "0,255,0,4294967295,1000000!\n");
}

static void tcb_registers_refuse_more_than_a_context(void **state)
{
    (void)state;
    uint64_t regs[40] = {0};
    assert_int_equal(tessera_tcb_read_registers(1, regs, 37), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(tessera_tcb_write_registers(1, true, regs, 37), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(call_count, 0);
    assert_int_equal(tessera_tcb_read_registers(1, regs, 36), TESSERA_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(sel4_types_have_sel4_sizes_and_values, setup),
        cmocka_unit_test_setup(message_info_has_sel4s_layout, setup),
        cmocka_unit_test_setup(message_registers_0_to_63_work, setup),
        cmocka_unit_test_setup(message_register_64_stops_the_pd_and_never_wraps, setup),
        cmocka_unit_test_setup(ppcall_with_more_than_64_registers_stops_the_pd, setup),
        cmocka_unit_test_setup(protected_reply_above_64_registers_stops_the_pd, setup),
        cmocka_unit_test_setup(internal_crash_never_returns, setup),
        cmocka_unit_test_setup(channel_ids_are_0_to_61, setup),
        cmocka_unit_test_setup(notify_and_irq_ack_check_the_channel, setup),
        cmocka_unit_test_setup(deferred_notify_sets_microkits_signal_variables, setup),
        cmocka_unit_test_setup(deferred_signal_goes_with_the_next_receive, setup),
        cmocka_unit_test_setup(deferred_signal_on_no_channel_is_dropped_and_told, setup),
        cmocka_unit_test_setup(deferred_signal_is_sent_before_a_reply, setup),
        cmocka_unit_test_setup(notification_word_calls_notified_in_order, setup),
        cmocka_unit_test_setup(fault_replies_only_when_fault_returns_true, setup),
        cmocka_unit_test_setup(constructors_run_before_init_in_order, setup),
        cmocka_unit_test_setup(pd_resume_stop_restart_reach_the_kernel, setup),
        cmocka_unit_test_setup(arm_smc_call_passes_x0_to_x6_and_returns_x0_to_x3, setup),
        cmocka_unit_test_setup(dbg_put8_and_put32_print_decimal, setup),
        cmocka_unit_test_setup(tcb_registers_refuse_more_than_a_context, setup),
    };
    return cmocka_run_group_tests_name("runtime", tests, NULL, NULL);
}
