/*
 * The virtio console device (OASIS virtio 1.2 section 5.3), single port, over the virtio-mmio
 * transport. Device ID 3; no device feature is offered (no SIZE, MULTIPORT or EMERG_WRITE), so
 * there are two queues: receiveq (0) and transmitq (1) of port 0 (section 5.3.2).
 *
 * The transport (vmm/virtio_mmio.h) runs the device lifecycle; the console only moves bytes
 * between its two virtqueues and two serial queues shared with the serial virtualisers: it is the
 * producer of `tx` (guest output) and the consumer of `rx` (guest input). Everything the guest
 * puts in the virtqueues is checked by the split virtqueue code (vmm/virtqueue.h).
 *
 * Flow control in both directions, with no busy waiting:
 * - transmit: a chain is copied whole into tx before it is completed; when tx fills up in the
 *   middle of a chain, the console remembers where it stopped, asks the TX virtualiser for a
 *   signal, and resumes at exactly that byte on virtio_console_tx_notified.
 * - receive: bytes stay in rx until the guest posts receive buffers (its QueueNotify of queue 0
 *   delivers them); an empty rx asks the RX virtualiser for a signal.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <serial/queue.h>
#include <vmm/guest_ram.h>
#include <vmm/virtio_mmio.h>
#include <vmm/virtqueue.h>

#define VIRTIO_ID_CONSOLE 3
/* Queue size offered (QueueNumMax). Every legal chain fits the segment arrays below. */
#define VIRTIO_CONSOLE_QUEUE_SIZE 128
#define VIRTIO_CONSOLE_RX_QUEUE   0
#define VIRTIO_CONSOLE_TX_QUEUE   1

/* Section 5.3.4. Read as zeros: no feature that makes a field valid is offered. */
struct virtio_console_config {
    uint16_t cols;
    uint16_t rows;
    uint32_t max_nr_ports;
    uint32_t emerg_wr;
};

struct virtio_console {
    struct virtio_mmio transport;
    struct virtqueue rxq;
    struct virtqueue txq;
    struct serial_queue_handle *tx; /* producer side */
    struct serial_queue_handle *rx; /* consumer side */
    unsigned tx_channel;            /* to the TX virtualiser: data waits in tx */
    unsigned rx_channel;            /* to the RX virtualiser: space freed in rx */
    struct virtio_console_config config;
    /* The transmit chain partly copied into tx: its segments, and where copying resumes. */
    bool tx_pending;
    struct virtqueue_chain tx_chain;
    unsigned tx_segment;
    uint32_t tx_offset; /* bytes of tx_segments[tx_segment] already in tx */
    /* Batched TX signalling (virtio_console_set_tx_batching): bytes went into tx and the TX
     * virtualiser has not been told yet. */
    bool tx_batching;
    bool tx_owed;
    bool tx_interrupt_owed; /* transmit buffers were used; the interrupt waits for the flush */
    /* statistics */
    uint64_t tx_bytes;
    uint64_t rx_bytes;
    struct virtqueue_segment tx_segments[VIRTIO_CONSOLE_QUEUE_SIZE];
    struct virtqueue_segment rx_segments[VIRTIO_CONSOLE_QUEUE_SIZE];
};

/* The guest reaches the console through c->transport (register it with vmm_register_virtio). The
 * console signals the serial virtualisers with vmm_notify on tx_channel and rx_channel. */
bool virtio_console_init(struct virtio_console *c, const struct guest_ram *ram, struct serial_queue_handle *tx,
                         struct serial_queue_handle *rx, unsigned tx_channel, unsigned rx_channel);
/* The RX virtualiser put bytes in rx: deliver what fits into the guest's receive buffers. */
void virtio_console_rx_notified(struct virtio_console *c);
/* The TX virtualiser freed space in tx: continue transmitting. */
void virtio_console_tx_notified(struct virtio_console *c);
/* Batching: tell the TX virtualiser about new output only when tx is half full or at
 * virtio_console_flush_tx, and raise the interrupt for used transmit buffers only then (or with a
 * receive interrupt); the VMM must call the flush at least every few milliseconds while the guest
 * runs (on its timer ticks). Off by default: every pass signals and interrupts. */
static inline void virtio_console_set_tx_batching(struct virtio_console *c, bool on)
{
    c->tx_batching = on;
}
void virtio_console_flush_tx(struct virtio_console *c);
/* Malformed chains completed with length 0, over both queues. */
unsigned virtio_console_bad_chains(const struct virtio_console *c);
