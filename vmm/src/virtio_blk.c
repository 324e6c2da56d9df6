/*
 * Virtio block device (virtio 1.2 section 5.2), in the order a request meets it: the
 * configuration space, the disk becoming ready, the chain read as a request (section 5.2.6), its
 * room in the data region, the ordering between requests, the parts sent to the virtualiser,
 * their answers, and the status and used element that end it. A "pass" is one call from outside
 * (a QueueNotify, DRIVER_OK, a signal from the virtualiser): it signals the virtualiser at most
 * once and raises the interrupt at most once.
 */
#include <stddef.h>
#include <vmm/notify.h>
#include <vmm/virtio_blk.h>

#define UNIT             BLK_TRANSFER_SIZE
#define SECTORS_PER_UNIT (UNIT / VIRTIO_BLK_SECTOR)
#define HEADER_BYTES     sizeof(struct virtio_blk_outhdr)

/* The parts of a request at the virtualiser; a part's id is its slot and its number. */
#define PART_FILL_FIRST 0 /* read the first unit, which the write covers in part */
#define PART_FILL_LAST  1 /* read the last unit, likewise */
#define PART_MAIN       2
#define PARTS           3
#define PART_BITS       2
#define BIT(part)       ((uint8_t)(1u << (part)))

_Static_assert(sizeof(struct virtio_blk_config) == 32, "section 5.2.4 layout, up to the topology");
_Static_assert(offsetof(struct virtio_blk_config, blk_size) == 20, "section 5.2.4 layout");
_Static_assert(offsetof(struct virtio_blk_config, opt_io_size) == 28, "section 5.2.4 layout");
_Static_assert(sizeof(struct virtio_blk_outhdr) == 16, "section 5.2.6 layout");
_Static_assert(VIRTIO_BLK_MAX_UNITS % 64 == 0 && VIRTIO_BLK_SEGMENT_POOL % 64 == 0, "whole bitmap words");
_Static_assert(VIRTIO_BLK_SEGMENT_POOL >= VIRTIO_BLK_QUEUE_SIZE, "every chain's buffers fit the pool");
_Static_assert(VIRTIO_BLK_MAX_INFLIGHT < VIRTIO_BLK_NONE, "slots and the list's end are told apart");

static bool running(const struct virtio_blk *b)
{
    return virtio_mmio_driver_ok(&b->transport);
}

/* ---- configuration space (section 5.2.4) ---- */

/* blk_size is the logical block the guest should use; the physical block of the topology is the
 * transfer unit, which the guest is told to prefer (min_io_size, in logical blocks). */
static void set_block_size(struct virtio_blk *b, uint32_t sector_size)
{
    uint8_t exp = 0;
    while ((sector_size << (exp + 1)) <= UNIT) {
        exp++;
    }
    b->config.blk_size = sector_size;
    b->config.physical_block_exp = exp;
    b->config.alignment_offset = 0;
    b->config.min_io_size = (uint16_t)(UNIT / sector_size);
    b->config.opt_io_size = 0;
}

/* seg_max * size_max bytes, plus the unit a request not aligned spills into and the two it may
 * read to modify, fit the data region: no request within them is too large to be served. */
static void set_limits(struct virtio_blk *b)
{
    uint32_t budget = (b->units - 3) * UNIT; /* init checked units >= 4; at most 256 MiB */
    uint32_t size_max = budget < VIRTIO_BLK_SIZE_MAX ? budget : VIRTIO_BLK_SIZE_MAX;
    uint32_t seg_max = budget / size_max;
    /* With the header and the status, a chain is no longer than the queue (section 2.7.5.3.1). */
    if (seg_max > VIRTIO_BLK_QUEUE_SIZE - 2) {
        seg_max = VIRTIO_BLK_QUEUE_SIZE - 2;
    }
    b->config.size_max = size_max;
    b->config.seg_max = seg_max;
}

/* The virtualiser publishes the disk once (ready written last): take a checked copy then, and
 * tell the guest its capacity changed (section 5.2.6.2: the device SHOULD notify it). PENDING,
 * ABSENT and information that does not check leave the capacity 0. */
