/*
 * The PD event loop (libmicrokit semantics): init() once, then every IRQ the PD owns is acked
 * (IRQs start masked in the kernel), then one blocking receive at a time. A notification word
 * calls notified() for every set bit in ascending order; a PPC calls protected() and replies
 * with its result; a fault of a child calls fault() and replies only if it returns true. A
 * deferred notify/irq_ack is fused with the next receive.
 */
#include <microkit.h>

char microkit_name[MICROKIT_PD_NAME_LENGTH] __attribute__((section(".data"))) = "unnamed";
uint8_t microkit_passive __attribute__((section(".data"))) = 0;
uint64_t microkit_irqs __attribute__((section(".data"))) = 0;
uint64_t microkit_notifications __attribute__((section(".data"))) = 0;
uint64_t microkit_pps __attribute__((section(".data"))) = 0;
uint64_t microkit_deferred_action;

__attribute__((weak)) microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
    (void)msginfo;
    microkit_internal_crash(ch, "PPC received but the PD has no protected() entry point");
    return microkit_msginfo_new(0, 0);
}

__attribute__((weak)) bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    (void)msginfo;
    (void)reply_msginfo;
    microkit_internal_crash(child, "fault of a child received but the PD has no fault() entry point");
    return false;
}

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

microkit_msginfo microkit_ppcall(microkit_channel ch, microkit_msginfo msginfo)
{
    if (ch >= MICROKIT_MAX_CHANNELS || !(microkit_pps & (1UL << ch))) {
        microkit_internal_crash(ch, "microkit_ppcall: invalid channel");
        return microkit_msginfo_new(0, 0);
    }
    struct tessera_event_regs regs = {0};
    regs.x[0] = ch;
    regs.x[1] = msginfo;
    load_mrs(&regs);
    tessera_syscall_event(SYS_PPCALL, &regs);
    store_mrs(&regs);
    return regs.x[1];
}

static void flush_deferred_action(void)
{
    uint64_t action = microkit_deferred_action;
    microkit_deferred_action = 0;
    if ((action & 0xff) == DEFERRED_NOTIFY) {
        tessera_syscall1(SYS_NOTIFY, action >> 8);
    } else if ((action & 0xff) == DEFERRED_IRQ_ACK) {
        tessera_syscall1(SYS_IRQ_ACK, action >> 8);
    }
}

static void handler_loop(void)
{
    bool have_reply = false;
    microkit_msginfo reply = 0;
    for (;;) {
        struct tessera_event_regs regs = {0};
        if (have_reply) {
            /* One action per entry point: a deferred one goes first, on its own. */
            flush_deferred_action();
            regs.x[1] = reply;
            load_mrs(&regs);
            tessera_syscall_event(SYS_REPLY_RECV, &regs);
        } else if (microkit_deferred_action != 0) {
            regs.x[0] = microkit_deferred_action;
            microkit_deferred_action = 0;
            tessera_syscall_event(SYS_SIGNAL_RECV, &regs);
        } else {
            regs.x[0] = 0;
            tessera_syscall_event(SYS_RECV, &regs);
        }
        have_reply = false;
        switch (regs.x[0]) {
        case EVENT_NOTIFY: {
            uint64_t word = regs.x[6];
            while (word != 0) {
                unsigned ch = (unsigned)__builtin_ctzll(word);
                word &= word - 1;
                notified(ch);
            }
            break;
        }
        case EVENT_PPC:
            store_mrs(&regs);
            reply = protected((microkit_channel)regs.x[6], regs.x[1]);
            have_reply = true;
            break;
        case EVENT_FAULT:
            store_mrs(&regs);
            have_reply = fault((microkit_child)regs.x[6], regs.x[1], &reply);
            break;
        default:
            microkit_internal_crash(regs.x[0], "unknown event from the kernel");
            break;
        }
    }
}

void tessera_pd_main(void)
{
    init();
    for (unsigned ch = 0; ch < MICROKIT_MAX_CHANNELS; ch++) {
        if (microkit_irqs & (1UL << ch)) {
            tessera_syscall1(SYS_IRQ_ACK, ch);
        }
    }
    handler_loop();
}

uint64_t tessera_tcb_read_registers(microkit_child child, uint64_t *regs, unsigned count)
{
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
    for (unsigned i = 0; i < count && i < TESSERA_MSG_MAX_WORDS; i++) {
        microkit_mr_set((uint8_t)i, regs[i]);
    }
    return tessera_syscall3(SYS_TCB_WRITE, child, resume, count);
}
