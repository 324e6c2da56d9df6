/*
 * The kernel's system calls (kernel/core/syscall.c), on the host over the fake arch: for every
 * call, the owned case works, and a PD naming a channel, IRQ, child or vCPU it does not own is
 * refused without touching anyone's state. Every id is also tried as a 64-bit value that would
 * alias an owned id if the kernel narrowed it to 32 bits first.
 *
 * The system: a VMM PD with a child PD and a vCPU, a server PD with a vCPU of its own, channels
 * between VMM and server (one end may notify and call, one may do neither), an IRQ each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <kernel/irq.h>
#include <kernel/ipc.h>
#include <kernel/sched.h>
#include <kernel/syscall.h>
#include <kernel/vcpu.h>
#include <tessera/abi.h>
#include "fake_arch.h"

enum { VMM, SERVER, CHILD, PD_COUNT };

/* The VMM's ids. */
#define VMM_CH_SERVER  1 /* may notify and ppcall the server */
#define VMM_IRQ        3
#define VMM_CH_MUTE    4 /* a channel end with neither right */
#define VMM_CHILD_PD   0
#define VMM_CHILD_VCPU 1
/* The server's ids. */
#define SERVER_CH_VMM     2
#define SERVER_CH_MUTE    5
#define SERVER_IRQ        6
#define SERVER_CHILD_VCPU 2

#define VMM_INTID    40
#define SERVER_INTID 41

/* An id or number as a 64-bit register that narrowing to 32 bits would turn into `id`. */
#define ALIAS(id) ((1UL << 32) | (uint64_t)(id))

static struct sysimage_pd configs[PD_COUNT];
static struct sysimage_vcpu vcpu_configs[2];
static struct tessera_ipc_buffer buffers[PD_COUNT];

static void channel(unsigned a, unsigned a_id, uint8_t a_flags, unsigned b, unsigned b_id, uint8_t b_flags)
{
    configs[a].ids[a_id] = (struct sysimage_id){SYSIMAGE_ID_CHANNEL, (uint8_t)b, (uint8_t)b_id, a_flags, 0, 0};
    configs[b].ids[b_id] = (struct sysimage_id){SYSIMAGE_ID_CHANNEL, (uint8_t)a, (uint8_t)a_id, b_flags, 0, 0};
}

static void irq(unsigned pd, unsigned id, uint16_t intid)
{
    configs[pd].ids[id] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, 0, intid, 0};
    irq_register(intid, (uint8_t)pd, (uint8_t)id, false);
}

static void make_vcpu(unsigned index, unsigned owner, unsigned child_id)
{
    struct vcpu *v = &vcpus[index];
    vcpu_configs[index] = (struct sysimage_vcpu){.vm = 0, .id = (uint8_t)child_id};
    *v = (struct vcpu){.config = &vcpu_configs[index], .id = (uint8_t)child_id};
    v->thread.is_vcpu = true;
    v->thread.vcpu = v;
    v->thread.pd = (uint8_t)owner;
    v->thread.name = index == 0 ? "vcpu0" : "vcpu1";
    sched_init_thread(&v->thread, 90, 1000, 1000);
    arch_vcpu_init(v);
    configs[owner].children[child_id] = (struct sysimage_child){SYSIMAGE_CHILD_VCPU, (uint8_t)index, 0};
}