static void check_disk(struct virtio_blk *b)
{
    struct blk_storage_info copy;
    if (b->ready || blk_storage_state(b->info) != BLK_STORAGE_READY) {
        return;
    }
    const char *problem = blk_storage_read(b->info, &copy);
    if (problem != NULL) {
        b->disk_problem = problem;
        return;
    }
    b->disk = copy;
    b->disk_problem = NULL;
    b->ready = true;
    b->config.capacity = copy.capacity * SECTORS_PER_UNIT; /* no overflow: blk_storage_read checked */
    set_block_size(b, copy.sector_size);
    virtio_mmio_config_changed(&b->transport);
}

/* ---- allocators: first fit of consecutive entries in a bitmap (1: in use) ---- */

static bool map_alloc(uint64_t *map, uint32_t size, uint32_t n, uint32_t *first)
{
    uint32_t run = 0;
    uint32_t start = 0;
    if (n == 0 || n > size) {
        return false;
    }
    for (uint32_t i = 0; i < size && run < n;) {
        uint64_t word = map[i / 64];
        if (i % 64 == 0 && word == UINT64_MAX) {
            run = 0;
            i += 64;
        } else if (i % 64 == 0 && word == 0) {
            /* a whole free word: inside `size`, since the bits past it are set at init */
            start = run == 0 ? i : start;
            run += 64;
            i += 64;
        } else if ((word >> (i % 64)) & 1) {
            run = 0;
            i++;
        } else {
            start = run == 0 ? i : start;
            run++;
            i++;
        }
    }
    if (run < n) {
        return false;
    }
    for (uint32_t i = start; i < start + n; i++) {
        map[i / 64] |= 1ULL << (i % 64);
    }
    *first = start;
    return true;
}

static void map_free(uint64_t *map, uint32_t first, uint32_t n)
{
    for (uint32_t i = first; i < first + n; i++) {
        map[i / 64] &= ~(1ULL << (i % 64));
    }
}

/* A map of `size` entries in an array of `words`: the entries past `size` are never free. */
static void map_init(uint64_t *map, unsigned words, uint32_t size)
{
    for (unsigned w = 0; w < words; w++) {
        map[w] = 0;
    }
    for (uint32_t i = size; i < words * 64u; i++) {
        map[i / 64] |= 1ULL << (i % 64);
    }
}

static unsigned fill_count(uint8_t fill)
{
    return (fill & 1u) + ((fill >> 1) & 1u);
}

/* ---- a chain as a request (section 5.2.6) ---- */

/* Section 2.6.4: the device does not rely on how the driver split the request into buffers, so
 * the readable buffers are one stream and the writable ones another. */
static void copy_from_buffers(const struct virtqueue_segment *s, unsigned count, uint64_t skip, uint8_t *to, uint64_t n)
{
    for (unsigned i = 0; i < count && n > 0; i++) {
        uint64_t length = s[i].length;
        if (skip >= length) {
            skip -= length;
            continue;
        }
        uint64_t take = length - skip < n ? length - skip : n;
        __builtin_memcpy(to, (const uint8_t *)s[i].pointer + skip, take);
        to += take;
        n -= take;
        skip = 0;
    }
}

static void copy_to_buffers(const struct virtqueue_segment *s, unsigned count, const uint8_t *from, uint64_t n)
{
    for (unsigned i = 0; i < count && n > 0; i++) {
        uint64_t take = s[i].length < n ? s[i].length : n;
        __builtin_memcpy(s[i].pointer, from, take);
        from += take;
        n -= take;
    }
}

/* The header, copied once (each byte loaded exactly once): only the copy is looked at, so the
 * guest cannot change the type or sector after they were checked. The caller made sure the
 * readable buffers hold HEADER_BYTES. */
