/*
 * Split virtqueue, device side (virtio 1.2 section 2.7). Guest-shared fields are read and written
 * with __atomic operations: relaxed ones so that the compiler fetches each field exactly once (a
 * plain read may legally be repeated, which would reopen the check-then-use window), acquire and
 * release ones where section 2.7.13 orders the driver's and the device's accesses.
 */
#include <vmm/virtqueue.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio rings are little-endian (section 2.7)");
_Static_assert(sizeof(struct virtq_desc) == 16, "section 2.7.5 layout");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "section 2.7.8 layout");

void virtqueue_init(struct virtqueue *q, const struct virtio_queue_config *config, const struct guest_ram *ram)
{
    q->config = config;
    q->ram = ram;
    q->bad_chains = 0;
    q->breakdowns = 0;
    virtqueue_reset(q);
}

void virtqueue_reset(struct virtqueue *q)
{
    q->bound = false;
    q->layout = (struct virtio_queue_config){0};
    q->desc = 0;
    q->avail = 0;
    q->used = 0;
    q->last_avail = 0;
    q->avail_idx = 0;
    q->used_idx = 0;
    q->used_added = false;
    q->broken = false;
    q->indirect = false;
}

void virtqueue_set_features(struct virtqueue *q, uint64_t features)
{
    q->indirect = (features & VIRTIO_F_INDIRECT_DESC) != 0;
}

static void break_queue(struct virtqueue *q)
{
    if (!q->broken) {
        q->broken = true;
        q->breakdowns++;
    }
}

static bool same_layout(const struct virtio_queue_config *a, const struct virtio_queue_config *b)
{
    return a->num == b->num && a->desc == b->desc && a->driver == b->driver && a->device == b->device;
}

/* The transport checked all this when the driver set QueueReady; the queue checks again because
 * it does not depend on one particular transport, and because it is cheap. */
static bool bind(struct virtqueue *q)
{
    const struct virtio_queue_config *c = q->config;
    uint64_t num = c->num;
    void *desc;
    void *avail;
    void *used;
    if (num == 0 || num > VIRTQUEUE_MAX_SIZE || (num & (num - 1)) != 0) {
        return false;
    }
    if (!guest_ram_range(q->ram, c->desc, 16 * num, &desc) ||
        !guest_ram_range(q->ram, c->driver, 6 + 2 * num, &avail) ||
        !guest_ram_range(q->ram, c->device, 6 + 8 * num, &used)) {
        return false;
    }
    /* Section 2.7.1 alignments, checked on the VMM's addresses so that every access is aligned. */
    if (((uintptr_t)desc & 15) != 0 || ((uintptr_t)avail & 1) != 0 || ((uintptr_t)used & 3) != 0) {
        return false;
    }
    q->layout = *c;
    q->desc = desc;
    q->avail = avail;
    q->used = used;
    q->bound = true;
    return true;
}

bool virtqueue_ready(struct virtqueue *q)
{
    if (q->broken || !q->config->ready) {
        return false;
    }
    if (!q->bound) {
        if (!bind(q)) {
            break_queue(q);
            return false;
        }
        return true;
    }
    /* The rings moved while the device still holds state about them (last_avail, chains in
     * flight): without VIRTIO_F_RING_RESET that only happens through a device reset. */
    if (!same_layout(&q->layout, q->config)) {
        break_queue(q);
        return false;
    }
    return true;
}

/* The head of the next available chain. avail->idx is fetched only once the entries known from
 * the previous fetch are used up. */
