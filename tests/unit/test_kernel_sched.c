/*
 * The kernel's scheduler and IPC, on the host over a fake arch layer: priorities, preemption,
 * round-robin, budgets, notifications, PPCs and fault messages, checked as state transitions;
 * and the scheduler's invariant check (debug builds), shown to catch the lost-vCPU bug.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <kernel/ipc.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include <tessera/abi.h>
#include "fake_arch.h"

static struct sysimage_pd configs[4];
static struct tessera_ipc_buffer ipc_buffers[4];

/* PD i with priority, budget and period (microseconds = ticks in the fake). */
static struct thread *make_pd(unsigned i, uint8_t priority, uint32_t budget, uint32_t period)
{
    struct pd *pd = &pds[i];
    memset(pd, 0, sizeof(*pd));
    memset(&configs[i], 0, sizeof(configs[i]));
    snprintf(configs[i].name, sizeof(configs[i].name), "pd%u", i);
    configs[i].priority = priority;
    configs[i].parent = SYSIMAGE_NONE;
    pd->config = &configs[i];
    pd->ipc_buffer_pa = (paddr_t)&ipc_buffers[i];
    pd->thread.pd = (uint8_t)i;
    pd->thread.name = configs[i].name;
    sched_init_thread(&pd->thread, priority, budget, period);
    if (i + 1 > pd_count) {
        pd_count = i + 1;
    }
    return &pd->thread;
}

/* A channel between PD a (id a_id) and PD b (id b_id); a may ppcall b if a_pp. */
static void connect(unsigned a, unsigned a_id, unsigned b, unsigned b_id, bool a_pp)
{
    configs[a].ids[a_id] = (struct sysimage_id){SYSIMAGE_ID_CHANNEL,
                                                (uint8_t)b,
                                                (uint8_t)b_id,
                                                (uint8_t)(SYSIMAGE_CH_NOTIFY | (a_pp ? SYSIMAGE_CH_PPC : 0)),
                                                0,
                                                0};
    configs[b].ids[b_id] =
        (struct sysimage_id){SYSIMAGE_ID_CHANNEL, (uint8_t)a, (uint8_t)a_id, SYSIMAGE_CH_NOTIFY, 0, 0};
}

static int setup(void **state)
{
    (void)state;
    pd_count = 0;
    vcpu_count = 0;
    idle_vcpus = 0;
    fake_arch_reset();
    fake_now = 1000;
    memset(ipc_buffers, 0, sizeof(ipc_buffers));
    sched_init();
    return 0;
}

/* Block the current thread in RECV and schedule: what runs next. */
static struct thread *recv_and_schedule(unsigned pd)
{
    assert_ptr_equal(current, &pds[pd].thread);
    ipc_recv(&pds[pd]);
    return fake_schedule();
}

static void highest_priority_runs_first(void **state)
{
    (void)state;
    struct thread *low = make_pd(0, 10, 1000, 1000);
    struct thread *high = make_pd(1, 200, 1000, 1000);
    sched_ready(low);
    sched_ready(high);
    assert_ptr_equal(fake_schedule(), high);
    assert_ptr_equal(recv_and_schedule(1), low);
    assert_int_equal(high->state, THREAD_BLOCKED_RECV);
    assert_null(recv_and_schedule(0)); /* nothing left: idle */
}

static void notification_to_higher_priority_preempts_and_coalesces(void **state)
{
    (void)state;
    struct thread *low = make_pd(0, 10, 1000, 1000);
    struct thread *high = make_pd(1, 200, 1000, 1000);
    connect(0, 3, 1, 5, false);
    sched_ready(low);
    sched_ready(high);
    assert_ptr_equal(fake_schedule(), high);
    assert_ptr_equal(recv_and_schedule(1), low);

    /* low notifies twice before high can run: it must preempt at once, and see one event. */
    ipc_notify(&pds[1], 5);
    ipc_notify(&pds[1], 5);
    assert_ptr_equal(fake_schedule(), high);
    assert_int_equal(arch_frame_arg(&high->frame, 0), EVENT_NOTIFY);
    assert_int_equal(arch_frame_arg(&high->frame, 6), 1UL << 5);
    assert_int_equal(pds[1].notify_word, 0);
    /* low was preempted, not blocked: it runs again when high waits. */
    assert_ptr_equal(recv_and_schedule(1), low);
}