static struct virtio_blk_outhdr read_header(const struct virtqueue_segment *s, unsigned count)
{
    uint8_t bytes[HEADER_BYTES];
    unsigned n = 0;
    for (unsigned i = 0; i < count && n < HEADER_BYTES; i++) {
        const uint8_t *p = s[i].pointer;
        for (uint32_t k = 0; k < s[i].length && n < HEADER_BYTES; k++) {
            bytes[n++] = __atomic_load_n(&p[k], __ATOMIC_RELAXED);
        }
    }
    struct virtio_blk_outhdr h;
    __builtin_memcpy(&h, bytes, sizeof(h));
    return h;
}

/* The status is the last writable byte. The used length counts the bytes written from the start
 * of the writable buffers (section 2.7.8.2), so the status is in it only when `written` data
 * bytes reach it. */
static void answer(struct virtio_blk *b, uint16_t head, uint8_t *status_byte, uint32_t writable, uint8_t status,
                   uint32_t written)
{
    __atomic_store_n(status_byte, status, __ATOMIC_RELAXED);
    virtqueue_push_used(&b->vq, head, written + 1 == writable ? writable : written);
}

/* Section 5.2.6: IOERR is "device or driver error". Always false, for the callers' returns. */
static bool refuse(struct virtio_blk *b, const struct virtio_blk_inflight *r)
{
    b->refused++;
    answer(b, r->head, r->status_byte, r->writable, VIRTIO_BLK_S_IOERR, 0);
    return false;
}

/* Section 5.2.6: the ID string, NUL-padded to 20 bytes, as much as the buffers take. */
static void get_id(struct virtio_blk *b, const struct virtio_blk_inflight *r, uint64_t room)
{
    uint32_t n = room < VIRTIO_BLK_ID_BYTES ? (uint32_t)room : VIRTIO_BLK_ID_BYTES;
    const struct virtqueue_chain *c = &b->chain;
    copy_to_buffers(&b->segments[c->readable], c->count - c->readable, (const uint8_t *)b->disk.serial, n);
    answer(b, r->head, r->status_byte, r->writable, VIRTIO_BLK_S_OK, n);
}

/* IN and OUT: `length` bytes from 512-byte sector `sector`. True if it goes to the disk. */
static bool disk_request(struct virtio_blk *b, struct virtio_blk_inflight *r, enum virtio_blk_op op, uint64_t sector,
                         uint64_t length)
{
    uint64_t capacity = b->config.capacity;
    uint64_t sectors = length / VIRTIO_BLK_SECTOR;
    /* Section 5.2.6.1: whole sectors, none past the capacity (the sector is the guest's: the
     * sum is never formed before it is known not to overflow). */
    if (!b->ready || length % VIRTIO_BLK_SECTOR != 0 || sector > capacity || sectors > capacity - sector) {
        return refuse(b, r);
    }
    /* Section 5.2.6.2 asks IOERR, and no data written, of a read-only device. */
    if (op == VIRTIO_BLK_OP_WRITE && b->disk.read_only) {
        return refuse(b, r);
    }
    if (sectors == 0) {
        answer(b, r->head, r->status_byte, r->writable, VIRTIO_BLK_S_OK, 0);
        return false;
    }
    uint64_t end = sector + sectors; /* <= capacity */
    r->op = (uint8_t)op;
    r->unit = sector / SECTORS_PER_UNIT;
    r->units = (uint32_t)((end - 1) / SECTORS_PER_UNIT - r->unit + 1); /* length < 2^32: at most 2^20 + 1 */
    r->offset = (uint32_t)(sector % SECTORS_PER_UNIT) * VIRTIO_BLK_SECTOR;
    r->length = (uint32_t)length;
    bool first_partial = r->offset != 0;
    bool last_partial = end % SECTORS_PER_UNIT != 0;
    r->fill = 0;
    if (op == VIRTIO_BLK_OP_WRITE && r->units == 1) {
        r->fill = first_partial || last_partial ? BIT(PART_FILL_FIRST) : 0;
    } else if (op == VIRTIO_BLK_OP_WRITE) {
        r->fill = (first_partial ? BIT(PART_FILL_FIRST) : 0) | (last_partial ? BIT(PART_FILL_LAST) : 0);
    }
    /* More units than the whole data region: it could never be placed. */
    if (r->units > b->units - fill_count(r->fill)) {
        return refuse(b, r);
    }
    return true;
}

