/*
 * Virtio console, single port (virtio 1.2 section 5.3). A "pass" is one call from outside (a
 * QueueNotify, the driver becoming ready, a notification from a serial virtualiser): it moves as
 * much as it can, then signals each peer at most once and raises the interrupt at most once (twice
 * if a queue broke in it: the used buffers, then the configuration change).
 */
#include <vmm/notify.h>
#include <vmm/virtio_console.h>

/* The transport says when the driver lets the device use its queues (section 2.1.2). */
static bool running(const struct virtio_console *c)
{
    return virtio_mmio_driver_ok(&c->transport);
}

/* Copy what remains of the pending chain into tx, one enqueue per buffer; true once all of it is
 * there, false when tx is full (the position is kept, so nothing is lost or sent twice). */
static bool tx_copy(struct virtio_console *c, bool *moved)
{
    while (c->tx_segment < c->tx_chain.count) {
        const struct virtqueue_segment *s = &c->tx_segments[c->tx_segment];
        uint32_t left = s->length - c->tx_offset;
        uint32_t n = serial_enqueue_batch(c->tx, (const char *)s->pointer + c->tx_offset, left);
        c->tx_bytes += n;
        if (n != 0) {
            *moved = true;
        }
        if (n < left) {
            c->tx_offset += n;
            return false;
        }
        c->tx_segment++;
        c->tx_offset = 0;
    }
    return true;
}

static void transmit(struct virtio_console *c)
{
    bool moved = false;
    if (!running(c) || !virtqueue_ready(&c->txq)) {
        return;
    }
    /* At most a queue's worth of new chains per pass: all the driver can have had out when the
     * pass began. Chains it offers meanwhile (from another vCPU, while the TX virtualiser drains
     * on another core) wait for the next pass, which their notification brings, rather than
     * keeping the VMM in this one for as long as they come. */
    uint32_t budget = c->txq.layout.num;
    for (;;) {
        if (!c->tx_pending) {
            if (budget == 0 || !virtqueue_next_chain(&c->txq, VIRTQUEUE_DEVICE_READS, c->tx_segments,
                                                     VIRTIO_CONSOLE_QUEUE_SIZE, &c->tx_chain)) {
                break;
            }
            budget--;
            c->tx_pending = true;
            c->tx_segment = 0;
            c->tx_offset = 0;
        }
        if (tx_copy(c, &moved)) {
            /* The device writes nothing into a transmit buffer: used length 0 (section 2.7.8). */
            virtqueue_push_used(&c->txq, c->tx_chain.head, 0);
            c->tx_pending = false;
            continue;
        }
        /* tx is full. Ask the TX virtualiser to signal when it frees space, then look again: it
         * may have freed some before it could see the request. */
        serial_queue_request_space_signal(c->tx);
        if (serial_queue_free(c->tx) == 0) {
            break;
        }
    }
    if (moved) {
        c->tx_owed = true;
        /* Batching: a guest writes its console in small pieces (a line, then its "\r\n"), and
         * waking the TX virtualiser for each costs far more than the bytes. Wait for the next
         * flush (the VMM calls one on every guest timer tick) unless the queue is half full. */
        if (!c->tx_batching || serial_queue_length(c->tx) >= c->tx->capacity / 2) {
            virtio_console_flush_tx(c);
        }
    }
}

void virtio_console_flush_tx(struct virtio_console *c)
{
    if (c->tx_owed) {
        c->tx_owed = false;
        if (serial_queue_take_data_signal(c->tx)) {
            vmm_notify(c->tx_channel);
        }
    }
    if (c->tx_interrupt_owed) {
        c->tx_interrupt_owed = false;
        virtio_mmio_used_buffer(&c->transport);
    }
}

static void receive(struct virtio_console *c)
{
    bool dequeued = false;
    if (!running(c) || !virtqueue_ready(&c->rxq)) {
        return;
    }
    /* A queue's worth of receive chains per pass, as in transmit(). */
    uint32_t budget = c->rxq.layout.num;
    for (;;) {
        if (serial_queue_length(c->rx) == 0) {
            /* Ask the RX virtualiser for a signal, then look again in case it just put bytes. */
            serial_queue_request_data_signal(c->rx);
            if (serial_queue_length(c->rx) == 0) {
                break;
            }
        }
        /* No receive buffer: the bytes wait in rx (back-pressure) until the guest posts some and
         * notifies queue 0. */
        struct virtqueue_chain chain;
        if (budget == 0 || !virtqueue_next_chain(&c->rxq, VIRTQUEUE_DEVICE_WRITES, c->rx_segments,
                                                 VIRTIO_CONSOLE_QUEUE_SIZE, &chain)) {
            break;
        }
        budget--;
        /* Fill the chain's buffers in order with what rx has now; waiting for more would only
         * delay the bytes already there. */
        uint32_t written = 0;
        for (unsigned i = 0; i < chain.count; i++) {
            const struct virtqueue_segment *s = &c->rx_segments[i];
            uint32_t n = serial_dequeue_batch(c->rx, s->pointer, s->length);
            written += n;
            if (n < s->length) {
                break;
            }
        }
        virtqueue_push_used(&c->rxq, chain.head, written);
        c->rx_bytes += written;
        if (written != 0) {
            dequeued = true;
        }
    }
    if (dequeued && serial_queue_take_space_signal(c->rx)) {
        vmm_notify(c->rx_channel);
    }
}

