/*
 * The PD runtime API: libmicrokit's names, signatures and meanings (SPEC 5.3) on Tessera's
 * kernel. A program written for Microkit 2.x needs no source change beyond what touched seL4
 * directly (seL4 invocations; <sel4/sel4.h> says what of seL4 is here).
 *
 * Channel and IRQ ids are 0..61 (MICROKIT_MAX_CHANNEL_ID), as in Microkit; mksystem refuses
 * larger ones. A call on an id the PD was not given prints "<pd>: <call>: invalid channel <id>"
 * and returns, as Microkit's do. A kernel error on a call Microkit treats as fatal stops the PD
 * (microkit_internal_crash): its parent's fault() hears of it, or the kernel reports it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sel4/sel4.h>
#include <tessera/abi.h>
#include <tessera/syscall.h>

typedef unsigned int microkit_channel;
typedef unsigned int microkit_child;
typedef seL4_MessageInfo_t microkit_msginfo;

#define MICROKIT_MAX_CHANNELS   62
#define MICROKIT_MAX_CHANNEL_ID (MICROKIT_MAX_CHANNELS - 1)
#define MICROKIT_PD_NAME_LENGTH 64

/*
 * Microkit's slot numbers. Tessera has no capabilities: these are only names, kept so that code
 * which compares microkit_signal_cap with BASE_OUTPUT_NOTIFICATION_CAP + ch or BASE_IRQ_CAP + ch
 * (sDDF does) means the same here. The runtime turns a pending signal on one of those two
 * ranges into a notify or an IRQ ack; nothing else takes a cap number.
 */
#define MONITOR_EP                   5
#define BASE_OUTPUT_NOTIFICATION_CAP 10
#define BASE_ENDPOINT_CAP            74
#define BASE_IRQ_CAP                 138
#define BASE_TCB_CAP                 202
#define BASE_VM_TCB_CAP              266
#define BASE_VCPU_CAP                330

_Static_assert(MICROKIT_MAX_CHANNELS <= TESSERA_MSG_MAX_WORDS && MICROKIT_MAX_CHANNELS < 64,
               "channel ids index one 64-bit mask");

/* Entry points the PD provides. `protected` and `fault` are optional: the runtime's defaults
 * stop the PD with a message naming the missing one. */
void init(void);
void notified(microkit_channel ch);
microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo);
seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo);

/* Patched by mksystem. */
extern char microkit_name[MICROKIT_PD_NAME_LENGTH];
extern uint8_t microkit_passive;
extern seL4_Word microkit_irqs;
extern seL4_Word microkit_notifications;
extern seL4_Word microkit_pps;

/* One signal (notify or IRQ ack) waiting to be sent with the next receive, as in Microkit:
 * microkit_deferred_notify/irq_ack set these, the event loop sends it and clears the flag. */
extern seL4_Bool microkit_have_signal;
extern seL4_CPtr microkit_signal_cap;
extern seL4_MessageInfo_t microkit_signal_msg;

void microkit_dbg_putc(int c);
void microkit_dbg_puts(const char *s);
void microkit_dbg_put8(seL4_Uint8 x);
void microkit_dbg_put32(seL4_Uint32 x);

/* Stops the PD for good: it takes a fault its parent's fault() receives (or the kernel reports)
 * and, if resumed, faults again. Never returns. */
void microkit_internal_crash(seL4_Error err) __attribute__((noreturn));

/* The same with a message first: "<pd>: error: <what> (<error>)". */
void tessera_crash(const char *what, uint64_t error) __attribute__((noreturn));

/* "<pd>: <call>: invalid channel <ch>", for a call on an id the PD does not have. */
void tessera_invalid_channel(const char *call, microkit_channel ch);

/* Whether bit `ch` of one of the masks above is set; ids past 61 are no channel. */
static inline bool tessera_channel_in(seL4_Word mask, microkit_channel ch)
{
    return ch <= MICROKIT_MAX_CHANNEL_ID && ((mask >> ch) & 1) != 0;
}

