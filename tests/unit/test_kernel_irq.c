/*
 * Interrupt routing (kernel/core/irq.c), on the host over the fake arch's interrupt controller:
 * a PD's IRQ is masked, ended and delivered as a notification on its id, and only its owner's
 * ack unmasks it; interrupts nobody owns are silenced; the kernel's own (its timer, the loaded
 * vCPU's timer and maintenance interrupts) go where they belong, or wait masked when the vCPU
 * cannot take them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <board.h>
#include <cmocka.h>
#include <kernel/irq.h>
#include <kernel/ipc.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include <tessera/abi.h>
#include "fake_arch.h"

enum { DRIVER, VMM, OTHER, PD_COUNT };

#define DRIVER_IRQ   4
#define DRIVER_INTID 50
#define OTHER_IRQ    9
#define OTHER_INTID  51
#define VCPU_CHILD   0

static struct sysimage_pd configs[PD_COUNT];
static struct tessera_ipc_buffer buffers[PD_COUNT];

static int setup(void **state)
{
    (void)state;
    fake_arch_reset();
    fake_now = 1000;
    sched_init();
    irq_init();
    memset(configs, 0, sizeof(configs));
    pd_count = PD_COUNT;
    for (unsigned i = 0; i < PD_COUNT; i++) {
        struct pd *pd = &pds[i];
        memset(pd, 0, sizeof(*pd));
        snprintf(configs[i].name, sizeof(configs[i].name), "pd%u", i);
        configs[i].parent = SYSIMAGE_NONE;
        pd->config = &configs[i];
        pd->ipc_buffer_pa = (paddr_t)&buffers[i];
        pd->thread.pd = (uint8_t)i;
        pd->thread.name = configs[i].name;
        sched_init_thread(&pd->thread, (uint8_t)(100 + i), 1000, 1000);
        thread_set_state(&pd->thread, THREAD_READY);
        thread_set_state(&pd->thread, THREAD_BLOCKED_RECV);
    }
    configs[DRIVER].ids[DRIVER_IRQ] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, SYSIMAGE_IRQ_EDGE, DRIVER_INTID, 0};
    irq_register(DRIVER_INTID, DRIVER, DRIVER_IRQ, true);
    configs[OTHER].ids[OTHER_IRQ] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, 0, OTHER_INTID, 0};
    irq_register(OTHER_INTID, OTHER, OTHER_IRQ, false);

    struct vcpu *v = &vcpus[0];
    memset(v, 0, sizeof(*v));
    v->id = VCPU_CHILD;
    v->thread.is_vcpu = true;
    v->thread.vcpu = v;
    v->thread.pd = VMM;
    v->thread.name = "vcpu";
    sched_init_thread(&v->thread, 90, 1000, 1000);
    configs[VMM].children[VCPU_CHILD] = (struct sysimage_child){SYSIMAGE_CHILD_VCPU, 0, 0};
    vcpu_count = 1;
    idle_vcpus = 0;
    return 0;
}

static void take(uint32_t irq)
{
    fake_irq_pending = irq;
    irq_handle();
}

static void registered_irq_is_configured_and_masked_until_acked(void **state)
{
    (void)state;
    assert_true(fake_irq_configured[DRIVER_INTID]);
    assert_true(fake_irq_edge[DRIVER_INTID]);
    assert_true(fake_irq_configured[OTHER_INTID]);
    assert_false(fake_irq_edge[OTHER_INTID]);
    assert_true(fake_irq_masked[DRIVER_INTID]);
    assert_int_equal(irq_ack(DRIVER, DRIVER_IRQ), TESSERA_OK);
    assert_false(fake_irq_masked[DRIVER_INTID]);
}

static void irq_reaches_its_owner_as_a_notification_masked_until_the_ack(void **state)
{
    (void)state;
    irq_ack(DRIVER, DRIVER_IRQ);
    take(DRIVER_INTID);
    assert_true(fake_irq_masked[DRIVER_INTID]);
    assert_int_equal(fake_irq_ends[DRIVER_INTID], 1);
    assert_int_equal(pds[DRIVER].notify_word, BIT(DRIVER_IRQ));
    assert_int_equal(pds[DRIVER].thread.state, THREAD_READY);
    assert_int_equal(pds[OTHER].notify_word, 0);
    /* Only the owner's ack unmasks it: another PD's, or the owner's on another id, does not. */
    assert_int_equal(irq_ack(OTHER, DRIVER_IRQ), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(irq_ack(OTHER, OTHER_IRQ), TESSERA_OK);
    assert_int_equal(irq_ack(DRIVER, OTHER_IRQ), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(irq_ack(DRIVER, (1UL << 32) | DRIVER_IRQ), TESSERA_INVALID_ARGUMENT);
    assert_true(fake_irq_masked[DRIVER_INTID]);
    assert_int_equal(irq_ack(DRIVER, DRIVER_IRQ), TESSERA_OK);
    assert_false(fake_irq_masked[DRIVER_INTID]);
}

static void irq_nobody_owns_is_masked_and_ended(void **state)
{
    (void)state;
    take(60);
    assert_true(fake_irq_masked[60]);
    assert_int_equal(fake_irq_ends[60], 1);
    take(BOARD_GIC_MAX_INTID + 5); /* beyond every owner's range */
    assert_true(fake_irq_masked[BOARD_GIC_MAX_INTID + 5]);
    for (unsigned i = 0; i < PD_COUNT; i++) {
        assert_int_equal(pds[i].notify_word, 0);
    }
}

static void nothing_pending_touches_nothing(void **state)
{
    (void)state;
    take(ARCH_IRQ_NONE);
    for (unsigned i = 0; i < FAKE_IRQS; i++) {
        assert_int_equal(fake_irq_ends[i], 0);
    }
}

static void one_interrupt_has_one_owner(void **state)
{
    (void)state;
    assert_true(FAKE_PANICS(irq_register(DRIVER_INTID, OTHER, 1, false)));
    assert_true(FAKE_PANICS(irq_register(BOARD_GIC_MAX_INTID + 1, OTHER, 1, false)));
}

static void timer_interrupt_is_silenced_and_rearmed_by_schedule(void **state)
{
    (void)state;
    sched_ready(&pds[DRIVER].thread); /* woken: the only runnable thread */
    (void)fake_schedule();            /* arms the timer for the driver's slice */
    uint64_t armed = fake_deadline;
    fake_deadline = 0;
    take(ARCH_IRQ_TIMER);
    assert_int_equal(fake_timer_disables, 1);
    assert_int_equal(fake_irq_ends[ARCH_IRQ_TIMER], 1);
    /* The next schedule() must write the timer again, even for the same deadline. */
    assert_ptr_equal(fake_schedule(), &pds[DRIVER].thread);
    assert_int_equal(fake_deadline, armed);
}

/* The vCPU's state is in the hardware; it may or may not be the running thread. */
static struct thread *load_vcpu(void)
{
    struct thread *t = &vcpus[0].thread;
    sched_ready(t);
    fake_vcpu_loaded = &vcpus[0];
    return t;
}

static void vcpu_timer_of_the_running_vcpu_is_a_fault_to_its_vmm(void **state)
{
    (void)state;
    struct thread *t = load_vcpu();
    assert_ptr_equal(fake_schedule(), t);
    take(ARCH_IRQ_VCPU_TIMER);
    assert_true(fake_irq_masked[ARCH_IRQ_VCPU_TIMER]);
    assert_int_equal(fake_irq_ends[ARCH_IRQ_VCPU_TIMER], 1);
    assert_true(vcpus[0].arch.vppi_masked);
    assert_int_equal(t->state, THREAD_BLOCKED_FAULT);
    struct thread *vmm = &pds[VMM].thread;
    assert_int_equal(vmm->state, THREAD_READY);
    assert_int_equal(arch_frame_arg(&vmm->frame, 0), EVENT_FAULT);
    assert_int_equal(arch_frame_arg(&vmm->frame, 1) >> 12, FAULT_VPPI);
    assert_int_equal(arch_frame_arg(&vmm->frame, 2), FAKE_VPPI);
    assert_int_equal(arch_frame_arg(&vmm->frame, 6), VCPU_CHILD);
}

static void vcpu_timer_wakes_a_vcpu_idle_in_wfi(void **state)
{
    (void)state;
    struct thread *t = load_vcpu();
    assert_ptr_equal(fake_schedule(), t);
    vcpu_wait_for_interrupt(&vcpus[0], fake_now + 1000);
    assert_null(fake_schedule()); /* idle */
    assert_int_equal(idle_vcpus, 1);
    take(ARCH_IRQ_VCPU_TIMER);
    assert_int_equal(idle_vcpus, 0);
    assert_int_equal(t->state, THREAD_BLOCKED_FAULT);
    assert_int_equal(arch_frame_arg(&pds[VMM].thread.frame, 1) >> 12, FAULT_VPPI);
    /* The VMM runs, and the scheduler's invariant holds (checked as it dispatches). */
    assert_ptr_equal(fake_schedule(), &pds[VMM].thread);
}

static void vcpu_events_wait_while_the_vcpu_is_blocked_on_its_vmm(void **state)
{
    (void)state;
    struct thread *t = load_vcpu();
    assert_ptr_equal(fake_schedule(), t);
    uint64_t none = 0;
    ipc_fault(t, FAULT_VCPU, &none, 1); /* an HVC, say: the VMM has it */
    assert_int_equal(t->state, THREAD_BLOCKED_FAULT);
    assert_ptr_equal(fake_schedule(), &pds[VMM].thread);
    take(ARCH_IRQ_VCPU_TIMER);
    take(ARCH_IRQ_VCPU_MAINTENANCE);
    assert_true(fake_irq_masked[ARCH_IRQ_VCPU_TIMER]);
    assert_true(fake_irq_masked[ARCH_IRQ_VCPU_MAINTENANCE]);
    assert_int_equal(fake_irq_ends[ARCH_IRQ_VCPU_TIMER], 1);
    assert_int_equal(fake_irq_ends[ARCH_IRQ_VCPU_MAINTENANCE], 1);
    assert_false(vcpus[0].arch.vppi_masked);                                       /* no VPPI was delivered */
    assert_int_equal(arch_frame_arg(&pds[VMM].thread.frame, 1) >> 12, FAULT_VCPU); /* still the HVC */
}

static void maintenance_of_a_queued_vcpu_is_a_fault_with_the_list_register(void **state)
{
    (void)state;
    struct thread *t = load_vcpu(); /* runnable, in its run queue, not running */
    assert_true(t->queued);
    take(ARCH_IRQ_VCPU_MAINTENANCE);
    assert_false(t->queued);
    assert_int_equal(t->state, THREAD_BLOCKED_FAULT);
    assert_false(fake_irq_masked[ARCH_IRQ_VCPU_MAINTENANCE]);
    assert_int_equal(fake_irq_ends[ARCH_IRQ_VCPU_MAINTENANCE], 1);
    struct thread *vmm = &pds[VMM].thread;
    assert_int_equal(arch_frame_arg(&vmm->frame, 1) >> 12, FAULT_VGIC_MAINTENANCE);
    assert_int_equal(arch_frame_arg(&vmm->frame, 2), 2);
}

static void vcpu_events_without_a_loaded_vcpu_are_masked(void **state)
{
    (void)state;
    take(ARCH_IRQ_VCPU_MAINTENANCE);
    take(ARCH_IRQ_VCPU_TIMER);
    assert_true(fake_irq_masked[ARCH_IRQ_VCPU_MAINTENANCE]);
    assert_true(fake_irq_masked[ARCH_IRQ_VCPU_TIMER]);
    assert_int_equal(pds[VMM].thread.state, THREAD_BLOCKED_RECV);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(registered_irq_is_configured_and_masked_until_acked, setup),
        cmocka_unit_test_setup(irq_reaches_its_owner_as_a_notification_masked_until_the_ack, setup),
        cmocka_unit_test_setup(irq_nobody_owns_is_masked_and_ended, setup),
        cmocka_unit_test_setup(nothing_pending_touches_nothing, setup),
        cmocka_unit_test_setup(one_interrupt_has_one_owner, setup),
        cmocka_unit_test_setup(timer_interrupt_is_silenced_and_rearmed_by_schedule, setup),
        cmocka_unit_test_setup(vcpu_timer_of_the_running_vcpu_is_a_fault_to_its_vmm, setup),
        cmocka_unit_test_setup(vcpu_timer_wakes_a_vcpu_idle_in_wfi, setup),
        cmocka_unit_test_setup(vcpu_events_wait_while_the_vcpu_is_blocked_on_its_vmm, setup),
        cmocka_unit_test_setup(maintenance_of_a_queued_vcpu_is_a_fault_with_the_list_register, setup),
        cmocka_unit_test_setup(vcpu_events_without_a_loaded_vcpu_are_masked, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