static void preempted_thread_resumes_before_its_peers(void **state)
{
    (void)state;
    struct thread *a = make_pd(0, 10, 1000, 1000);
    struct thread *b = make_pd(1, 10, 1000, 1000);
    struct thread *high = make_pd(2, 50, 1000, 1000);
    sched_ready(a);
    sched_ready(b);
    sched_ready(high);
    assert_ptr_equal(fake_schedule(), high);
    assert_ptr_equal(recv_and_schedule(2), a);
    fake_now += 100;
    ipc_notify(&pds[2], 0);
    assert_ptr_equal(fake_schedule(), high);
    /* a was preempted mid-slice: head of its queue, ahead of b. */
    assert_ptr_equal(recv_and_schedule(2), a);
}

static void equal_priorities_round_robin_on_slice_end(void **state)
{
    (void)state;
    struct thread *a = make_pd(0, 10, 1000, 1000);
    struct thread *b = make_pd(1, 10, 1000, 1000);
    sched_ready(a);
    sched_ready(b);
    assert_ptr_equal(fake_schedule(), a);
    assert_int_equal(fake_deadline, fake_now + 1000);
    fake_now += 400;
    assert_ptr_equal(fake_schedule(), a); /* slice not over */
    fake_now += 600;
    assert_ptr_equal(fake_schedule(), b); /* 1000 us used: tail of the queue */
    fake_now += 1000;
    assert_ptr_equal(fake_schedule(), a);
}

static void budget_below_period_throttles_until_next_period(void **state)
{
    (void)state;
    struct thread *hog = make_pd(0, 150, 2000, 10000);
    struct thread *worker = make_pd(1, 100, 1000, 1000);
    sched_ready(hog);
    sched_ready(worker);
    assert_ptr_equal(fake_schedule(), hog);
    fake_now += 2000; /* the hog spins through its budget */
    assert_ptr_equal(fake_schedule(), worker);
    assert_true(hog->sc.throttled);
    /* The timer is due at the hog's release (start of its next period). */
    uint64_t release = hog->sc.release_at;
    assert_int_equal(release, 10000);
    fake_now = release;
    assert_ptr_equal(fake_schedule(), hog);
    assert_false(hog->sc.throttled);
    assert_int_equal(hog->sc.remaining, 2000);
}

static void ppc_switches_directly_and_reply_returns_message(void **state)
{
    (void)state;
    struct thread *client = make_pd(0, 50, 1000, 1000);
    struct thread *server = make_pd(1, 60, 1000, 1000);
    connect(0, 2, 1, 7, true);
    sched_ready(client);
    sched_ready(server);
    assert_ptr_equal(fake_schedule(), server);
    assert_ptr_equal(recv_and_schedule(1), client);

    arch_frame_set_arg(&client->frame, 1, (42UL << 12) | 6);
    for (unsigned i = 0; i < 4; i++) {
        arch_frame_set_arg(&client->frame, 2 + i, 100 + i);
    }
    ipc_buffers[0].mrs[4] = 104;
    ipc_buffers[0].mrs[5] = 105;
    assert_int_equal(ipc_ppcall(&pds[0], 2), TESSERA_OK);
    assert_int_equal(client->state, THREAD_BLOCKED_CALL);
    assert_ptr_equal(fake_schedule(), server);
    assert_int_equal(arch_frame_arg(&server->frame, 0), EVENT_PPC);
    assert_int_equal(arch_frame_arg(&server->frame, 6), 7); /* the server's id for the channel: unforgeable */
    assert_int_equal(arch_frame_arg(&server->frame, 1), (42UL << 12) | 6);
    assert_int_equal(arch_frame_arg(&server->frame, 3), 101);
    assert_int_equal(ipc_buffers[1].mrs[5], 105);
    assert_ptr_equal(server->donor, client); /* runs on the caller's time */

    ipc_buffers[1].mrs[4] = 9;
    uint64_t reply[4] = {1, 2, 3, 4};
    ipc_reply_recv(&pds[1], (43UL << 12) | 5, reply);
    assert_int_equal(server->state, THREAD_BLOCKED_RECV);
    assert_null(server->donor);
    assert_ptr_equal(fake_schedule(), client);
    assert_int_equal(arch_frame_arg(&client->frame, 1), (43UL << 12) | 5);
    assert_int_equal(arch_frame_arg(&client->frame, 5), 4);
    assert_int_equal(ipc_buffers[0].mrs[4], 9);
}