/* The chain just taken (b->chain, b->segments) as a request. True if it needs the disk (*r is
 * ready for place); false if it was answered here. */
static bool read_request(struct virtio_blk *b, struct virtio_blk_inflight *r)
{
    const struct virtqueue_chain *c = &b->chain;
    uint64_t readable = 0;
    for (unsigned i = 0; i < c->readable; i++) {
        readable += b->segments[i].length;
    }
    uint64_t writable = c->length - readable;
    b->requests++;
    if (writable == 0) {
        /* No byte for the status: the chain's return is all the driver can be told. */
        b->bad_requests++;
        virtqueue_bad_chain(&b->vq, c->head);
        return false;
    }
    const struct virtqueue_segment *last = &b->segments[c->count - 1];
    *r = (struct virtio_blk_inflight){
        .head = c->head,
        .status = VIRTIO_BLK_S_OK,
        .status_byte = (uint8_t *)last->pointer + last->length - 1,
        .writable = (uint32_t)writable,
    };
    if (readable < HEADER_BYTES) {
        return refuse(b, r);
    }
    struct virtio_blk_outhdr h = read_header(b->segments, c->readable);
    uint64_t data_out = readable - HEADER_BYTES; /* readable bytes after the header */
    uint64_t data_in = writable - 1;             /* writable bytes before the status */
    switch (h.type) {
    case VIRTIO_BLK_T_IN:
        return data_out == 0 ? disk_request(b, r, VIRTIO_BLK_OP_READ, h.sector, data_in) : refuse(b, r);
    case VIRTIO_BLK_T_OUT:
        return data_in == 0 ? disk_request(b, r, VIRTIO_BLK_OP_WRITE, h.sector, data_out) : refuse(b, r);
    case VIRTIO_BLK_T_FLUSH:
        if (data_out != 0 || data_in != 0 || !b->ready) {
            return refuse(b, r);
        }
        r->op = VIRTIO_BLK_OP_FLUSH;
        return true;
    case VIRTIO_BLK_T_GET_ID:
        if (data_out != 0 || data_in == 0 || !b->ready) {
            return refuse(b, r);
        }
        get_id(b, r, data_in);
        return false;
    default:
        b->unsupported++;
        answer(b, r->head, r->status_byte, r->writable, VIRTIO_BLK_S_UNSUPP, 0);
        return false;
    }
}

/* ---- room for a request ---- */

/* IN: its writable buffers wait in the pool for the data (the copy stops after r->length bytes,
 * before the status byte). */
static bool hold_buffers(struct virtio_blk *b, struct virtio_blk_inflight *r)
{
    const struct virtqueue_segment *w = &b->segments[b->chain.readable];
    unsigned n = b->chain.count - b->chain.readable;
    if (!map_alloc(b->segment_map, VIRTIO_BLK_SEGMENT_POOL, n, &r->segment)) {
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        b->pool[r->segment + i] = w[i];
    }
    r->segment_count = n;
    return true;
}

static void link_last(struct virtio_blk *b, uint16_t i)
{
    b->inflight[i].prev = b->last;
    b->inflight[i].next = VIRTIO_BLK_NONE;
    if (b->last == VIRTIO_BLK_NONE) {
        b->first = i;
    } else {
        b->inflight[b->last].next = i;
    }
    b->last = i;
}

static void unlink_request(struct virtio_blk *b, uint16_t i)
{
    const struct virtio_blk_inflight *r = &b->inflight[i];
    if (r->prev == VIRTIO_BLK_NONE) {
        b->first = r->next;
    } else {
        b->inflight[r->prev].next = r->next;
    }
    if (r->next == VIRTIO_BLK_NONE) {
        b->last = r->prev;
    } else {
        b->inflight[r->next].prev = r->prev;
    }
}

