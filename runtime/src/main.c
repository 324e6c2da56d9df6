/*
 * The PD event loop (libmicrokit semantics): constructors (.init_array), then init() once, then
 * every IRQ the PD owns is acked (IRQs start masked in the kernel), then one blocking receive at
 * a time. A notification word calls notified() for every set bit in ascending order; a PPC calls
 * protected() and replies with its result; a fault of a child calls fault() and replies only if
 * it returns true. A deferred notify/irq_ack is sent with the next receive.
 */
#include <stddef.h>
#include <microkit.h>
#include "internal.h"

char microkit_name[MICROKIT_PD_NAME_LENGTH] __attribute__((section(".data"))) = "unnamed";
uint8_t microkit_passive __attribute__((section(".data"))) = 0;
seL4_Word microkit_irqs __attribute__((section(".data"))) = 0;
seL4_Word microkit_notifications __attribute__((section(".data"))) = 0;
seL4_Word microkit_pps __attribute__((section(".data"))) = 0;

/* Read by crt0.S, which cannot include the C header that defines it. */
const uint64_t tessera_stack_top = TESSERA_PD_STACK_TOP;

seL4_Bool microkit_have_signal = seL4_False;
seL4_CPtr microkit_signal_cap;
seL4_MessageInfo_t microkit_signal_msg;

__attribute__((weak)) microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
    (void)msginfo;
    tessera_crash("PPC received but the PD has no protected() entry point; channel", ch);
}

__attribute__((weak)) seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    (void)msginfo;
    (void)reply_msginfo;
    tessera_crash("fault of a child received but the PD has no fault() entry point; child", child);
}

/* A message's register count, refused above what the kernel carries: seL4 would pass up to
 * 120, so a bigger count is a program written for more than Tessera has, never cut short. */
static uint64_t checked_count(const char *what, microkit_msginfo msginfo)
{
    uint64_t count = microkit_msginfo_get_count(msginfo);
    if (count > TESSERA_MSG_MAX_WORDS) {
        tessera_crash(what, count);
    }
    return count;
}

/* MR0..MR3 travel in x2..x5 (abi.h); the kernel copies the rest between IPC buffers. */
static void load_mrs(struct tessera_event_regs *regs)
{
    for (unsigned i = 0; i < 4; i++) {
        regs->x[2 + i] = microkit_mr_get((uint8_t)i);
    }
}

static void store_mrs(const struct tessera_event_regs *regs)
{
    for (unsigned i = 0; i < 4; i++) {
        microkit_mr_set((uint8_t)i, regs->x[2 + i]);
    }
}

static microkit_msginfo msginfo_of_word(uint64_t word)
{
    microkit_msginfo msginfo = {{word}};
    return msginfo;
}

microkit_msginfo microkit_ppcall(microkit_channel ch, microkit_msginfo msginfo)
{
    if (!tessera_channel_in(microkit_pps, ch)) {
        tessera_invalid_channel("microkit_ppcall", ch);
        return microkit_msginfo_new(0, 0);
    }
    checked_count("microkit_ppcall: more message registers than Tessera's 64", msginfo);
    struct tessera_event_regs regs = {0};
    regs.x[0] = ch;
    regs.x[1] = msginfo.words[0];
    load_mrs(&regs);
    tessera_syscall_event(SYS_PPCALL, &regs);
    store_mrs(&regs);
    return msginfo_of_word(regs.x[1]);
}

/* The pending signal as the kernel's deferred-action word (op | id << 8), or 0 if there is none
 * or it names no channel or IRQ of this PD (then it is reported and dropped, as seL4 would fail
 * the send on an empty slot). Clears the pending signal. */
static __attribute__((noinline)) uint64_t decode_deferred_action(void)
{
    microkit_have_signal = seL4_False;
    seL4_CPtr cap = microkit_signal_cap;
    if (cap >= BASE_OUTPUT_NOTIFICATION_CAP && cap - BASE_OUTPUT_NOTIFICATION_CAP < MICROKIT_MAX_CHANNELS &&
        tessera_channel_in(microkit_notifications, (microkit_channel)(cap - BASE_OUTPUT_NOTIFICATION_CAP))) {
        return DEFERRED_NOTIFY | ((cap - BASE_OUTPUT_NOTIFICATION_CAP) << 8);
    }
    if (cap >= BASE_IRQ_CAP && cap - BASE_IRQ_CAP < MICROKIT_MAX_CHANNELS &&
        tessera_channel_in(microkit_irqs, (microkit_channel)(cap - BASE_IRQ_CAP))) {
        return DEFERRED_IRQ_ACK | ((cap - BASE_IRQ_CAP) << 8);
    }
    tessera_invalid_channel("deferred signal (microkit_signal_cap names no channel or IRQ of this PD)",
                            (microkit_channel)cap);
    return 0;
}