static int setup(void **state)
{
    (void)state;
    static const char *const names[PD_COUNT] = {"vmm", "server", "child"};
    static const uint8_t priorities[PD_COUNT] = {100, 150, 50};
    fake_arch_reset();
    fake_now = 5000;
    sched_init();
    irq_init();
    memset(configs, 0, sizeof(configs));
    memset(buffers, 0, sizeof(buffers));
    pd_count = PD_COUNT;
    for (unsigned i = 0; i < PD_COUNT; i++) {
        struct pd *pd = &pds[i];
        memset(pd, 0, sizeof(*pd));
        snprintf(configs[i].name, sizeof(configs[i].name), "%s", names[i]);
        configs[i].priority = priorities[i];
        configs[i].parent = SYSIMAGE_NONE;
        pd->config = &configs[i];
        pd->ipc_buffer_pa = (paddr_t)&buffers[i];
        pd->thread.pd = (uint8_t)i;
        pd->thread.name = configs[i].name;
        sched_init_thread(&pd->thread, priorities[i], 1000, 1000);
        /* Booted and waiting for events. */
        thread_set_state(&pd->thread, THREAD_READY);
        thread_set_state(&pd->thread, THREAD_BLOCKED_RECV);
    }
    configs[CHILD].parent = VMM;
    configs[CHILD].id_in_parent = VMM_CHILD_PD;
    configs[VMM].children[VMM_CHILD_PD] = (struct sysimage_child){SYSIMAGE_CHILD_PD, CHILD, 0};
    configs[SERVER].smc = 1;
    channel(VMM, VMM_CH_SERVER, SYSIMAGE_CH_NOTIFY | SYSIMAGE_CH_PPC, SERVER, SERVER_CH_VMM, SYSIMAGE_CH_NOTIFY);
    channel(VMM, VMM_CH_MUTE, 0, SERVER, SERVER_CH_MUTE, SYSIMAGE_CH_NOTIFY);
    irq(VMM, VMM_IRQ, VMM_INTID);
    irq(SERVER, SERVER_IRQ, SERVER_INTID);
    vcpu_count = 2;
    idle_vcpus = 0;
    make_vcpu(0, VMM, VMM_CHILD_VCPU);
    make_vcpu(1, SERVER, SERVER_CHILD_VCPU);
    return 0;
}

/* PD `pd` makes system call `number` with x0..x2, as the running thread (woken if it waited).
 * Returns its x0 after the call. */
static uint64_t sys(unsigned pd, uint64_t number, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct thread *t = &pds[pd].thread;
    if (t->state != THREAD_READY) {
        thread_set_state(t, THREAD_READY);
    }
    sched_unready(t);
    current = t;
    arch_frame_set_arg(&t->frame, 0, a0);
    arch_frame_set_arg(&t->frame, 1, a1);
    arch_frame_set_arg(&t->frame, 2, a2);
    t->frame.arg[ARCH_SYSCALL_ARGS] = number; /* the fake's slot for the call number */
    syscall_dispatch(t);
    return arch_frame_arg(&t->frame, 0);
}

static uint64_t result1(unsigned pd)
{
    return arch_frame_arg(&pds[pd].thread.frame, 1);
}

/* SYS_NOTIFY */

static void notify_on_an_owned_channel_reaches_the_peer(void **state)
{
    (void)state;
    assert_int_equal(sys(VMM, SYS_NOTIFY, VMM_CH_SERVER, 0, 0), TESSERA_OK);
    assert_int_equal(pds[SERVER].notify_word, BIT(SERVER_CH_VMM));
    assert_int_equal(pds[SERVER].thread.state, THREAD_READY);
}

static void notify_is_refused_for_ids_not_owned(void **state)
{
    (void)state;
    const uint64_t refused[] = {VMM_CH_MUTE, VMM_IRQ, SERVER_CH_VMM, SERVER_IRQ,
                                62,          63,      UINT64_MAX,    ALIAS(VMM_CH_SERVER)};
    for (unsigned i = 0; i < ARRAY_SIZE(refused); i++) {
        assert_int_equal(sys(VMM, SYS_NOTIFY, refused[i], 0, 0), TESSERA_INVALID_ARGUMENT);
    }
    assert_int_equal(pds[SERVER].notify_word, 0);
    assert_int_equal(pds[SERVER].thread.state, THREAD_BLOCKED_RECV);
}

/* SYS_IRQ_ACK */

static void irq_ack_of_an_owned_irq_unmasks_it(void **state)
{
    (void)state;
    assert_true(fake_irq_masked[VMM_INTID]); /* masked from registration until the first ack */
    assert_int_equal(sys(VMM, SYS_IRQ_ACK, VMM_IRQ, 0, 0), TESSERA_OK);
    assert_false(fake_irq_masked[VMM_INTID]);
}

static void irq_ack_is_refused_for_ids_not_owned(void **state)
{
    (void)state;
    const uint64_t refused[] = {SERVER_IRQ, VMM_CH_SERVER, 63, ALIAS(VMM_IRQ), UINT64_MAX};
    for (unsigned i = 0; i < ARRAY_SIZE(refused); i++) {
        assert_int_equal(sys(VMM, SYS_IRQ_ACK, refused[i], 0, 0), TESSERA_INVALID_ARGUMENT);
    }
    assert_true(fake_irq_masked[VMM_INTID]);
    assert_true(fake_irq_masked[SERVER_INTID]);
}