/* A slot, its units in the data region, IN's buffers in the pool; OUT's data is copied in now,
 * the one copy it gets. False, and nothing kept, if any of it is full. */
static bool place(struct virtio_blk *b, struct virtio_blk_inflight *r)
{
    if (b->free_count == 0) {
        return false;
    }
    if (r->op != VIRTIO_BLK_OP_FLUSH) {
        uint32_t units = r->units + fill_count(r->fill);
        if (!map_alloc(b->unit_map, b->units, units, &r->room)) {
            return false;
        }
        if (r->op == VIRTIO_BLK_OP_READ && !hold_buffers(b, r)) {
            map_free(b->unit_map, r->room, units);
            return false;
        }
        if (r->op == VIRTIO_BLK_OP_WRITE) {
            uint8_t *to = b->data + (uint64_t)r->room * UNIT + r->offset;
            copy_from_buffers(b->segments, b->chain.readable, HEADER_BYTES, to, r->length);
        }
    }
    uint16_t i = b->free_slots[--b->free_count];
    r->used = true;
    r->orphan = false;
    r->phase = VIRTIO_BLK_WAITING;
    r->to_send = 0;
    r->pending = 0;
    b->inflight[i] = *r;
    link_last(b, i);
    return true;
}

static void release(struct virtio_blk *b, uint16_t i)
{
    struct virtio_blk_inflight *r = &b->inflight[i];
    if (r->op != VIRTIO_BLK_OP_FLUSH) {
        map_free(b->unit_map, r->room, r->units + fill_count(r->fill));
    }
    if (r->op == VIRTIO_BLK_OP_READ) {
        map_free(b->segment_map, r->segment, r->segment_count);
    }
    unlink_request(b, i);
    r->used = false;
    b->free_slots[b->free_count++] = i;
}

/* ---- ordering ---- */

static bool overlap(const struct virtio_blk_inflight *a, const struct virtio_blk_inflight *c)
{
    /* No overflow: both lie inside the capacity. */
    return a->unit < c->unit + c->units && c->unit < a->unit + a->units;
}

/* Whether request i must still wait for an earlier one: a FLUSH for every earlier write; a read
 * or write for an earlier request on one of its units, if either writes. Requests orphaned by a
 * reset count: the virtualiser may still be doing them. */
static bool must_wait(const struct virtio_blk *b, uint16_t i)
{
    const struct virtio_blk_inflight *r = &b->inflight[i];
    for (uint16_t j = b->first; j != i; j = b->inflight[j].next) {
        const struct virtio_blk_inflight *e = &b->inflight[j];
        if (r->op == VIRTIO_BLK_OP_FLUSH) {
            if (e->op == VIRTIO_BLK_OP_WRITE) {
                return true;
            }
        } else if (e->op != VIRTIO_BLK_OP_FLUSH && (r->op == VIRTIO_BLK_OP_WRITE || e->op == VIRTIO_BLK_OP_WRITE) &&
                   overlap(r, e)) {
            return true;
        }
    }
    return false;
}

/* ---- parts sent to the virtualiser ---- */

/* Room for one more part: under the depth the virtualiser published, and a free entry in the
 * request queue (if none, it signals when it takes some). */
static bool room_to_send(struct virtio_blk *b)
{
    if (b->outstanding >= b->disk.queue_depth) {
        return false; /* an answer will come, and with it a pass */
    }
    if (blk_request_space(&b->queue) != 0) {
        return true;
    }
    blk_queue_want_request_space(&b->queue);
    return blk_request_space(&b->queue) != 0;
}

