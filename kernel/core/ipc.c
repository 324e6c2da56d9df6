/*
 * Notifications coalesce into a PD's notification word (one bit per channel or IRQ id) and are
 * delivered by its next RECV. PPCs and faults are messages: the sender blocks, the receiver gets
 * the message at RECV (callers and faulters queue by priority, FIFO within one priority) and
 * answers with REPLY_RECV. Message registers MR0..MR3 travel in x2..x5; MR4 and up are copied
 * between IPC buffers by the kernel.
 */
#include <kernel/ipc.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include <tessera/abi.h>

static struct tessera_ipc_buffer *ipc_buffer(struct pd *pd)
{
    return (struct tessera_ipc_buffer *)pd->ipc_buffer_pa;
}

static unsigned msg_count(uint64_t info)
{
    unsigned count = (unsigned)(info & 0x7f);
    return count > TESSERA_MSG_MAX_WORDS ? TESSERA_MSG_MAX_WORDS : count;
}

static void deliver_notification(struct pd *pd)
{
    struct frame *f = &pd->thread.frame;
    arch_frame_set_arg(f, 0, EVENT_NOTIFY);
    arch_frame_set_arg(f, 1, 0);
    arch_frame_set_arg(f, 6, pd->notify_word);
    pd->notify_word = 0;
}

static struct thread *sc_owner(struct thread *t)
{
    return t->donor != NULL ? t->donor : t;
}

static void deliver_message(struct pd *receiver, struct thread *sender)
{
    struct frame *f = &receiver->thread.frame;
    unsigned count = msg_count(sender->msg.info);
    arch_frame_set_arg(f, 0, sender->msg_is_fault ? EVENT_FAULT : EVENT_PPC);
    arch_frame_set_arg(f, 1, sender->msg.info);
    for (unsigned i = 0; i < 4; i++) {
        arch_frame_set_arg(f, 2 + i, sender->msg.mr[i]);
    }
    arch_frame_set_arg(f, 6, sender->msg_badge_id);
    if (sender->msg_is_fault) {
        if (count > 4) {
            ipc_buffer(receiver)->mrs[4] = sender->msg.mr[4];
        }
    } else {
        struct tessera_ipc_buffer *from = ipc_buffer(thread_pd(sender));
        struct tessera_ipc_buffer *to = ipc_buffer(receiver);
        for (unsigned i = 4; i < count; i++) {
            to->mrs[i] = from->mrs[i];
        }
        /* A PPC runs on the caller's time. */
        receiver->thread.donor = sc_owner(sender);
    }
    receiver->reply_to = sender;
}

static void endpoint_enqueue(struct pd *receiver, struct thread *sender)
{
    struct thread **link = &receiver->ep_head;
    while (*link != NULL && (*link)->priority >= sender->priority) {
        link = &(*link)->ep_next;
    }
    sender->ep_next = *link;
    *link = sender;
}

static void endpoint_remove(struct pd *receiver, struct thread *sender)
{
    for (struct thread **link = &receiver->ep_head; *link != NULL; link = &(*link)->ep_next) {
        if (*link == sender) {
            *link = sender->ep_next;
            sender->ep_next = NULL;
            return;
        }
    }
}

static void send_message(struct pd *receiver, struct thread *sender)
{
    if (receiver->thread.state == THREAD_BLOCKED_RECV) {
        deliver_message(receiver, sender);
        sched_ready_direct(&receiver->thread);
    } else {
        endpoint_enqueue(receiver, sender);
    }
}

void ipc_deliver_on_dispatch(struct thread *t)
{
    t->notify_on_dispatch = false;
    deliver_notification(thread_pd(t));
}

void ipc_notify(struct pd *target, unsigned bit)
{
    target->notify_word |= BIT(bit);
    if (target->thread.state == THREAD_BLOCKED_RECV) {
        target->thread.notify_on_dispatch = true;
        if (current != NULL && target->thread.priority > current->priority) {
            sched_ready_direct(&target->thread);
        } else {
            sched_ready(&target->thread);
        }
    }
}

void ipc_recv(struct pd *pd)
{
    struct thread *t = &pd->thread;
    /* Not replying to a caller or faulter before the next RECV leaves it blocked (seL4's rule). */
    pd->reply_to = NULL;
    t->donor = NULL;
    if (pd->notify_word != 0) {
        deliver_notification(pd);
        return;
    }
    if (pd->ep_head != NULL) {
        struct thread *sender = pd->ep_head;
        pd->ep_head = sender->ep_next;
        sender->ep_next = NULL;
        deliver_message(pd, sender);
        return;
    }
    thread_set_state(t, THREAD_BLOCKED_RECV);
}

