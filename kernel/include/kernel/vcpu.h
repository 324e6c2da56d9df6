/* vCPUs: a thread plus the guest-CPU state the arch keeps (struct arch_vcpu). The thread half
 * (WFI waits, events taken as faults) is portable: kernel/core/vcpu_wait.c. */
#pragma once

#include <kernel/thread.h>
#include <tessera/abi.h>

struct vcpu {
    struct thread thread;
    const struct sysimage_vcpu *config;
    uint8_t id; /* child id in the VMM */
    struct arch_vcpu arch;
    uint64_t wfi_deadline; /* counter value at which an IDLE_WFI vCPU's timer fires; 0 = none */
};

extern struct vcpu vcpus[SYSIMAGE_MAX_VCPUS];
extern unsigned vcpu_count;

/* The loaded vCPU's timer or interrupt-controller maintenance interrupt arrived: true if the
 * vCPU can take it as a fault now (it is running, runnable or idle in WFI); then it is runnable
 * and in no queue. */
bool vcpu_take_event_now(struct vcpu *vcpu);
/* The vCPU waits in WFI until woken or `deadline` (counter value; 0 = no timer). */
void vcpu_wait_for_interrupt(struct vcpu *vcpu, uint64_t deadline);
void vcpu_wake_from_wfi(struct vcpu *vcpu);
void vcpu_wake_due(uint64_t now);
uint64_t vcpu_next_deadline(void);
void vcpu_cancel_wfi(struct vcpu *vcpu);
/* vCPUs in IDLE_WFI with a timer deadline: without any, the scheduler's checks are free. */
extern unsigned idle_vcpus;