static bool send_part(struct virtio_blk *b, uint16_t i, unsigned part)
{
    struct virtio_blk_inflight *r = &b->inflight[i];
    uint32_t spare = r->room + r->units; /* the fill reads' units follow the request's own */
    struct blk_request q = {.id = (uint32_t)i << PART_BITS | part};
    if (part == PART_FILL_FIRST) {
        q = (struct blk_request){BLK_REQ_READ, q.id, (uint64_t)spare * UNIT, r->unit, 1, 0};
    } else if (part == PART_FILL_LAST) {
        spare += r->fill & BIT(PART_FILL_FIRST);
        q = (struct blk_request){BLK_REQ_READ, q.id, (uint64_t)spare * UNIT, r->unit + r->units - 1, 1, 0};
    } else if (r->op == VIRTIO_BLK_OP_FLUSH) {
        q.code = BLK_REQ_FLUSH;
    } else {
        uint32_t code = r->op == VIRTIO_BLK_OP_READ ? BLK_REQ_READ : BLK_REQ_WRITE;
        q = (struct blk_request){code, q.id, (uint64_t)r->room * UNIT, r->unit, r->units, 0};
    }
    if (!blk_enqueue_request(&b->queue, &q)) {
        return false;
    }
    r->to_send &= (uint8_t)~BIT(part);
    r->pending |= BIT(part);
    b->outstanding++;
    b->sent = true;
    return true;
}

/* Move request i as far as it can go now. False if the virtualiser has no room for more. */
static bool start(struct virtio_blk *b, uint16_t i)
{
    struct virtio_blk_inflight *r = &b->inflight[i];
    if (r->orphan) {
        return true;
    }
    if (r->phase == VIRTIO_BLK_WAITING) {
        if (must_wait(b, i)) {
            return true;
        }
        r->phase = r->fill != 0 ? VIRTIO_BLK_FILLING : VIRTIO_BLK_MAIN;
        r->to_send = r->fill != 0 ? r->fill : BIT(PART_MAIN);
    }
    for (unsigned part = 0; part < PARTS; part++) {
        if ((r->to_send & BIT(part)) != 0 && (!room_to_send(b) || !send_part(b, i, part))) {
            return false;
        }
    }
    return true;
}

/* Oldest first, so that what waits longest goes first when room is short. */
static void advance(struct virtio_blk *b)
{
    for (uint16_t i = b->first; i != VIRTIO_BLK_NONE; i = b->inflight[i].next) {
        if (!start(b, i)) {
            return;
        }
    }
}

/* ---- answers ---- */

/* The fill reads are in: the bytes of the first and last units that the write leaves alone
 * come from them. */
static void merge(struct virtio_blk *b, const struct virtio_blk_inflight *r)
{
    uint8_t *units = b->data + (uint64_t)r->room * UNIT;
    const uint8_t *spare = units + (uint64_t)r->units * UNIT;
    uint32_t end = (uint32_t)(((uint64_t)r->offset + r->length) % UNIT); /* in the last unit; 0: its end */
    if (r->fill & BIT(PART_FILL_FIRST)) {
        __builtin_memcpy(units, spare, r->offset);
        if (r->units == 1 && end != 0) {
            __builtin_memcpy(units + end, spare + end, UNIT - end);
        }
        spare += UNIT;
    }
    if (r->fill & BIT(PART_FILL_LAST)) {
        uint8_t *last = units + (uint64_t)(r->units - 1) * UNIT;
        __builtin_memcpy(last + end, spare + end, UNIT - end);
    }
}

/* Request i is over: its status (and IN's data) to the guest, unless a reset orphaned it, and
 * its room back. */
static void complete(struct virtio_blk *b, uint16_t i)
{
    struct virtio_blk_inflight *r = &b->inflight[i];
    if (!r->orphan) {
        uint32_t written = 0;
        if (r->op == VIRTIO_BLK_OP_READ && r->status == VIRTIO_BLK_S_OK) {
            const uint8_t *from = b->data + (uint64_t)r->room * UNIT + r->offset;
            copy_to_buffers(&b->pool[r->segment], r->segment_count, from, r->length);
            written = r->length;
        }
        answer(b, r->head, r->status_byte, r->writable, r->status, written);
    }
    release(b, i);
}

/* One answer from the virtualiser, whose ids are checked before anything is looked up with them:
 * one we did not give out, or gave and had answered already, is counted and ignored. */