static void ppc_without_pp_right_is_refused(void **state)
{
    (void)state;
    make_pd(0, 50, 1000, 1000);
    make_pd(1, 60, 1000, 1000);
    connect(0, 2, 1, 7, false);
    assert_int_equal(ipc_ppcall(&pds[0], 2), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(ipc_ppcall(&pds[0], 3), TESSERA_INVALID_ARGUMENT);   /* no such channel */
    assert_int_equal(ipc_ppcall(&pds[0], 200), TESSERA_INVALID_ARGUMENT); /* out of range */
}

static void waiting_callers_are_served_by_priority(void **state)
{
    (void)state;
    struct thread *low = make_pd(0, 20, 1000, 1000);
    struct thread *mid = make_pd(1, 30, 1000, 1000);
    struct thread *server = make_pd(2, 100, 1000, 1000);
    connect(0, 1, 2, 1, true);
    connect(1, 1, 2, 2, true);
    /* The server is busy (not in RECV): callers queue on its endpoint. Each caller runs when it
     * calls. */
    thread_set_state(low, THREAD_READY);
    current = low;
    assert_int_equal(ipc_ppcall(&pds[0], 1), TESSERA_OK);
    thread_set_state(mid, THREAD_READY);
    current = mid;
    assert_int_equal(ipc_ppcall(&pds[1], 1), TESSERA_OK);
    current = server;
    thread_set_state(server, THREAD_READY);
    ipc_recv(&pds[2]);
    assert_int_equal(arch_frame_arg(&server->frame, 6), 2); /* mid's call first */
    assert_ptr_equal(pds[2].reply_to, mid);
}

static void fault_of_parentless_pd_stops_it(void **state)
{
    (void)state;
    struct thread *t = make_pd(0, 50, 1000, 1000);
    sched_ready(t);
    assert_ptr_equal(fake_schedule(), t);
    uint64_t mrs[4] = {0x200000, 0xdead0000, 0, 0x93c28045};
    ipc_fault(t, FAULT_VM, mrs, 4);
    assert_int_equal(t->state, THREAD_INACTIVE);
    assert_null(fake_schedule());
}

static void fault_goes_to_parent_and_reply_resumes_child(void **state)
{
    (void)state;
    struct thread *parent = make_pd(0, 60, 1000, 1000);
    struct thread *child = make_pd(1, 55, 1000, 1000);
    configs[1].parent = 0;
    configs[1].id_in_parent = 3;
    sched_ready(parent);
    sched_ready(child);
    assert_ptr_equal(fake_schedule(), parent);
    assert_ptr_equal(recv_and_schedule(0), child);
    uint64_t mrs[4] = {0x200020, 0x7000010, 0, 0x92000006};
    ipc_fault(child, FAULT_VM, mrs, 4);
    assert_ptr_equal(fake_schedule(), parent);
    assert_int_equal(arch_frame_arg(&parent->frame, 0), EVENT_FAULT);
    assert_int_equal(arch_frame_arg(&parent->frame, 6), 3);
    assert_int_equal(arch_frame_arg(&parent->frame, 1) >> 12, FAULT_VM);
    assert_int_equal(arch_frame_arg(&parent->frame, 3), 0x7000010);
    uint64_t none[4] = {0};
    ipc_reply_recv(&pds[0], 0, none);
    assert_ptr_equal(fake_schedule(), child);
}

/* vCPU i of PD `owner`, ready to run at `priority`. */
static struct thread *make_vcpu(unsigned i, unsigned owner, uint8_t priority)
{
    struct vcpu *v = &vcpus[i];
    memset(v, 0, sizeof(*v));
    v->id = (uint8_t)i;
    v->thread.is_vcpu = true;
    v->thread.vcpu = v;
    v->thread.pd = (uint8_t)owner;
    v->thread.name = "vcpu";
    sched_init_thread(&v->thread, priority, 1000, 1000);
    if (i + 1 > vcpu_count) {
        vcpu_count = i + 1;
    }
    return &v->thread;
}

static void vcpu_in_wfi_sleeps_until_its_timer_deadline(void **state)
{
    (void)state;
    struct thread *cpu = make_vcpu(0, 0, 100);
    sched_ready(cpu);
    assert_ptr_equal(fake_schedule(), cpu);
    vcpu_wait_for_interrupt(cpu->vcpu, fake_now + 500);
    assert_null(fake_schedule()); /* nothing else to run: the kernel idles */
    assert_int_equal(fake_deadline, fake_now + 500);
    fake_now += 500;
    assert_ptr_equal(fake_schedule(), cpu);
    assert_int_equal(cpu->state, THREAD_READY);
    assert_int_equal(idle_vcpus, 0);
}

/* The deadline passes between the WFI trap and the scheduler's look at the clock (the guest
 * armed a timer a few ticks ahead): the vCPU must still run, not be left ready but queued
 * nowhere, which made a guest freeze for good about once in 200 console commands. */
static void vcpu_whose_deadline_passes_during_its_wfi_trap_keeps_running(void **state)
{
    (void)state;
    struct thread *cpu = make_vcpu(0, 0, 100);
    struct thread *other = make_pd(1, 50, 1000, 1000);
    sched_ready(cpu);
    sched_ready(other);
    assert_ptr_equal(fake_schedule(), cpu);
    vcpu_wait_for_interrupt(cpu->vcpu, fake_now + 2);
    fake_now += 3;
    assert_ptr_equal(fake_schedule(), cpu);
    assert_int_equal(cpu->state, THREAD_READY);
    assert_int_equal(idle_vcpus, 0);
    /* And it still takes turns normally: blocked, the other PD runs; woken, it is back. */
    thread_set_state(cpu, THREAD_BLOCKED_FAULT);
    assert_ptr_equal(fake_schedule(), other);
    sched_ready(cpu);
    assert_ptr_equal(fake_schedule(), cpu);
}

static void injected_interrupt_wakes_a_vcpu_without_deadline(void **state)
{
    (void)state;
    struct thread *cpu = make_vcpu(0, 0, 100);
    sched_ready(cpu);
    assert_ptr_equal(fake_schedule(), cpu);
    vcpu_wait_for_interrupt(cpu->vcpu, 0); /* timer off: only an interrupt wakes it */
    assert_int_equal(idle_vcpus, 0);
    assert_null(fake_schedule());
    fake_now += 100000;
    assert_null(fake_schedule());
    vcpu_wake_from_wfi(cpu->vcpu);
    assert_ptr_equal(fake_schedule(), cpu);
}

/* The lost-vCPU bug's end state, made by hand (schedule() no longer makes it): the vCPU was
 * woken from WFI while it was still `current`, so sched_ready did not queue it, and the dispatch
 * went on to another thread without putting it back. The invariant check names it. */
static struct thread *lose_a_vcpu(struct thread **other_out)
{
    struct thread *cpu = make_vcpu(0, 0, 100);
    struct thread *other = make_pd(1, 50, 1000, 1000);
    sched_ready(cpu);
    sched_ready(other);
    assert_ptr_equal(fake_schedule(), cpu);
    vcpu_wait_for_interrupt(cpu->vcpu, fake_now + 2); /* its WFI trap */
    fake_now += 3;
    vcpu_wake_due(fake_now); /* due while the kernel still handles the trap: READY, not queued */
    assert_int_equal(cpu->state, THREAD_READY);
    assert_false(cpu->queued);
    /* The old schedule() had decided prev could not go on before the wake, so it ran `other`. */
    sched_unready(other);
    current = other;
    *other_out = other;
    return cpu;
}

static void invariant_check_names_a_vcpu_ready_in_no_queue(void **state)
{
    (void)state;
    struct thread *other;
    lose_a_vcpu(&other);
    assert_true(FAKE_PANICS(sched_check_invariants(other)));
    assert_non_null(strstr(fake_panic_message, "'vcpu' is READY but not running, queued or throttled"));
}

/* In a running kernel: the PD that did run blocks, nothing is queued, and the dispatch that would
 * idle (with the vCPU lost for good) stops at the check instead. */
static void lost_vcpu_is_caught_when_the_kernel_would_idle(void **state)
{
    (void)state;
    struct thread *other;
    lose_a_vcpu(&other);
    ipc_recv(&pds[1]);
    assert_true(FAKE_PANICS(fake_schedule()));
    assert_non_null(strstr(fake_panic_message, "'vcpu' is READY but not running"));
}

/* And when something else keeps running, the next timer interrupt finds it. */
static void lost_vcpu_is_caught_at_the_next_timer_interrupt(void **state)
{
    (void)state;
    struct thread *other;
    lose_a_vcpu(&other);
    fake_now += 10;
    sched_timer_tick();
    assert_true(FAKE_PANICS(fake_schedule()));
    assert_non_null(strstr(fake_panic_message, "'vcpu' is READY but not running"));
}

/* Any READY thread the queues lost, not only a vCPU after WFI. */
static void ready_thread_dropped_from_its_queue_is_caught(void **state)
{
    (void)state;
    struct thread *low = make_pd(0, 10, 1000, 1000);
    struct thread *high = make_pd(1, 200, 1000, 1000);
    sched_ready(low);
    sched_ready(high);
    assert_ptr_equal(fake_schedule(), high);
    /* high is running; low is dequeued behind the scheduler's back (READY, in no queue). */
    sched_unready(low);
    /* high blocks: nothing is queued, so the kernel would idle with low lost. */
    ipc_recv(&pds[1]);
    assert_true(FAKE_PANICS(fake_schedule()));
    assert_non_null(strstr(fake_panic_message, "'pd0' is READY but not running"));
}

static void queued_thread_that_is_not_ready_is_caught(void **state)
{
    (void)state;
    struct thread *a = make_pd(0, 10, 1000, 1000);
    struct thread *b = make_pd(1, 20, 1000, 1000);
    sched_ready(a);
    sched_ready(b);
    assert_ptr_equal(fake_schedule(), b);
    thread_set_state(a, THREAD_INACTIVE); /* stopped without leaving its run queue */
    assert_true(FAKE_PANICS(sched_check_invariants(b)));
    assert_non_null(strstr(fake_panic_message, "'pd0' is in a run queue but INACTIVE"));
}

static void wfi_count_that_disagrees_is_caught(void **state)
{
    (void)state;
    struct thread *cpu = make_vcpu(0, 0, 100);
    sched_ready(cpu);
    assert_ptr_equal(fake_schedule(), cpu);
    vcpu_wait_for_interrupt(cpu->vcpu, fake_now + 100);
    sched_check_invariants(NULL); /* consistent: passes */
    idle_vcpus = 0;
    assert_true(FAKE_PANICS(sched_check_invariants(NULL)));
    assert_non_null(strstr(fake_panic_message, "1 vCPUs wait in WFI with a deadline, idle_vcpus says 0"));
}

/* The checks pass in normal operation, throttling included: a throttled thread is READY in no
 * queue, waiting for its budget. */
static void throttled_thread_satisfies_the_invariant(void **state)
{
    (void)state;
    struct thread *hog = make_pd(0, 150, 2000, 10000);
    struct thread *worker = make_pd(1, 100, 1000, 1000);
    sched_ready(hog);
    sched_ready(worker);
    assert_ptr_equal(fake_schedule(), hog);
    fake_now += 2000;
    sched_timer_tick();
    assert_ptr_equal(fake_schedule(), worker); /* full check: timer fired */
    assert_true(hog->sc.throttled);
    assert_false(hog->queued);
    sched_check_invariants(worker);
}

static void nanoseconds_come_from_the_counter(void **state)
{
    (void)state;
    fake_now = 1234567; /* ticks of the fake's 1 MHz counter */
    assert_int_equal(sched_time_ns(), 1234567000UL);
    fake_now = 3000000000000UL; /* large enough that ticks * 10^9 would overflow 64 bits */
    assert_int_equal(sched_time_ns(), 3000000000000000UL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(highest_priority_runs_first, setup),
        cmocka_unit_test_setup(notification_to_higher_priority_preempts_and_coalesces, setup),
        cmocka_unit_test_setup(preempted_thread_resumes_before_its_peers, setup),
        cmocka_unit_test_setup(equal_priorities_round_robin_on_slice_end, setup),
        cmocka_unit_test_setup(budget_below_period_throttles_until_next_period, setup),
        cmocka_unit_test_setup(ppc_switches_directly_and_reply_returns_message, setup),
        cmocka_unit_test_setup(ppc_without_pp_right_is_refused, setup),
        cmocka_unit_test_setup(waiting_callers_are_served_by_priority, setup),
        cmocka_unit_test_setup(fault_of_parentless_pd_stops_it, setup),
        cmocka_unit_test_setup(fault_goes_to_parent_and_reply_resumes_child, setup),
        cmocka_unit_test_setup(vcpu_in_wfi_sleeps_until_its_timer_deadline, setup),
        cmocka_unit_test_setup(vcpu_whose_deadline_passes_during_its_wfi_trap_keeps_running, setup),
        cmocka_unit_test_setup(injected_interrupt_wakes_a_vcpu_without_deadline, setup),
        cmocka_unit_test_setup(invariant_check_names_a_vcpu_ready_in_no_queue, setup),
        cmocka_unit_test_setup(lost_vcpu_is_caught_when_the_kernel_would_idle, setup),
        cmocka_unit_test_setup(lost_vcpu_is_caught_at_the_next_timer_interrupt, setup),
        cmocka_unit_test_setup(ready_thread_dropped_from_its_queue_is_caught, setup),
        cmocka_unit_test_setup(queued_thread_that_is_not_ready_is_caught, setup),
        cmocka_unit_test_setup(wfi_count_that_disagrees_is_caught, setup),
        cmocka_unit_test_setup(throttled_thread_satisfies_the_invariant, setup),
        cmocka_unit_test_setup(nanoseconds_come_from_the_counter, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
