/* vCPUs: a thread plus the EL1 and virtual-GIC state of a guest CPU. */
#pragma once

#include <kernel/thread.h>
#include <tessera/abi.h>
#include "../../arch/aarch64/gic.h"

#define VCPU_EXTRA_CSSELR 0
#define VCPU_EXTRA_MDSCR  1
#define VCPU_EXTRA_COUNT  2

struct vcpu {
    struct thread thread;
    const struct sysimage_vcpu *config;
    uint8_t id; /* child id in the VMM */
    uint64_t regs[VCPU_REG_COUNT];
    uint64_t extra[VCPU_EXTRA_COUNT];
    struct vgic_state vgic;
    bool vppi_masked;
    uint64_t wfi_deadline; /* counter value at which an IDLE_WFI vCPU's timer fires; 0 = none */
};

extern struct vcpu vcpus[SYSIMAGE_MAX_VCPUS];
extern unsigned vcpu_count;

void vcpu_init(struct vcpu *vcpu);
/* Called by the scheduler when `next` is about to run (after `prev` ran). */
void vcpu_switch(struct thread *prev, struct thread *next);
bool vcpu_read_reg(struct vcpu *vcpu, unsigned reg, uint64_t *value);
bool vcpu_write_reg(struct vcpu *vcpu, unsigned reg, uint64_t value);
int vcpu_inject(struct vcpu *vcpu, uint64_t word);
void vcpu_ack_vppi(struct vcpu *vcpu);
void vcpu_reset_interrupts(struct vcpu *vcpu);
struct vcpu *vcpu_loaded(void);
bool vcpu_take_event_now(struct vcpu *vcpu);
void vcpu_handle_wfx(struct vcpu *vcpu, uint64_t esr);
void vcpu_handle_vtimer_irq(struct vcpu *vcpu);
void vcpu_handle_maintenance(struct vcpu *vcpu);
/* vcpu_wait.c: the vCPU waits in WFI until woken or `deadline` (counter value; 0 = no timer). */
void vcpu_wait_for_interrupt(struct vcpu *vcpu, uint64_t deadline);
void vcpu_wake_from_wfi(struct vcpu *vcpu);
void vcpu_wake_due(uint64_t now);
uint64_t vcpu_next_deadline(void);
void vcpu_cancel_wfi(struct vcpu *vcpu);
/* vCPUs in IDLE_WFI with a timer deadline: without any, the scheduler's checks are free. */
extern unsigned idle_vcpus;