/* End of a pass: one interrupt for whatever the pass published. */
static void finish(struct virtio_console *c)
{
    /* Ask both queues, so that both forget what they published. */
    bool rx_used = virtqueue_take_interrupt(&c->rxq);
    bool tx_used = virtqueue_take_interrupt(&c->txq);
    if (tx_used && c->tx_batching && !rx_used) {
        /* Linux polls for its transmit buffers; the interrupt (an exit for the guest's handler
         * and two for its register accesses) can wait for the next flush. */
        c->tx_interrupt_owed = true;
    } else if (rx_used || tx_used || c->tx_interrupt_owed) {
        c->tx_interrupt_owed = false;
        virtio_mmio_used_buffer(&c->transport);
    }
    if (c->rxq.broken || c->txq.broken) {
        /* Section 2.1.2: the device cannot recover the queue; the driver has to reset it. The
         * transport tells it, once. */
        virtio_mmio_needs_reset(&c->transport);
    }
}

static void queue_notify(void *device, unsigned queue)
{
    struct virtio_console *c = device;
    if (queue == VIRTIO_CONSOLE_RX_QUEUE) {
        /* The driver posted receive buffers: bytes waiting in rx can go now. */
        receive(c);
    } else if (queue == VIRTIO_CONSOLE_TX_QUEUE) {
        transmit(c);
    }
    finish(c);
}

/* The driver set DRIVER_OK. Notifications before it were ignored (section 2.1.2); buffers posted
 * then (receive buffers, typically) are looked at now. */
static void driver_ok(void *device)
{
    struct virtio_console *c = device;
    transmit(c);
    receive(c);
    finish(c);
}

/* Called by the transport on a device reset (section 2.4), after it forgot the queue setup. */
static void device_reset(void *device)
{
    struct virtio_console *c = device;
    c->tx_pending = false;
    c->tx_segment = 0;
    c->tx_offset = 0;
    c->tx_interrupt_owed = false; /* section 2.4.1: no interrupt after a reset */
    virtio_console_flush_tx(c);   /* what the guest wrote before the reset still goes out */
    virtqueue_reset(&c->rxq);
    virtqueue_reset(&c->txq);
}

bool virtio_console_init(struct virtio_console *c, const struct guest_ram *ram, struct serial_queue_handle *tx,
                         struct serial_queue_handle *rx, unsigned tx_channel, unsigned rx_channel)
{
    /* Section 5.3.4: no feature making a configuration field valid is offered, so the space is
     * all zeros, and emerg_wr is not writable (no config_write). */
    c->config = (struct virtio_console_config){0};
    const struct virtio_device_info info = {
        .device_id = VIRTIO_ID_CONSOLE,
        .features = 0,
        .queue_count = 2,
        .queue_num_max = VIRTIO_CONSOLE_QUEUE_SIZE,
        .config = &c->config,
        .config_size = sizeof(c->config),
    };
    static const struct virtio_device_ops ops = {
        .queue_notify = queue_notify,
        .driver_ok = driver_ok,
        .reset = device_reset,
    };
    c->tx = tx;
    c->rx = rx;
    c->tx_channel = tx_channel;
    c->rx_channel = rx_channel;
    c->tx_batching = false;
    c->tx_owed = false;
    c->tx_interrupt_owed = false;
    c->tx_bytes = 0;
    c->rx_bytes = 0;
    virtqueue_init(&c->rxq, &c->transport.queues[VIRTIO_CONSOLE_RX_QUEUE], ram);
    virtqueue_init(&c->txq, &c->transport.queues[VIRTIO_CONSOLE_TX_QUEUE], ram);
    /* Resets the transport, which calls device_reset for the rest of the state. */
    return virtio_mmio_init(&c->transport, &info, &ops, c, ram);
}

void virtio_console_rx_notified(struct virtio_console *c)
{
    receive(c);
    finish(c);
}

void virtio_console_tx_notified(struct virtio_console *c)
{
    transmit(c);
    finish(c);
}

unsigned virtio_console_bad_chains(const struct virtio_console *c)
{
    return c->rxq.bad_chains + c->txq.bad_chains;
}