static void answered(struct virtio_blk *b, const struct blk_response *a)
{
    uint32_t i = a->id >> PART_BITS;
    uint32_t part = a->id & ((1u << PART_BITS) - 1);
    if (i >= VIRTIO_BLK_MAX_INFLIGHT || part >= PARTS || !b->inflight[i].used ||
        (b->inflight[i].pending & BIT(part)) == 0) {
        b->bogus_responses++;
        return;
    }
    struct virtio_blk_inflight *r = &b->inflight[i];
    r->pending &= (uint8_t)~BIT(part);
    b->outstanding--;
    if (a->status != BLK_RESP_OK) {
        /* success_count aside: a request done in part is an error to the guest. */
        b->disk_errors++;
        r->status = VIRTIO_BLK_S_IOERR;
        r->to_send = 0;
    }
    if (r->pending != 0 || r->to_send != 0) {
        return; /* the rest of it is still out, or not sent yet */
    }
    if (r->phase == VIRTIO_BLK_FILLING && r->status == VIRTIO_BLK_S_OK && !r->orphan) {
        merge(b, r);
        r->phase = VIRTIO_BLK_MAIN;
        r->to_send = BIT(PART_MAIN); /* sent by advance, in its turn */
        return;
    }
    complete(b, (uint16_t)i);
}

static void drain(struct virtio_blk *b)
{
    struct blk_response a;
    bool consumed = false;
    /* Bounded by what the queue holds at once: a peer refilling it as fast as it is read gets no
     * more of this pass. */
    for (uint32_t n = 0; n <= b->queue.responses.capacity; n++) {
        if (!blk_dequeue_response(&b->queue, &a)) {
            blk_queue_want_responses(&b->queue);
            if (!blk_dequeue_response(&b->queue, &a)) {
                break;
            }
        }
        consumed = true;
        answered(b, &a);
    }
    if (consumed && blk_queue_take_response_space_signal(&b->queue)) {
        b->signal = true;
    }
}

/* ---- taking requests ---- */

static void take_requests(struct virtio_blk *b)
{
    if (!running(b) || !virtqueue_ready(&b->vq)) {
        return;
    }
    /* No more chains are available at once than the ring holds; the guest notifies again for
     * any it adds later. */
    for (unsigned n = 0; n < VIRTIO_BLK_QUEUE_SIZE; n++) {
        struct virtio_blk_inflight r;
        if (b->held) {
            if (!place(b, &b->held_request)) {
                return;
            }
            b->held = false;
            start(b, b->last);
            continue;
        }
        /* Back-pressure: chains wait in the ring while the table or the request queue is full. */
        if (b->free_count == 0) {
            return;
        }
        if (blk_request_space(&b->queue) == 0) {
            blk_queue_want_request_space(&b->queue);
            if (blk_request_space(&b->queue) == 0) {
                return;
            }
        }
        if (!virtqueue_next_chain(&b->vq, VIRTQUEUE_MIXED, b->segments, VIRTIO_BLK_QUEUE_SIZE, &b->chain)) {
            return;
        }
        if (!read_request(b, &r)) {
            continue;
        }
        if (!place(b, &r)) {
            /* The data region or the pool is full: this chain waits, whole, for answers to free
             * room, and nothing is taken after it. */
            b->held = true;
            b->held_request = r;
            return;
        }
        start(b, b->last);
    }
}

/* ---- passes ---- */

static void finish(struct virtio_blk *b)
{
    if (b->sent && blk_queue_take_request_signal(&b->queue)) {
        b->signal = true;
    }
    b->sent = false;
    if (b->signal) {
        b->signal = false;
        vmm_notify(b->channel);
    }
    if (virtqueue_take_interrupt(&b->vq)) {
        virtio_mmio_used_buffer(&b->transport);
    }
    if (b->vq.broken) {
        /* Section 2.1.2: the device cannot recover the queue; the driver has to reset it. */
        virtio_mmio_needs_reset(&b->transport);
    }
}

/* Answers first: they free room for what waits, then for new chains. */
static void pass(struct virtio_blk *b)
{
    check_disk(b);
    drain(b);
    advance(b);
    take_requests(b);
    finish(b);
}