/* SYS_SIGNAL_RECV: the deferred action is checked like the call it stands for. */

static uint64_t deferred(unsigned op, uint64_t id)
{
    return op | id << 8;
}

static void signal_recv_does_an_owned_deferred_action_then_waits(void **state)
{
    (void)state;
    sys(VMM, SYS_SIGNAL_RECV, deferred(DEFERRED_NOTIFY, VMM_CH_SERVER), 0, 0);
    assert_int_equal(pds[SERVER].notify_word, BIT(SERVER_CH_VMM));
    assert_int_equal(pds[VMM].thread.state, THREAD_BLOCKED_RECV);
    sys(VMM, SYS_SIGNAL_RECV, deferred(DEFERRED_IRQ_ACK, VMM_IRQ), 0, 0);
    assert_false(fake_irq_masked[VMM_INTID]);
    assert_int_equal(pds[VMM].thread.state, THREAD_BLOCKED_RECV);
}

static void signal_recv_skips_a_deferred_action_on_ids_not_owned(void **state)
{
    (void)state;
    const uint64_t actions[] = {
        deferred(DEFERRED_NOTIFY, VMM_CH_MUTE),
        deferred(DEFERRED_NOTIFY, SERVER_CH_VMM),
        deferred(DEFERRED_NOTIFY, 63),
        /* (x0 >> 8) & 0xff would make this VMM_CH_SERVER */
        deferred(DEFERRED_NOTIFY, (1UL << 8) | VMM_CH_SERVER),
        deferred(DEFERRED_NOTIFY, ALIAS(VMM_CH_SERVER)),
        deferred(DEFERRED_IRQ_ACK, SERVER_IRQ),
        deferred(DEFERRED_IRQ_ACK, VMM_CH_SERVER),
        deferred(DEFERRED_IRQ_ACK, (1UL << 8) | VMM_IRQ),
        deferred(DEFERRED_IRQ_ACK, ALIAS(VMM_IRQ)),
    };
    for (unsigned i = 0; i < ARRAY_SIZE(actions); i++) {
        sys(VMM, SYS_SIGNAL_RECV, actions[i], 0, 0);
        assert_int_equal(pds[VMM].thread.state, THREAD_BLOCKED_RECV);
    }
    assert_int_equal(pds[SERVER].notify_word, 0);
    assert_true(fake_irq_masked[VMM_INTID]);
    assert_true(fake_irq_masked[SERVER_INTID]);
}

/* SYS_RECV */

static void recv_waits_or_takes_what_is_pending(void **state)
{
    (void)state;
    sys(SERVER, SYS_RECV, 0, 0, 0);
    assert_int_equal(pds[SERVER].thread.state, THREAD_BLOCKED_RECV);
    pds[SERVER].notify_word = BIT(SERVER_CH_VMM);
    assert_int_equal(sys(SERVER, SYS_RECV, 0, 0, 0), EVENT_NOTIFY);
    assert_int_equal(pds[SERVER].thread.state, THREAD_READY);
    assert_int_equal(arch_frame_arg(&pds[SERVER].thread.frame, 6), BIT(SERVER_CH_VMM));
}

/* SYS_PPCALL and SYS_REPLY_RECV */

static void ppcall_on_an_owned_channel_reaches_the_server_and_only_it_replies(void **state)
{
    (void)state;
    sys(VMM, SYS_PPCALL, VMM_CH_SERVER, (7UL << 12) | 1, 0);
    assert_int_equal(pds[VMM].thread.state, THREAD_BLOCKED_CALL);
    struct thread *server = &pds[SERVER].thread;
    assert_int_equal(server->state, THREAD_READY);
    assert_int_equal(arch_frame_arg(&server->frame, 0), EVENT_PPC);
    assert_int_equal(arch_frame_arg(&server->frame, 6), SERVER_CH_VMM);
    /* A PD that serves no one replies to no one. */
    sys(CHILD, SYS_REPLY_RECV, 0, (9UL << 12), 0);
    assert_int_equal(pds[VMM].thread.state, THREAD_BLOCKED_CALL);
    sys(SERVER, SYS_REPLY_RECV, 0, (8UL << 12), 0);
    assert_int_equal(pds[VMM].thread.state, THREAD_READY);
    assert_int_equal(result1(VMM), 8UL << 12);
    assert_int_equal(server->state, THREAD_BLOCKED_RECV);
}

