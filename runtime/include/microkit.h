/*
 * The PD runtime API: libmicrokit's names and meanings (SPEC 5.3) on Tessera's kernel. A program
 * written for Microkit should need no source change beyond what touched seL4 directly.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <tessera/abi.h>
#include <tessera/syscall.h>

typedef unsigned int microkit_channel;
typedef unsigned int microkit_child;
typedef uint64_t microkit_msginfo;

#define MICROKIT_MAX_CHANNELS   63
#define MICROKIT_PD_NAME_LENGTH 64

/* Entry points the PD provides. `protected` and `fault` are optional (weak defaults report the
 * unexpected event). */
void init(void);
void notified(microkit_channel ch);
microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo);
bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo);

/* Patched by the .system tool. */
extern char microkit_name[MICROKIT_PD_NAME_LENGTH];
extern uint8_t microkit_passive;
extern uint64_t microkit_irqs;
extern uint64_t microkit_notifications;
extern uint64_t microkit_pps;

void microkit_dbg_putc(int c);
void microkit_dbg_puts(const char *s);
void microkit_internal_crash(uint64_t error, const char *what);

static inline microkit_msginfo microkit_msginfo_new(uint64_t label, uint16_t count)
{
    return (label << 12) | (count & 0x7f);
}

static inline uint64_t microkit_msginfo_get_label(microkit_msginfo msginfo)
{
    return msginfo >> 12;
}

static inline uint64_t microkit_msginfo_get_count(microkit_msginfo msginfo)
{
    return msginfo & 0x7f;
}

static inline struct tessera_ipc_buffer *microkit_ipc_buffer(void)
{
    return (struct tessera_ipc_buffer *)TESSERA_PD_IPC_BUFFER;
}

static inline void microkit_mr_set(uint8_t mr, uint64_t value)
{
    microkit_ipc_buffer()->mrs[mr % TESSERA_MSG_MAX_WORDS] = value;
}

static inline uint64_t microkit_mr_get(uint8_t mr)
{
    return microkit_ipc_buffer()->mrs[mr % TESSERA_MSG_MAX_WORDS];
}

static inline void microkit_notify(microkit_channel ch)
{
    if (ch >= MICROKIT_MAX_CHANNELS || !(microkit_notifications & (1UL << ch))) {
        microkit_internal_crash(ch, "microkit_notify: invalid channel");
        return;
    }
    tessera_syscall1(SYS_NOTIFY, ch);
}

static inline void microkit_irq_ack(microkit_channel ch)
{
    if (ch >= MICROKIT_MAX_CHANNELS || !(microkit_irqs & (1UL << ch))) {
        microkit_internal_crash(ch, "microkit_irq_ack: invalid channel");
        return;
    }
    tessera_syscall1(SYS_IRQ_ACK, ch);
}

/* Deferred actions are fused with the next receive; one per entry-point invocation. */
extern uint64_t microkit_deferred_action;

static inline void microkit_deferred_notify(microkit_channel ch)
{
    if (ch >= MICROKIT_MAX_CHANNELS || !(microkit_notifications & (1UL << ch))) {
        microkit_internal_crash(ch, "microkit_deferred_notify: invalid channel");
        return;
    }
    microkit_deferred_action = DEFERRED_NOTIFY | ((uint64_t)ch << 8);
}

static inline void microkit_deferred_irq_ack(microkit_channel ch)
{
    if (ch >= MICROKIT_MAX_CHANNELS || !(microkit_irqs & (1UL << ch))) {
        microkit_internal_crash(ch, "microkit_deferred_irq_ack: invalid channel");
        return;
    }
    microkit_deferred_action = DEFERRED_IRQ_ACK | ((uint64_t)ch << 8);
}

microkit_msginfo microkit_ppcall(microkit_channel ch, microkit_msginfo msginfo);

static inline void microkit_pd_restart(microkit_child pd, uint64_t entry_point)
{
    uint64_t error = tessera_syscall3(SYS_CHILD_CTL, pd, CHILD_RESTART, entry_point);
    if (error != TESSERA_OK) {
        microkit_internal_crash(error, "microkit_pd_restart");
    }
}

static inline void microkit_pd_stop(microkit_child pd)
{
    uint64_t error = tessera_syscall3(SYS_CHILD_CTL, pd, CHILD_STOP, 0);
    if (error != TESSERA_OK) {
        microkit_internal_crash(error, "microkit_pd_stop");
    }
}

static inline void microkit_vcpu_restart(microkit_child vcpu, uint64_t entry_point)
{
    uint64_t error = tessera_syscall3(SYS_CHILD_CTL, vcpu, CHILD_RESTART, entry_point);
    if (error != TESSERA_OK) {
        microkit_internal_crash(error, "microkit_vcpu_restart");
    }
}

static inline void microkit_vcpu_stop(microkit_child vcpu)
{
    uint64_t error = tessera_syscall3(SYS_CHILD_CTL, vcpu, CHILD_STOP, 0);
    if (error != TESSERA_OK) {
        microkit_internal_crash(error, "microkit_vcpu_stop");
    }
}

static inline void microkit_vcpu_arm_inject_irq(microkit_child vcpu, uint16_t irq, uint8_t priority, uint8_t group,
                                                uint8_t index)
{
    uint64_t error = tessera_syscall2(SYS_VCPU_INJECT, vcpu, TESSERA_INJECT_WORD(irq, priority, group, index));
    if (error != TESSERA_OK) {
        microkit_internal_crash(error, "microkit_vcpu_arm_inject_irq");
    }
}

/* Like microkit_vcpu_arm_inject_irq, but returns the error (TESSERA_DELETE_FIRST if the list
 * register still holds an active interrupt) so a VMM can pick another. */
static inline uint64_t tessera_vcpu_inject_irq(microkit_child vcpu, uint16_t irq, uint8_t priority, uint8_t group,
                                               uint8_t index)
{
    return tessera_syscall2(SYS_VCPU_INJECT, vcpu, TESSERA_INJECT_WORD(irq, priority, group, index));
}

static inline void microkit_vcpu_arm_ack_vppi(microkit_child vcpu, uint64_t irq)
{
    uint64_t error = tessera_syscall2(SYS_VCPU_ACK_VPPI, vcpu, irq);
    if (error != TESSERA_OK) {
        microkit_internal_crash(error, "microkit_vcpu_arm_ack_vppi");
    }
}

static inline uint64_t microkit_vcpu_arm_read_reg(microkit_child vcpu, uint64_t reg)
{
    struct tessera_result2 r = tessera_syscall2_result2(SYS_VCPU_READ_REG, vcpu, reg);
    if (r.x0 != TESSERA_OK) {
        microkit_internal_crash(r.x0, "microkit_vcpu_arm_read_reg");
    }
    return r.x1;
}

static inline void microkit_vcpu_arm_write_reg(microkit_child vcpu, uint64_t reg, uint64_t value)
{
    uint64_t error = tessera_syscall3(SYS_VCPU_WRITE_REG, vcpu, reg, value);
    if (error != TESSERA_OK) {
        microkit_internal_crash(error, "microkit_vcpu_arm_write_reg");
    }
}

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