static inline struct tessera_ipc_buffer *microkit_ipc_buffer(void)
{
    return TESSERA_RUNTIME_IPC_BUFFER;
}

static inline microkit_msginfo microkit_msginfo_new(seL4_Word label, seL4_Uint16 count)
{
    return seL4_MessageInfo_new(label, 0, 0, count);
}

static inline seL4_Word microkit_msginfo_get_label(microkit_msginfo msginfo)
{
    return seL4_MessageInfo_get_label(msginfo);
}

static inline seL4_Word microkit_msginfo_get_count(microkit_msginfo msginfo)
{
    return seL4_MessageInfo_get_length(msginfo);
}

/* Message registers 0..63; any other index stops the PD (seL4_SetMR/seL4_GetMR). */
static inline void microkit_mr_set(seL4_Uint8 mr, seL4_Word value)
{
    seL4_SetMR(mr, value);
}

static inline seL4_Word microkit_mr_get(seL4_Uint8 mr)
{
    return seL4_GetMR(mr);
}

static inline void microkit_notify(microkit_channel ch)
{
    if (!tessera_channel_in(microkit_notifications, ch)) {
        tessera_invalid_channel("microkit_notify", ch);
        return;
    }
    tessera_syscall1(SYS_NOTIFY, ch);
}

static inline void microkit_irq_ack(microkit_channel ch)
{
    if (!tessera_channel_in(microkit_irqs, ch)) {
        tessera_invalid_channel("microkit_irq_ack", ch);
        return;
    }
    tessera_syscall1(SYS_IRQ_ACK, ch);
}

/* One deferred signal per entry-point invocation: a second replaces the first (Microkit's rule). */
static inline void microkit_deferred_notify(microkit_channel ch)
{
    if (!tessera_channel_in(microkit_notifications, ch)) {
        tessera_invalid_channel("microkit_deferred_notify", ch);
        return;
    }
    microkit_have_signal = seL4_True;
    microkit_signal_msg = seL4_MessageInfo_new(0, 0, 0, 0);
    microkit_signal_cap = BASE_OUTPUT_NOTIFICATION_CAP + ch;
}

static inline void microkit_deferred_irq_ack(microkit_channel ch)
{
    if (!tessera_channel_in(microkit_irqs, ch)) {
        tessera_invalid_channel("microkit_deferred_irq_ack", ch);
        return;
    }
    microkit_have_signal = seL4_True;
    microkit_signal_msg = seL4_MessageInfo_new(0, 0, 0, 0);
    microkit_signal_cap = BASE_IRQ_CAP + ch;
}

/* A protected procedure call: MRs 0..count-1 go with it and the reply's come back. A count
 * above 64 stops the PD (Tessera carries 64 message registers, seL4 120; never truncated). */
microkit_msginfo microkit_ppcall(microkit_channel ch, microkit_msginfo msginfo);

static inline void tessera_child_control(const char *call, microkit_child child, uint64_t op, uint64_t pc)
{
    uint64_t error = tessera_syscall3(SYS_CHILD_CTL, child, op, pc);
    if (error != TESSERA_OK) {
        tessera_crash(call, error);
    }
}

/* Restart a child PD at entry_point (only the pc changes, as in Microkit). */
static inline void microkit_pd_restart(microkit_child pd, seL4_Word entry_point)
{
    tessera_child_control("microkit_pd_restart", pd, CHILD_RESTART, entry_point);
}

static inline void microkit_pd_stop(microkit_child pd)
{
    tessera_child_control("microkit_pd_stop", pd, CHILD_STOP, 0);
}

/* Resume a stopped child where it stopped. */
static inline void microkit_pd_resume(microkit_child pd)
{
    tessera_child_control("microkit_pd_resume", pd, CHILD_RESUME, 0);
}