static void ppcall_is_refused_for_ids_not_owned_or_without_the_right(void **state)
{
    (void)state;
    const uint64_t refused[] = {VMM_CH_MUTE, VMM_IRQ, SERVER_CH_VMM, 63, ALIAS(VMM_CH_SERVER), UINT64_MAX};
    for (unsigned i = 0; i < ARRAY_SIZE(refused); i++) {
        assert_int_equal(sys(VMM, SYS_PPCALL, refused[i], 5, 0), TESSERA_INVALID_ARGUMENT);
        assert_int_equal(result1(VMM), 0);
        assert_int_equal(pds[VMM].thread.state, THREAD_READY);
    }
    /* The server's end of the channel may notify but not call. */
    assert_int_equal(sys(SERVER, SYS_PPCALL, SERVER_CH_VMM, 0, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(pds[VMM].thread.state, THREAD_READY);
    assert_int_equal(pds[SERVER].thread.state, THREAD_READY);
    assert_null(pds[SERVER].ep_head);
    assert_null(pds[VMM].ep_head);
}

/* SYS_CHILD_CTL */

static void child_control_of_an_owned_child_restarts_stops_and_resumes_it(void **state)
{
    (void)state;
    struct thread *child = &pds[CHILD].thread;
    assert_int_equal(sys(VMM, SYS_CHILD_CTL, VMM_CHILD_PD, CHILD_RESTART, 0x200400), TESSERA_OK);
    assert_int_equal(child->state, THREAD_READY);
    assert_true(child->queued);
    assert_int_equal(arch_frame_pc(&child->frame), 0x200400);
    assert_int_equal(sys(VMM, SYS_CHILD_CTL, VMM_CHILD_PD, CHILD_STOP, 0), TESSERA_OK);
    assert_int_equal(child->state, THREAD_INACTIVE);
    assert_false(child->queued);
    assert_int_equal(sys(VMM, SYS_CHILD_CTL, VMM_CHILD_PD, CHILD_RESUME, 0), TESSERA_OK);
    assert_int_equal(child->state, THREAD_READY);
    assert_int_equal(sys(VMM, SYS_CHILD_CTL, VMM_CHILD_PD, 3, 0), TESSERA_INVALID_ARGUMENT);
    /* A vCPU child: a restart also resets its virtual interrupts. */
    assert_int_equal(sys(VMM, SYS_CHILD_CTL, VMM_CHILD_VCPU, CHILD_RESTART, 0x40000000), TESSERA_OK);
    assert_int_equal(vcpus[0].thread.state, THREAD_READY);
    assert_int_equal(vcpus[0].arch.resets, 1);
    assert_int_equal(arch_frame_pc(&vcpus[0].thread.frame), 0x40000000);
}

static void child_control_is_refused_for_children_not_owned(void **state)
{
    (void)state;
    const uint64_t ops[] = {CHILD_RESTART, CHILD_STOP, CHILD_RESUME};
    for (unsigned op = 0; op < ARRAY_SIZE(ops); op++) {
        /* The server has no child 0 (the VMM's child PD) and no child 1 (the VMM's vCPU). */
        assert_int_equal(sys(SERVER, SYS_CHILD_CTL, VMM_CHILD_PD, ops[op], 0x1000), TESSERA_INVALID_ARGUMENT);
        assert_int_equal(sys(SERVER, SYS_CHILD_CTL, VMM_CHILD_VCPU, ops[op], 0x1000), TESSERA_INVALID_ARGUMENT);
        /* The VMM has no child 2 (the server's vCPU). */
        assert_int_equal(sys(VMM, SYS_CHILD_CTL, SERVER_CHILD_VCPU, ops[op], 0x1000), TESSERA_INVALID_ARGUMENT);
        assert_int_equal(sys(VMM, SYS_CHILD_CTL, ALIAS(VMM_CHILD_PD), ops[op], 0x1000), TESSERA_INVALID_ARGUMENT);
        assert_int_equal(sys(VMM, SYS_CHILD_CTL, 63, ops[op], 0x1000), TESSERA_INVALID_ARGUMENT);
    }
    assert_int_equal(pds[CHILD].thread.state, THREAD_BLOCKED_RECV);
    assert_int_equal(vcpus[0].thread.state, THREAD_INACTIVE);
    assert_int_equal(vcpus[1].thread.state, THREAD_INACTIVE);
    assert_int_equal(arch_frame_pc(&vcpus[1].thread.frame), 0);
    assert_int_equal(vcpus[1].arch.resets, 0);
}

/* SYS_TCB_READ and SYS_TCB_WRITE */

static void tcb_read_of_an_owned_child_copies_its_registers(void **state)
{
    (void)state;
    struct thread *child = &pds[CHILD].thread;
    arch_frame_set_pc(&child->frame, 0x201000);
    arch_frame_set_arg(&child->frame, 0, 77);
    assert_int_equal(sys(VMM, SYS_TCB_READ, VMM_CHILD_PD, TESSERA_USER_CONTEXT_WORDS, 0), TESSERA_OK);
    assert_int_equal(buffers[VMM].mrs[UCTX_PC], 0x201000);
    assert_int_equal(buffers[VMM].mrs[UCTX_X0], 77);
}

static void tcb_read_is_refused_for_children_not_owned(void **state)
{
    (void)state;
    arch_frame_set_pc(&pds[CHILD].thread.frame, 0x201000);
    arch_frame_set_pc(&vcpus[1].thread.frame, 0x40001000);
    assert_int_equal(sys(SERVER, SYS_TCB_READ, VMM_CHILD_PD, 4, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_TCB_READ, SERVER_CHILD_VCPU, 4, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_TCB_READ, ALIAS(VMM_CHILD_PD), 4, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_TCB_READ, VMM_CHILD_PD, TESSERA_USER_CONTEXT_WORDS + 1, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_TCB_READ, VMM_CHILD_PD, ALIAS(4), 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(buffers[SERVER].mrs[UCTX_PC], 0);
    assert_int_equal(buffers[VMM].mrs[UCTX_PC], 0);
}

static void tcb_write_of_an_owned_child_sets_and_resumes_it(void **state)
{
    (void)state;
    struct thread *child = &pds[CHILD].thread;
    sys(VMM, SYS_CHILD_CTL, VMM_CHILD_PD, CHILD_STOP, 0);
    buffers[VMM].mrs[UCTX_PC] = 0x202000;
    buffers[VMM].mrs[UCTX_SPSR] = 0x3c5; /* a privileged mode: the arch refuses it for a PD */
    buffers[VMM].mrs[UCTX_X0 + 1] = 99;
    assert_int_equal(sys(VMM, SYS_TCB_WRITE, VMM_CHILD_PD, 1, UCTX_X0 + 2), TESSERA_OK);
    assert_int_equal(arch_frame_pc(&child->frame), 0x202000);
    assert_int_equal(arch_frame_arg(&child->frame, 1), 99);
    assert_int_equal(child->arch.context[UCTX_SPSR], 0);
    assert_int_equal(child->state, THREAD_READY);
}

static void tcb_write_is_refused_for_children_not_owned(void **state)
{
    (void)state;
    buffers[VMM].mrs[UCTX_PC] = 0xbad000;
    buffers[SERVER].mrs[UCTX_PC] = 0xbad000;
    assert_int_equal(sys(SERVER, SYS_TCB_WRITE, VMM_CHILD_PD, 1, 3), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_TCB_WRITE, SERVER_CHILD_VCPU, 1, 3), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_TCB_WRITE, ALIAS(VMM_CHILD_PD), 1, 3), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_TCB_WRITE, VMM_CHILD_PD, 1, ALIAS(3)), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(arch_frame_pc(&pds[CHILD].thread.frame), 0);
    assert_int_equal(arch_frame_pc(&vcpus[1].thread.frame), 0);
    assert_int_equal(pds[CHILD].thread.state, THREAD_BLOCKED_RECV);
    assert_int_equal(vcpus[1].thread.state, THREAD_INACTIVE);
}

/* SYS_VCPU_READ_REG and SYS_VCPU_WRITE_REG */

static void vcpu_registers_of_an_owned_vcpu_read_and_write(void **state)
{
    (void)state;
    assert_int_equal(sys(VMM, SYS_VCPU_WRITE_REG, VMM_CHILD_VCPU, VCPU_TTBR0, 0x41000000), TESSERA_OK);
    assert_int_equal(vcpus[0].arch.regs[VCPU_TTBR0], 0x41000000);
    assert_int_equal(sys(VMM, SYS_VCPU_READ_REG, VMM_CHILD_VCPU, VCPU_TTBR0, 0), TESSERA_OK);
    assert_int_equal(result1(VMM), 0x41000000);
}

static void vcpu_registers_are_refused_for_vcpus_not_owned(void **state)
{
    (void)state;
    vcpus[1].arch.regs[VCPU_TTBR0] = 0x1111;
    vcpus[0].arch.regs[VCPU_TTBR0] = 0x2222;
    /* the server's vCPU; the VMM's child PD, which is no vCPU; an alias of the VMM's vCPU */
    const uint64_t vmm_refused[] = {SERVER_CHILD_VCPU, VMM_CHILD_PD, ALIAS(VMM_CHILD_VCPU), 63};
    for (unsigned i = 0; i < ARRAY_SIZE(vmm_refused); i++) {
        assert_int_equal(sys(VMM, SYS_VCPU_READ_REG, vmm_refused[i], VCPU_TTBR0, 0), TESSERA_INVALID_ARGUMENT);
        assert_int_equal(result1(VMM), 0);
        assert_int_equal(sys(VMM, SYS_VCPU_WRITE_REG, vmm_refused[i], VCPU_TTBR0, 0xbad), TESSERA_INVALID_ARGUMENT);
    }
    assert_int_equal(sys(SERVER, SYS_VCPU_READ_REG, VMM_CHILD_VCPU, VCPU_TTBR0, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(result1(SERVER), 0);
    assert_int_equal(sys(SERVER, SYS_VCPU_WRITE_REG, VMM_CHILD_VCPU, VCPU_TTBR0, 0xbad), TESSERA_INVALID_ARGUMENT);
    /* A register number is a 64-bit value too. */
    assert_int_equal(sys(VMM, SYS_VCPU_READ_REG, VMM_CHILD_VCPU, ALIAS(VCPU_TTBR0), 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_VCPU_WRITE_REG, VMM_CHILD_VCPU, ALIAS(VCPU_TTBR0), 0xbad), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(vcpus[1].arch.regs[VCPU_TTBR0], 0x1111);
    assert_int_equal(vcpus[0].arch.regs[VCPU_TTBR0], 0x2222);
}

/* SYS_VCPU_INJECT */

/* vCPU 0 started by its VMM, running, then halted in WFI with no timer. */
static void vcpu0_waits_in_wfi(void)
{
    sys(VMM, SYS_CHILD_CTL, VMM_CHILD_VCPU, CHILD_RESTART, 0x40000000);
    struct thread *t = &vcpus[0].thread;
    sched_unready(t);
    current = t;
    vcpu_wait_for_interrupt(&vcpus[0], 0);
}

static void inject_into_an_owned_vcpu_wakes_it(void **state)
{
    (void)state;
    vcpu0_waits_in_wfi();
    uint64_t word = TESSERA_INJECT_WORD(33, 0, 1, 0);
    fake_inject_result = TESSERA_DELETE_FIRST; /* the arch's own refusal comes back as it is */
    assert_int_equal(sys(VMM, SYS_VCPU_INJECT, VMM_CHILD_VCPU, word, 0), TESSERA_DELETE_FIRST);
    assert_int_equal(vcpus[0].thread.state, THREAD_IDLE_WFI);
    fake_inject_result = TESSERA_OK;
    assert_int_equal(sys(VMM, SYS_VCPU_INJECT, VMM_CHILD_VCPU, word, 0), TESSERA_OK);
    assert_int_equal(vcpus[0].arch.last_inject, word);
    assert_int_equal(vcpus[0].thread.state, THREAD_READY);
}

static void inject_is_refused_for_vcpus_not_owned(void **state)
{
    (void)state;
    vcpu0_waits_in_wfi();
    uint64_t word = TESSERA_INJECT_WORD(33, 0, 1, 0);
    assert_int_equal(sys(VMM, SYS_VCPU_INJECT, SERVER_CHILD_VCPU, word, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_VCPU_INJECT, VMM_CHILD_PD, word, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_VCPU_INJECT, ALIAS(VMM_CHILD_VCPU), word, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(SERVER, SYS_VCPU_INJECT, VMM_CHILD_VCPU, word, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(vcpus[0].arch.last_inject, 0);
    assert_int_equal(vcpus[1].arch.last_inject, 0);
    assert_int_equal(vcpus[0].thread.state, THREAD_IDLE_WFI);
}

/* SYS_VCPU_ACK_VPPI */

static void vppi_ack_of_an_owned_vcpu_reaches_the_arch(void **state)
{
    (void)state;
    vcpus[0].arch.vppi_masked = true;
    assert_int_equal(sys(VMM, SYS_VCPU_ACK_VPPI, VMM_CHILD_VCPU, FAKE_VPPI, 0), TESSERA_OK);
    assert_false(vcpus[0].arch.vppi_masked);
    assert_int_equal(vcpus[0].arch.vppi_acks, 1);
    /* an interrupt that is not the one the kernel delivers */
    assert_int_equal(sys(VMM, SYS_VCPU_ACK_VPPI, VMM_CHILD_VCPU, FAKE_VPPI + 1, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_VCPU_ACK_VPPI, VMM_CHILD_VCPU, ALIAS(FAKE_VPPI), 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(vcpus[0].arch.vppi_acks, 1);
}

static void vppi_ack_is_refused_for_vcpus_not_owned(void **state)
{
    (void)state;
    vcpus[1].arch.vppi_masked = true;
    assert_int_equal(sys(VMM, SYS_VCPU_ACK_VPPI, SERVER_CHILD_VCPU, FAKE_VPPI, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_VCPU_ACK_VPPI, VMM_CHILD_PD, FAKE_VPPI, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(VMM, SYS_VCPU_ACK_VPPI, ALIAS(VMM_CHILD_VCPU), FAKE_VPPI, 0), TESSERA_INVALID_ARGUMENT);
    assert_int_equal(sys(SERVER, SYS_VCPU_ACK_VPPI, VMM_CHILD_VCPU, FAKE_VPPI, 0), TESSERA_INVALID_ARGUMENT);
    assert_true(vcpus[1].arch.vppi_masked);
    assert_int_equal(vcpus[0].arch.vppi_acks + vcpus[1].arch.vppi_acks, 0);
}

/* SYS_SMC */

static void smc_only_for_a_pd_given_the_right(void **state)
{
    (void)state;
    assert_int_equal(sys(VMM, SYS_SMC, 0x84000000, 0, 0), ARCH_SMC_NOT_SUPPORTED);
    assert_int_equal(fake_smc_calls, 0);
    assert_int_equal(sys(SERVER, SYS_SMC, 0x84000000, 0, 0), 0x84000001);
    assert_int_equal(fake_smc_calls, 1);
}

/* SYS_TIME_NOW: nanoseconds of the physical counter, for any PD. */

static void time_is_the_counter_in_nanoseconds(void **state)
{
    (void)state;
    fake_now = 7000; /* ticks at the fake's 1 MHz */
    assert_int_equal(sys(CHILD, SYS_TIME_NOW, 0, 0, 0), 7000000);
    fake_now = 7001;
    assert_int_equal(sys(VMM, SYS_TIME_NOW, 0, 0, 0), 7001000);
}

/* The debug calls need no authority; their arguments are still checked. */

static void debug_write_length_is_checked(void **state)
{
    (void)state;
    memcpy(buffers[CHILD].debug_text, "K| hello\n", 9);
    assert_int_equal(sys(CHILD, SYS_DEBUG_WRITE, 9, 0, 0), TESSERA_OK);
    assert_int_equal(sys(CHILD, SYS_DEBUG_WRITE, TESSERA_DEBUG_TEXT_MAX + 1, 0, 0), TESSERA_RANGE_ERROR);
    assert_int_equal(sys(CHILD, SYS_DEBUG_WRITE, ALIAS(9), 0, 0), TESSERA_RANGE_ERROR);
    sys(CHILD, SYS_DEBUG_PUTC, '\n', 0, 0);
}

static void debug_poweroff_ends_the_system(void **state)
{
    (void)state;
    if (setjmp(fake_return) == 0) {
        sys(CHILD, SYS_DEBUG_POWEROFF, 0, 0, 0);
    }
    assert_int_equal(fake_poweroffs, 1);
}

/* An unknown number is a fault, whatever it would alias to if narrowed. */

static void unknown_call_is_a_fault_to_the_parent(void **state)
{
    (void)state;
    /* A number that narrowing would make SYS_RECV: the child faults instead of waiting. */
    sys(CHILD, ALIAS(SYS_RECV), 0, 0, 0);
    assert_int_equal(pds[CHILD].thread.state, THREAD_BLOCKED_FAULT);
    struct thread *vmm = &pds[VMM].thread;
    assert_int_equal(vmm->state, THREAD_READY);
    assert_int_equal(arch_frame_arg(&vmm->frame, 0), EVENT_FAULT);
    assert_int_equal(arch_frame_arg(&vmm->frame, 1) >> 12, FAULT_USER_EXCEPTION);
    assert_int_equal(arch_frame_arg(&vmm->frame, 6), VMM_CHILD_PD);
}

static void unknown_calls_do_nothing_but_fault(void **state)
{
    (void)state;
    const uint64_t numbers[] = {SYS_COUNT, ALIAS(SYS_NOTIFY), ALIAS(SYS_PPCALL), UINT64_MAX};
    for (unsigned i = 0; i < ARRAY_SIZE(numbers); i++) {
        sys(VMM, numbers[i], VMM_CH_SERVER, 0, 0);
        /* The VMM has no parent: the kernel stops it. Nothing was notified or called. */
        assert_int_equal(pds[VMM].thread.state, THREAD_INACTIVE);
        assert_int_equal(pds[SERVER].notify_word, 0);
        assert_int_equal(pds[SERVER].thread.state, THREAD_BLOCKED_RECV);
        assert_null(pds[SERVER].ep_head);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(notify_on_an_owned_channel_reaches_the_peer, setup),
        cmocka_unit_test_setup(notify_is_refused_for_ids_not_owned, setup),
        cmocka_unit_test_setup(irq_ack_of_an_owned_irq_unmasks_it, setup),
        cmocka_unit_test_setup(irq_ack_is_refused_for_ids_not_owned, setup),
        cmocka_unit_test_setup(signal_recv_does_an_owned_deferred_action_then_waits, setup),
        cmocka_unit_test_setup(signal_recv_skips_a_deferred_action_on_ids_not_owned, setup),
        cmocka_unit_test_setup(recv_waits_or_takes_what_is_pending, setup),
        cmocka_unit_test_setup(ppcall_on_an_owned_channel_reaches_the_server_and_only_it_replies, setup),
        cmocka_unit_test_setup(ppcall_is_refused_for_ids_not_owned_or_without_the_right, setup),
        cmocka_unit_test_setup(child_control_of_an_owned_child_restarts_stops_and_resumes_it, setup),
        cmocka_unit_test_setup(child_control_is_refused_for_children_not_owned, setup),
        cmocka_unit_test_setup(tcb_read_of_an_owned_child_copies_its_registers, setup),
        cmocka_unit_test_setup(tcb_read_is_refused_for_children_not_owned, setup),
        cmocka_unit_test_setup(tcb_write_of_an_owned_child_sets_and_resumes_it, setup),
        cmocka_unit_test_setup(tcb_write_is_refused_for_children_not_owned, setup),
        cmocka_unit_test_setup(vcpu_registers_of_an_owned_vcpu_read_and_write, setup),
        cmocka_unit_test_setup(vcpu_registers_are_refused_for_vcpus_not_owned, setup),
        cmocka_unit_test_setup(inject_into_an_owned_vcpu_wakes_it, setup),
        cmocka_unit_test_setup(inject_is_refused_for_vcpus_not_owned, setup),
        cmocka_unit_test_setup(vppi_ack_of_an_owned_vcpu_reaches_the_arch, setup),
        cmocka_unit_test_setup(vppi_ack_is_refused_for_vcpus_not_owned, setup),
        cmocka_unit_test_setup(smc_only_for_a_pd_given_the_right, setup),
        cmocka_unit_test_setup(time_is_the_counter_in_nanoseconds, setup),
        cmocka_unit_test_setup(debug_write_length_is_checked, setup),
        cmocka_unit_test_setup(debug_poweroff_ends_the_system, setup),
        cmocka_unit_test_setup(unknown_call_is_a_fault_to_the_parent, setup),
        cmocka_unit_test_setup(unknown_calls_do_nothing_but_fault, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