static bool take_head(struct virtqueue *q, uint16_t *head)
{
    uint32_t num = q->layout.num;
    if (q->last_avail == q->avail_idx) {
        /* Acquire: the ring entries and descriptors the driver wrote before publishing idx
         * (section 2.7.13, steps 4 and 5) are read after it. */
        uint16_t idx = __atomic_load_n(&q->avail->idx, __ATOMIC_ACQUIRE);
        /* The driver cannot offer more than num chains at once (section 2.7.13) and never moves
         * idx back (section 2.7.6.1): anything else means the ring is garbage. */
        if ((uint16_t)(idx - q->last_avail) > num) {
            break_queue(q);
            return false;
        }
        q->avail_idx = idx;
        if (idx == q->last_avail) {
            return false;
        }
    }
    uint16_t entry = __atomic_load_n(&q->avail->ring[q->last_avail & (num - 1)], __ATOMIC_RELAXED);
    if (entry >= num) {
        /* No chain to return: completing it would hand the driver an id it never gave. */
        break_queue(q);
        return false;
    }
    q->last_avail++;
    *head = entry;
    return true;
}

/* The descriptors a chain is being read from: the queue's table, or one indirect table. */
struct desc_table {
    const uint8_t *base;
    uint32_t size; /* descriptors */
};

/* Each field is loaded once, single-copy atomic where the table's alignment allows it. Section
 * 2.7.5.3 sets no alignment for an indirect table, so one that is not 8-byte aligned is copied
 * byte by byte (still once) instead of being refused. */
static void fetch_desc(const struct desc_table *t, uint32_t index, struct virtq_desc *d)
{
    const uint8_t *at = t->base + (uintptr_t)index * sizeof(struct virtq_desc);
    if (((uintptr_t)at & 7) == 0) {
        const struct virtq_desc *g = (const struct virtq_desc *)at;
        d->addr = __atomic_load_n(&g->addr, __ATOMIC_RELAXED);
        d->len = __atomic_load_n(&g->len, __ATOMIC_RELAXED);
        d->flags = __atomic_load_n(&g->flags, __ATOMIC_RELAXED);
        d->next = __atomic_load_n(&g->next, __ATOMIC_RELAXED);
        return;
    }
    uint8_t bytes[sizeof(struct virtq_desc)];
    for (unsigned i = 0; i < sizeof(bytes); i++) {
        bytes[i] = __atomic_load_n(&at[i], __ATOMIC_RELAXED);
    }
    __builtin_memcpy(d, bytes, sizeof(bytes));
}

static bool direction_allowed(enum virtqueue_direction direction, bool writable, bool writable_seen)
{
    if (writable) {
        return direction != VIRTQUEUE_DEVICE_READS;
    }
    /* Readable buffers come before writable ones (section 2.7.4.2). */
    return direction != VIRTQUEUE_DEVICE_WRITES && !writable_seen;
}

/* Section 2.7.5.3: descriptor d names an indirect table; on true, *table is it. Its own WRITE
 * flag means nothing (section 2.7.5.3.2). */
static bool enter_indirect(const struct virtqueue *q, const struct virtq_desc *d, bool in_table,
                           struct desc_table *table)
{
    void *pointer;
    /* Section 2.7.5.3.1: only if negotiated, never inside a table, never together with NEXT. */
    if (!q->indirect || in_table || (d->flags & VIRTQ_DESC_F_NEXT) != 0) {
        return false;
    }
    /* A whole number of descriptors, inside guest RAM (guest_ram_range refuses length 0). */
    if (d->len % sizeof(struct virtq_desc) != 0 || !guest_ram_range(q->ram, d->addr, d->len, &pointer)) {
        return false;
    }
    table->base = pointer;
    table->size = d->len / (uint32_t)sizeof(struct virtq_desc);
    return true;
}

/* Each descriptor is fetched once, then checked; nothing is returned unless the whole chain is
 * good, so a device never acts on the first half of a malformed chain. */