static void queue_notify(void *device, unsigned queue)
{
    (void)queue; /* the only queue */
    pass(device);
}

/* The driver set DRIVER_OK: chains posted before are looked at now (section 3.1.1 step 8), and
 * indirect tables are followed if the driver accepted them. */
static void driver_ok(void *device)
{
    struct virtio_blk *b = device;
    virtqueue_set_features(&b->vq, b->transport.driver_features);
    pass(b);
}

/* Section 2.4: the driver forgets every request. One the virtualiser holds stays, orphaned,
 * until its answer frees its room; the rest go now. */
static void device_reset(void *device)
{
    struct virtio_blk *b = device;
    uint16_t i = b->first;
    while (i != VIRTIO_BLK_NONE) {
        uint16_t next = b->inflight[i].next;
        b->inflight[i].orphan = true;
        b->inflight[i].to_send = 0;
        if (b->inflight[i].pending == 0) {
            release(b, i);
        }
        i = next;
    }
    b->held = false;
    virtqueue_reset(&b->vq);
}

bool virtio_blk_init(struct virtio_blk *b, const struct guest_ram *ram, const struct blk_client_config *config)
{
    const struct blk_connection *c = &config->virt;
    uint64_t units = config->data_size / UNIT;
    if (!blk_queue_init(&b->queue, (void *)(uintptr_t)c->request_queue, c->request_queue_size,
                        (void *)(uintptr_t)c->response_queue, c->response_queue_size) ||
        c->storage_info == 0 || config->data == 0 || units < 4) {
        return false;
    }
    b->info = (const struct blk_storage_info *)(uintptr_t)c->storage_info;
    b->data = (uint8_t *)(uintptr_t)config->data;
    b->units = units < VIRTIO_BLK_MAX_UNITS ? (uint32_t)units : VIRTIO_BLK_MAX_UNITS;
    b->channel = c->channel;
    b->ready = false;
    b->disk_problem = NULL;
    b->config = (struct virtio_blk_config){0};
    set_block_size(b, VIRTIO_BLK_SECTOR); /* until the disk says otherwise */
    set_limits(b);
    map_init(b->unit_map, VIRTIO_BLK_MAX_UNITS / 64, b->units);
    map_init(b->segment_map, VIRTIO_BLK_SEGMENT_POOL / 64, VIRTIO_BLK_SEGMENT_POOL);
    for (unsigned i = 0; i < VIRTIO_BLK_MAX_INFLIGHT; i++) {
        b->inflight[i].used = false;
        b->free_slots[i] = (uint16_t)(VIRTIO_BLK_MAX_INFLIGHT - 1 - i);
    }
    b->free_count = VIRTIO_BLK_MAX_INFLIGHT;
    b->first = VIRTIO_BLK_NONE;
    b->last = VIRTIO_BLK_NONE;
    b->outstanding = 0;
    b->sent = false;
    b->signal = false;
    b->held = false;
    b->requests = b->refused = b->unsupported = b->disk_errors = b->bogus_responses = 0;
    b->bad_requests = 0;
    const struct virtio_device_info info = {
        .device_id = VIRTIO_ID_BLOCK,
        .features = VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_SIZE_MAX |
                    VIRTIO_BLK_F_TOPOLOGY | VIRTIO_F_INDIRECT_DESC,
        .queue_count = 1,
        .queue_num_max = VIRTIO_BLK_QUEUE_SIZE,
        .config = &b->config,
        .config_size = sizeof(b->config),
    };
    static const struct virtio_device_ops ops = {
        .queue_notify = queue_notify,
        .driver_ok = driver_ok,
        .reset = device_reset,
    };
    virtqueue_init(&b->vq, &b->transport.queues[0], ram);
    /* Resets the transport, which calls device_reset for the rest of the state. */
    if (!virtio_mmio_init(&b->transport, &info, &ops, b, ram)) {
        return false;
    }
    check_disk(b); /* the disk side may be ready already */
    return true;
}

void virtio_blk_notified(struct virtio_blk *b)
{
    pass(b);
}