static inline void microkit_vcpu_restart(microkit_child vcpu, seL4_Word entry_point)
{
    tessera_child_control("microkit_vcpu_restart", vcpu, CHILD_RESTART, entry_point);
}

static inline void microkit_vcpu_stop(microkit_child vcpu)
{
    tessera_child_control("microkit_vcpu_stop", vcpu, CHILD_STOP, 0);
}

static inline void microkit_vcpu_arm_inject_irq(microkit_child vcpu, seL4_Uint16 irq, seL4_Uint8 priority,
                                                seL4_Uint8 group, seL4_Uint8 index)
{
    uint64_t error = tessera_syscall2(SYS_VCPU_INJECT, vcpu, TESSERA_INJECT_WORD(irq, priority, group, index));
    if (error != TESSERA_OK) {
        tessera_crash("microkit_vcpu_arm_inject_irq", error);
    }
}

/* Like microkit_vcpu_arm_inject_irq, but returns the error (TESSERA_DELETE_FIRST if the list
 * register still holds an active interrupt) so a VMM can pick another. */
static inline uint64_t tessera_vcpu_inject_irq(microkit_child vcpu, uint16_t irq, uint8_t priority, uint8_t group,
                                               uint8_t index)
{
    return tessera_syscall2(SYS_VCPU_INJECT, vcpu, TESSERA_INJECT_WORD(irq, priority, group, index));
}

static inline void microkit_vcpu_arm_ack_vppi(microkit_child vcpu, seL4_Word irq)
{
    uint64_t error = tessera_syscall2(SYS_VCPU_ACK_VPPI, vcpu, irq);
    if (error != TESSERA_OK) {
        tessera_crash("microkit_vcpu_arm_ack_vppi", error);
    }
}

static inline seL4_Word microkit_vcpu_arm_read_reg(microkit_child vcpu, seL4_Word reg)
{
    struct tessera_result2 r = tessera_syscall2_result2(SYS_VCPU_READ_REG, vcpu, reg);
    if (r.x0 != TESSERA_OK) {
        tessera_crash("microkit_vcpu_arm_read_reg", r.x0);
    }
    return r.x1;
}

static inline void microkit_vcpu_arm_write_reg(microkit_child vcpu, seL4_Word reg, seL4_Word value)
{
    uint64_t error = tessera_syscall3(SYS_VCPU_WRITE_REG, vcpu, reg, value);
    if (error != TESSERA_OK) {
        tessera_crash("microkit_vcpu_arm_write_reg", error);
    }
}

/*
 * An SMC through the kernel, for a PD with smc="true" (otherwise the PD stops, as Microkit's
 * call crashes without the SMC capability). Passed: x0..x6. x7 cannot be: the system call
 * carries its number there, so a non-zero args->x7 stops the PD rather than be dropped.
 * Returned: x0..x3 (the results of SMCCC 1.0/1.1 calls); response->x4..x7 are set to 0.
 */
void microkit_arm_smc_call(seL4_ARM_SMCContext *args, seL4_ARM_SMCContext *response);

/* A child's general registers in seL4_UserContext order (abi.h), as libvmm reads and writes
 * them with seL4_TCB_ReadRegisters/WriteRegisters. */
uint64_t tessera_tcb_read_registers(microkit_child child, uint64_t *regs, unsigned count);
uint64_t tessera_tcb_write_registers(microkit_child child, bool resume, const uint64_t *regs, unsigned count);

/* Nanoseconds since the physical counter started (power-on), from the kernel: monotonic, and the
 * same clock in every PD whatever virtual-counter offset a vCPU has set. (Reading cntvct_el0
 * directly gives the offset of whichever vCPU ran last; EL0 may not read the physical count.) */
static inline uint64_t tessera_time_now_ns(void)
{
    return tessera_syscall1(SYS_TIME_NOW, 0);
}

/* Ends the whole system (debug builds): for tests. */
static inline void tessera_debug_poweroff(void)
{
    tessera_syscall1(SYS_DEBUG_POWEROFF, 0);
}
