/*
 * The thread half of vCPUs. WFI: the kernel keeps a vCPU that executed WFI off the CPU until an
 * interrupt is injected into it or its virtual timer's deadline passes (seL4 hands WFI to the
 * VMM instead, which makes an idle guest spin). Portable: the arch code decides the deadline
 * from the timer registers; this file keeps the bookkeeping the scheduler consults. Events of
 * the loaded vCPU (its timer, interrupt-controller maintenance) become faults to its VMM when
 * vcpu_take_event_now says it can take them.
 *
 * Invariant: idle_vcpus counts the vCPUs in THREAD_IDLE_WFI with wfi_deadline != 0.
 */
#include <kernel/sched.h>
#include <kernel/vcpu.h>

struct vcpu vcpus[SYSIMAGE_MAX_VCPUS];
unsigned vcpu_count;
unsigned idle_vcpus;

void vcpu_wait_for_interrupt(struct vcpu *v, uint64_t deadline)
{
    thread_set_state(&v->thread, THREAD_IDLE_WFI);
    v->wfi_deadline = deadline;
    if (deadline != 0) {
        idle_vcpus++;
    }
}

void vcpu_cancel_wfi(struct vcpu *v)
{
    if (v->thread.state == THREAD_IDLE_WFI && v->wfi_deadline != 0) {
        idle_vcpus--;
    }
    v->wfi_deadline = 0;
}

void vcpu_wake_from_wfi(struct vcpu *v)
{
    if (v->thread.state == THREAD_IDLE_WFI) {
        vcpu_cancel_wfi(v);
        sched_ready(&v->thread);
    }
}

void vcpu_wake_due(uint64_t now)
{
    if (idle_vcpus == 0) {
        return;
    }
    for (unsigned i = 0; i < vcpu_count; i++) {
        struct vcpu *v = &vcpus[i];
        if (v->thread.state == THREAD_IDLE_WFI && v->wfi_deadline != 0 && v->wfi_deadline <= now) {
            vcpu_wake_from_wfi(v);
        }
    }
}

uint64_t vcpu_next_deadline(void)
{
    uint64_t best = 0;
    if (idle_vcpus == 0) {
        return 0;
    }
    for (unsigned i = 0; i < vcpu_count; i++) {
        struct vcpu *v = &vcpus[i];
        if (v->thread.state == THREAD_IDLE_WFI && v->wfi_deadline != 0 && (best == 0 || v->wfi_deadline < best)) {
            best = v->wfi_deadline;
        }
    }
    return best;
}

bool vcpu_take_event_now(struct vcpu *v)
{
    struct thread *t = &v->thread;
    if (t == current) {
        return true;
    }
    /* Blocked on its VMM or stopped: the event waits (masked) until it runs again. */
    if (t->state == THREAD_IDLE_WFI) {
        vcpu_cancel_wfi(v);
        thread_set_state(t, THREAD_READY); /* not queued: the fault that follows blocks it */
        return true;
    }
    if (t->state == THREAD_READY) {
        sched_unready(t);
        return true;
    }
    return false;
}
