/*
 * A split virtqueue (OASIS virtio 1.2 section 2.7) seen from the device side, independent of the
 * device type and of the transport that configured it.
 *
 * Everything in the rings and in the descriptor table is written by the guest and untrusted. Each
 * value is fetched from guest memory exactly once into a local copy, and only the copy is checked
 * and used, so the guest cannot change a value between the check and the use. The device keeps
 * its own copies of the indices (last_avail, used_idx) and never reads them back from the rings.
 *
 * Two kinds of guest mistakes are told apart:
 * - a malformed chain (bad descriptor index, address outside guest RAM, zero or oversized length,
 *   a loop, an indirect table that was not negotiated or is malformed, a buffer in the wrong
 *   direction) is returned to the used ring with length 0 and counted in bad_chains; the queue
 *   keeps working;
 * - a broken queue (avail idx moved by more than the queue size, a head index out of range, the
 *   queue reconfigured under the device) cannot be trusted any more: it is marked broken, counted
 *   in breakdowns and not touched again until virtqueue_reset. The device then reports it with
 *   virtio_mmio_needs_reset, which sets NEEDS_RESET (section 2.1.2).
 *
 * Indirect descriptors (VIRTIO_F_INDIRECT_DESC, section 2.7.5.3) are followed only once the
 * device says the driver accepted them (virtqueue_set_features): then a chain may end in one
 * descriptor naming a table of descriptors in guest RAM, whose entries are fetched once and
 * checked exactly as direct ones. A table inside a table, a table descriptor that also has NEXT,
 * a table whose length is not a whole number of descriptors, or one outside guest RAM makes the
 * chain malformed; and the whole chain, table entries included, is no longer than the queue.
 *
 * Not implemented, hence never to be offered: VIRTIO_F_EVENT_IDX, VIRTIO_F_IN_ORDER,
 * VIRTIO_F_RING_PACKED. The device never suppresses available-buffer notifications (used->flags
 * stays as the driver initialised it, 0).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vmm/guest_ram.h>
#include <vmm/virtio_mmio.h>

/* The largest queue size a split virtqueue can have (section 2.7). */
#define VIRTQUEUE_MAX_SIZE 32768
/* Section 6: the driver may use indirect descriptor tables (Linux: VIRTIO_RING_F_INDIRECT_DESC). */
#define VIRTIO_F_INDIRECT_DESC (1ULL << 28)

/* Section 2.7.5: descriptor flags */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
/* Section 2.7.6: available ring flags */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

/* The ring layouts of sections 2.7.5, 2.7.6 and 2.7.8. Fields are little-endian, as on the
 * AArch64 target and on the host tests. */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];
};

/* One buffer of a chain, already checked against guest RAM: where the VMM reaches it. */
struct virtqueue_segment {
    void *pointer;
    uint32_t length;
    bool writable; /* device-writable (VIRTQ_DESC_F_WRITE), else device-readable */
};

/* A well-formed chain: segments[0, readable) are device-readable, segments[readable, count) are
 * device-writable (section 2.7.4.2 requires that order). */
struct virtqueue_chain {
    uint16_t head;
    unsigned count;
    unsigned readable;
    uint32_t length; /* total of all segments; section 2.7.5.2 bounds it by 2^32 - 1 */
};

/* What the device type allows in a chain, beyond the rules every chain follows. */
enum virtqueue_direction {
    VIRTQUEUE_MIXED,         /* readable then writable buffers, in that order (e.g. block) */
    VIRTQUEUE_DEVICE_READS,  /* readable buffers only (e.g. console transmitq) */
    VIRTQUEUE_DEVICE_WRITES, /* writable buffers only (e.g. console receiveq) */
};

struct virtqueue {
    const struct virtio_queue_config *config; /* owned by the transport */
    const struct guest_ram *ram;
    /* Bound on first use after reset: the configuration the rings were found with. */
    bool bound;
    struct virtio_queue_config layout;
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    /* the device's own indices */
    uint16_t last_avail; /* next available ring entry to take */
    uint16_t avail_idx;  /* avail->idx as last fetched (and checked) */
    uint16_t used_idx;   /* next used ring entry to fill; published as used->idx */
    bool used_added;     /* used entries published since virtqueue_take_interrupt */
    bool broken;
    bool indirect; /* VIRTIO_F_INDIRECT_DESC was negotiated (virtqueue_set_features) */
    /* what the guest got wrong, kept across resets */
    unsigned bad_chains;
    unsigned breakdowns;
};

void virtqueue_init(struct virtqueue *q, const struct virtio_queue_config *config, const struct guest_ram *ram);
/* Forget all state (device reset): the next use binds the queue afresh, and no feature is
 * negotiated until virtqueue_set_features says so again. Counters stay. */
void virtqueue_reset(struct virtqueue *q);
/* The features the driver accepted (the transport's driver_features, once FEATURES_OK holds):
 * the queue follows indirect tables only if VIRTIO_F_INDIRECT_DESC is among them. A device calls
 * it only for features it offered. */
void virtqueue_set_features(struct virtqueue *q, uint64_t features);
/* True if the driver made the queue ready and it is not broken. Binds the queue on first use and
 * marks it broken if its configuration changed since (no VIRTIO_F_RING_RESET is offered). */
bool virtqueue_ready(struct virtqueue *q);
/*
 * Take the next available chain and check it whole: on true, *chain describes it and
 * segments[0, chain->count) hold its buffers. Malformed chains met on the way (including chains
 * of more than max_segments buffers, or not matching `direction`) are completed with length 0
 * and counted, and the next one is tried, up to a queue's worth of heads per call (more can only
 * be chains offered during the call, which wait for the next). False: nothing available, queue
 * not ready, or broken.
 */
bool virtqueue_next_chain(struct virtqueue *q, enum virtqueue_direction direction, struct virtqueue_segment *segments,
                          unsigned max_segments, struct virtqueue_chain *chain);
/* Return chain `head` to the driver with `written` bytes written into its writable buffers:
 * the used element first, then used->idx with release ordering (section 2.7.8.2). */
void virtqueue_push_used(struct virtqueue *q, uint16_t head, uint32_t written);
/* The device found chain `head` unusable (device-specific checks): completed with length 0,
 * counted in bad_chains. */
void virtqueue_bad_chain(struct virtqueue *q, uint16_t head);
/* True if used elements were published since the last call and the driver does not suppress
 * used buffer notifications (section 2.7.7.2, VIRTQ_AVAIL_F_NO_INTERRUPT). Clears the former. */
bool virtqueue_take_interrupt(struct virtqueue *q);