static bool walk(const struct virtqueue *q, uint16_t head, enum virtqueue_direction direction,
                 struct virtqueue_segment *segments, unsigned max_segments, struct virtqueue_chain *chain)
{
    uint32_t num = q->layout.num;
    struct desc_table table = {(const uint8_t *)q->desc, num};
    bool in_table = false;
    uint32_t index = head;
    unsigned count = 0;
    unsigned readable = 0;
    uint64_t total = 0;
    for (;;) {
        struct virtq_desc d;
        void *pointer;
        /* No chain is longer than the queue, indirect table entries included (section
         * 2.7.5.3.1). Every pass adds a buffer, except the one that enters the table, so this also
         * ends loops, in the ring and in a table. */
        if (index >= table.size || count >= num || count >= max_segments) {
            return false;
        }
        fetch_desc(&table, index, &d);
        if ((d.flags & VIRTQ_DESC_F_INDIRECT) != 0) {
            if (!enter_indirect(q, &d, in_table, &table)) {
                return false;
            }
            in_table = true;
            index = 0; /* section 2.7.5.3: the table's chain starts at its first entry */
            continue;
        }
        bool writable = (d.flags & VIRTQ_DESC_F_WRITE) != 0;
        if (!direction_allowed(direction, writable, readable != count)) {
            return false;
        }
        /* Refuses length 0, wrap-around and anything outside guest RAM. */
        if (!guest_ram_range(q->ram, d.addr, d.len, &pointer)) {
            return false;
        }
        /* At most num * (2^32 - 1) in 64 bits, so the sum cannot overflow; section 2.7.5.2
         * bounds a chain by 2^32 bytes, which also keeps any used length in 32 bits. */
        total += d.len;
        if (total > UINT32_MAX) {
            return false;
        }
        segments[count].pointer = pointer;
        segments[count].length = d.len;
        segments[count].writable = writable;
        count++;
        if (!writable) {
            readable++;
        }
        if ((d.flags & VIRTQ_DESC_F_NEXT) == 0) {
            break;
        }
        index = d.next;
    }
    chain->head = head;
    chain->count = count;
    chain->readable = readable;
    chain->length = (uint32_t)total;
    return true;
}

bool virtqueue_next_chain(struct virtqueue *q, enum virtqueue_direction direction, struct virtqueue_segment *segments,
                          unsigned max_segments, struct virtqueue_chain *chain)
{
    uint16_t head;
    /* At most a queue's worth of heads per call: every chain the driver had made available when
     * the call began, since it never has more than the queue size out at once. A driver that
     * keeps offering malformed chains while the device takes them (from another vCPU) would
     * otherwise hold the device in this call for as long as it likes; what it offers after that
     * waits for the next call, which its notification brings (the device never suppresses one). */
    for (uint32_t taken = 0; virtqueue_ready(q) && taken < q->layout.num && take_head(q, &head); taken++) {
        if (walk(q, head, direction, segments, max_segments, chain)) {
            return true;
        }
        virtqueue_bad_chain(q, head);
    }
    return false;
}

void virtqueue_push_used(struct virtqueue *q, uint16_t head, uint32_t written)
{
    if (!q->bound || q->broken) {
        return;
    }
    struct virtq_used_elem *e = &q->used->ring[q->used_idx & (q->layout.num - 1)];
    __atomic_store_n(&e->id, (uint32_t)head, __ATOMIC_RELAXED);
    __atomic_store_n(&e->len, written, __ATOMIC_RELAXED);
    q->used_idx++;
    /* Release: the bytes written into the buffers and the element above reach the driver before
     * the index that publishes them (section 2.7.8.2). */
    __atomic_store_n(&q->used->idx, q->used_idx, __ATOMIC_RELEASE);
    q->used_added = true;
}

void virtqueue_bad_chain(struct virtqueue *q, uint16_t head)
{
    q->bad_chains++;
    virtqueue_push_used(q, head, 0);
}

bool virtqueue_take_interrupt(struct virtqueue *q)
{
    if (!q->used_added) {
        return false;
    }
    q->used_added = false;
    /* Full barrier: used->idx is published before the flags are read. A driver re-enabling
     * interrupts writes flags and then re-reads used->idx, so at least one side sees the other
     * (the device mirror of section 2.7.13.4.1). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t flags = __atomic_load_n(&q->avail->flags, __ATOMIC_RELAXED);
    return (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) == 0;
}