/* The common case, no signal, without a call: this is on the path of every event. */
static inline __attribute__((always_inline)) uint64_t take_deferred_action(void)
{
    return microkit_have_signal ? decode_deferred_action() : 0;
}

/* Before a reply: the deferred signal goes first, on its own (one action per entry point). */
static void flush_deferred_action(void)
{
    uint64_t action = take_deferred_action();
    if ((action & 0xff) == DEFERRED_NOTIFY) {
        tessera_syscall1(SYS_NOTIFY, action >> 8);
    } else if ((action & 0xff) == DEFERRED_IRQ_ACK) {
        tessera_syscall1(SYS_IRQ_ACK, action >> 8);
    }
}

static void deliver_notifications(uint64_t word)
{
    while (word != 0) {
        unsigned ch = (unsigned)__builtin_ctzll(word);
        word &= word - 1;
        notified(ch);
    }
}

/* One receive (fused with the reply or the deferred signal there is), then the entry point for
 * what arrived. Returns whether the next receive carries a reply, which it leaves in *reply.
 * Inlined into the loop: it is the path of every event, and the IPC benchmarks count it. */
static inline __attribute__((always_inline)) bool event_step(bool have_reply, microkit_msginfo *reply)
{
    struct tessera_event_regs regs = {0};
    if (have_reply) {
        flush_deferred_action();
        regs.x[1] = reply->words[0];
        load_mrs(&regs);
        tessera_syscall_event(SYS_REPLY_RECV, &regs);
    } else {
        uint64_t action = take_deferred_action();
        regs.x[0] = action;
        tessera_syscall_event(action != 0 ? SYS_SIGNAL_RECV : SYS_RECV, &regs);
    }
    switch (regs.x[0]) {
    case EVENT_NOTIFY:
        deliver_notifications(regs.x[6]);
        return false;
    case EVENT_PPC:
        store_mrs(&regs);
        *reply = protected((microkit_channel)regs.x[6], msginfo_of_word(regs.x[1]));
        checked_count("protected() replied with more message registers than Tessera's 64", *reply);
        return true;
    case EVENT_FAULT:
        store_mrs(&regs);
        *reply = microkit_msginfo_new(0, 0);
        if (!fault((microkit_child)regs.x[6], msginfo_of_word(regs.x[1]), reply)) {
            return false;
        }
        checked_count("fault() replied with more message registers than Tessera's 64", *reply);
        return true;
    default:
        tessera_crash("unknown event from the kernel", regs.x[0]);
    }
}

bool tessera_event_step(bool have_reply, microkit_msginfo *reply)
{
    return event_step(have_reply, reply);
}

/* Constructors, in link order (runtime/pd.ld sorts them by priority), as Microkit runs them. */
extern const tessera_constructor __init_array_start[];
extern const tessera_constructor __init_array_end[];

void tessera_run_constructors(const tessera_constructor *start, const tessera_constructor *end)
{
    for (const tessera_constructor *c = start; c < end; c++) {
        (*c)();
    }
}

/* IRQs start masked in the kernel: each the PD owns is acked once it can take them. */
void tessera_ack_own_irqs(void)
{
    for (unsigned ch = 0; ch < MICROKIT_MAX_CHANNELS; ch++) {
        if (tessera_channel_in(microkit_irqs, ch)) {
            tessera_syscall1(SYS_IRQ_ACK, ch);
        }
    }
}

void tessera_pd_start(const tessera_constructor *start, const tessera_constructor *end)
{
    tessera_run_constructors(start, end);
    init();
    tessera_ack_own_irqs();
}

void tessera_pd_main(void)
{
    tessera_pd_start(__init_array_start, __init_array_end);
    bool have_reply = false;
    microkit_msginfo reply = microkit_msginfo_new(0, 0);
    for (;;) {
        have_reply = event_step(have_reply, &reply);
    }
}

uint64_t tessera_tcb_read_registers(microkit_child child, uint64_t *regs, unsigned count)
{
    if (count > TESSERA_USER_CONTEXT_WORDS) {
        return TESSERA_INVALID_ARGUMENT;
    }
    uint64_t error = tessera_syscall2(SYS_TCB_READ, child, count);
    if (error == TESSERA_OK) {
        for (unsigned i = 0; i < count; i++) {
            regs[i] = microkit_mr_get((uint8_t)i);
        }
    }
    return error;
}

uint64_t tessera_tcb_write_registers(microkit_child child, bool resume, const uint64_t *regs, unsigned count)
{
    if (count > TESSERA_USER_CONTEXT_WORDS) {
        return TESSERA_INVALID_ARGUMENT;
    }
    for (unsigned i = 0; i < count; i++) {
        microkit_mr_set((uint8_t)i, regs[i]);
    }
    return tessera_syscall3(SYS_TCB_WRITE, child, resume, count);
}