void ipc_reply_recv(struct pd *pd, uint64_t info, const uint64_t mrs[4])
{
    struct thread *to = pd->reply_to;
    if (to != NULL && to->state == THREAD_BLOCKED_CALL) {
        struct frame *f = &to->frame;
        unsigned count = msg_count(info);
        arch_frame_set_arg(f, 1, info);
        for (unsigned i = 0; i < 4; i++) {
            arch_frame_set_arg(f, 2 + i, mrs[i]);
        }
        struct tessera_ipc_buffer *from = ipc_buffer(pd);
        struct tessera_ipc_buffer *dest = ipc_buffer(thread_pd(to));
        for (unsigned i = 4; i < count; i++) {
            dest->mrs[i] = from->mrs[i];
        }
        sched_ready_direct(to);
    } else if (to != NULL && to->state == THREAD_BLOCKED_FAULT) {
        to->fault_handler = NULL;
        sched_ready_direct(to);
    }
    ipc_recv(pd);
}

int ipc_ppcall(struct pd *caller, uint64_t id)
{
    if (id >= SYSIMAGE_IDS) {
        return TESSERA_INVALID_ARGUMENT;
    }
    const struct sysimage_id *slot = &caller->config->ids[id];
    if (slot->kind != SYSIMAGE_ID_CHANNEL || !(slot->flags & SYSIMAGE_CH_PPC)) {
        return TESSERA_INVALID_ARGUMENT;
    }
    struct thread *t = &caller->thread;
    struct pd *callee = &pds[slot->peer_pd];
    t->msg.info = arch_frame_arg(&t->frame, 1);
    for (unsigned i = 0; i < 4; i++) {
        t->msg.mr[i] = arch_frame_arg(&t->frame, 2 + i);
    }
    t->msg_is_fault = false;
    t->msg_badge_id = slot->peer_id;
    thread_set_state(t, THREAD_BLOCKED_CALL);
    send_message(callee, t);
    return TESSERA_OK;
}

static struct pd *fault_receiver(struct thread *t, uint8_t *child_id)
{
    if (t->is_vcpu) {
        *child_id = t->vcpu->id;
        return &pds[t->pd];
    }
    const struct sysimage_pd *config = thread_pd(t)->config;
    if (config->parent == SYSIMAGE_NONE) {
        return NULL;
    }
    *child_id = config->id_in_parent;
    return &pds[config->parent];
}

void ipc_fault(struct thread *t, uint64_t label, const uint64_t *mrs, unsigned count)
{
    uint8_t child_id = 0;
    struct pd *receiver = fault_receiver(t, &child_id);
    if (receiver == NULL) {
        kdebug("K| fault: PD '%s' stopped: label %lu pc 0x%lx address 0x%lx esr 0x%lx\n", t->name, label,
               arch_frame_pc(&t->frame), count > 1 ? mrs[1] : 0, count > 3 ? mrs[3] : 0);
        thread_set_state(t, THREAD_INACTIVE);
        return;
    }
    t->msg.info = label << 12 | count;
    for (unsigned i = 0; i < 5; i++) {
        t->msg.mr[i] = i < count ? mrs[i] : 0;
    }
    t->msg_is_fault = true;
    t->msg_badge_id = child_id;
    thread_set_state(t, THREAD_BLOCKED_FAULT);
    t->fault_handler = &receiver->thread;
    send_message(receiver, t);
}

void ipc_cancel(struct thread *t)
{
    sched_unready(t);
    if (t->is_vcpu) {
        vcpu_cancel_wfi(t->vcpu);
    }
    if (t->state == THREAD_BLOCKED_FAULT || t->state == THREAD_BLOCKED_CALL) {
        for (unsigned i = 0; i < pd_count; i++) {
            endpoint_remove(&pds[i], t);
            if (pds[i].reply_to == t) {
                pds[i].reply_to = NULL;
            }
        }
    }
    t->fault_handler = NULL;
    t->notify_on_dispatch = false; /* a pending word stays for its next RECV */
}

void thread_stop(struct thread *t)
{
    ipc_cancel(t);
    thread_set_state(t, THREAD_INACTIVE);
}
