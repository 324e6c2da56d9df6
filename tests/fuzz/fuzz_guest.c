/* The fuzz harnesses' guest driver (fuzz_guest.h). */
#include "fuzz_guest.h"
#include <string.h>
#include "fuzz.h"

#define GUARD      4096u
#define GUARD_BYTE 0x5a
#define GRANULE    64u
#define GRANULES   ((FG_RAM_SIZE - FG_RINGS_SIZE) / GRANULE)

static uint8_t memory[GUARD + FG_RAM_SIZE + GUARD] __attribute__((aligned(4096)));
uint8_t *const fg_ram = memory + GUARD;
const struct guest_ram fg_guest_ram = {FG_RAM_BASE, FG_RAM_SIZE, (uintptr_t)(memory + GUARD)};
struct fg_driver fg;

static uint8_t shadow[FG_RAM_SIZE];
static uint8_t may_write[FG_RAM_SIZE]; /* 1: the device may write this byte now */
static bool granule_used[GRANULES];

void fg_init(struct virtio_mmio *t)
{
    memset(memory, GUARD_BYTE, sizeof(memory));
    memset(fg_ram, 0, FG_RAM_SIZE);
    memset(shadow, 0, sizeof(shadow));
    memset(may_write, 0, sizeof(may_write));
    memset(granule_used, 0, sizeof(granule_used));
    memset(&fg, 0, sizeof(fg));
    fg.t = t;
    for (unsigned q = 0; q < FG_QUEUES; q++) {
        /* Each queue's rings in its own 8 KiB: descriptors, then the available and used rings. */
        uint32_t base = 0x2000u * q;
        fg.queues[q].desc = base;
        fg.queues[q].avail = base + 0x400;
        fg.queues[q].used = base + 0x800;
    }
}

uint64_t fg_gpa(uint32_t offset)
{
    return FG_RAM_BASE + offset;
}

void fg_write(uint32_t offset, const void *bytes, uint32_t n)
{
    if (offset >= FG_RAM_SIZE || n > FG_RAM_SIZE - offset) {
        return;
    }
    memcpy(fg_ram + offset, bytes, n);
    memcpy(shadow + offset, bytes, n);
}

uint32_t fg_alloc(uint32_t n)
{
    uint32_t want = (n + GRANULE - 1) / GRANULE;
    if (want == 0 || want > GRANULES) {
        return 0;
    }
    for (uint32_t first = 0; first + want <= GRANULES; first++) {
        uint32_t k = 0;
        while (k < want && !granule_used[first + k]) {
            k++;
        }
        if (k == want) {
            memset(&granule_used[first], 1, want);
            return FG_RINGS_SIZE + first * GRANULE;
        }
        first += k;
    }
    return 0;
}

void fg_free(uint32_t offset, uint32_t n)
{
    uint32_t first = (offset - FG_RINGS_SIZE) / GRANULE;
    uint32_t count = (n + GRANULE - 1) / GRANULE;
    for (uint32_t k = 0; k < count && first + k < GRANULES; k++) {
        granule_used[first + k] = false;
    }
}

uint32_t fg_read_reg(uint32_t offset)
{
    return virtio_mmio_read(fg.t, offset, 4);
}

void fg_write_reg(uint32_t offset, uint32_t value)
{
    virtio_mmio_write(fg.t, offset, 4, value);
}

static void add_status(uint32_t bits)
{
    fg_write_reg(VIRTIO_MMIO_STATUS, fg_read_reg(VIRTIO_MMIO_STATUS) | bits);
}

bool fg_negotiate(uint64_t features)
{
    fg_write_reg(VIRTIO_MMIO_STATUS, 0);
    fg_forget();
    add_status(VIRTIO_STATUS_ACKNOWLEDGE);
    add_status(VIRTIO_STATUS_DRIVER);
    fg_write_reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    fg_write_reg(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    fg_write_reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    fg_write_reg(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    add_status(VIRTIO_STATUS_FEATURES_OK);
    return (fg_read_reg(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) != 0;
}

bool fg_setup_queue(unsigned q, uint32_t num)
{
    struct fg_queue *fq = &fg.queues[q];
    if (num == 0 || num > FG_MAX_NUM || (num & (num - 1)) != 0) {
        return false;
    }
    /* Fresh zeroed rings, as a driver lays them out (section 2.7). */
    uint8_t zeros[0x800] = {0};
    fg_write(fq->desc, zeros, 16 * FG_MAX_NUM);
    fg_write(fq->avail, zeros, 6 + 2 * FG_MAX_NUM);
    fg_write(fq->used, zeros, 6 + 8 * FG_MAX_NUM);
    fq->num = num;
    fq->next_avail = 0;
    fq->used_seen = 0;
    memset(fq->desc_used, 0, sizeof(fq->desc_used));
    memset(fq->chains, 0, sizeof(fq->chains));
    fq->in_flight = 0;
    /* The used ring but its flags is the device's to write. */
    memset(may_write + fq->used + 2, 1, 4 + 8 * num);
    fg_write_reg(VIRTIO_MMIO_QUEUE_SEL, q);
    fg_write_reg(VIRTIO_MMIO_QUEUE_NUM, num);
    fg_write_reg(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)fg_gpa(fq->desc));
    fg_write_reg(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(fg_gpa(fq->desc) >> 32));
    fg_write_reg(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)fg_gpa(fq->avail));
    fg_write_reg(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(fg_gpa(fq->avail) >> 32));
    fg_write_reg(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)fg_gpa(fq->used));
    fg_write_reg(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(fg_gpa(fq->used) >> 32));
    fg_write_reg(VIRTIO_MMIO_QUEUE_READY, 1);
    return fg_read_reg(VIRTIO_MMIO_QUEUE_READY) == 1;
}

bool fg_start(uint64_t features, unsigned queues, uint32_t num)
{
    if (!fg_negotiate(features)) {
        return false;
    }
    for (unsigned q = 0; q < queues; q++) {
        if (!fg_setup_queue(q, num)) {
            return false;
        }
    }
    add_status(VIRTIO_STATUS_DRIVER_OK);
    return (fg_read_reg(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK) != 0;
}

static bool take_descs(struct fg_queue *fq, unsigned n, uint16_t *descs)
{
    unsigned got = 0;
    for (unsigned i = 0; i < fq->num && got < n; i++) {
        if (!fq->desc_used[i]) {
            descs[got++] = (uint16_t)i;
        }
    }
    if (got < n) {
        return false;
    }
    for (unsigned i = 0; i < n; i++) {
        fq->desc_used[descs[i]] = true;
    }
    return true;
}

static void put_desc(uint32_t offset, uint64_t address, uint32_t length, uint16_t flags, uint16_t next)
{
    struct virtq_desc d = {address, length, flags, next};
    fg_write(offset, &d, sizeof(d));
}

/* Section 2.7.13: the ring entry, then avail->idx with release ordering. */
static void publish(struct fg_queue *fq, uint16_t head)
{
    uint16_t idx = fq->next_avail;
    fg_write(fq->avail + 4 + 2 * (idx % fq->num), &head, 2);
    fq->next_avail++;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    fg_write(fq->avail + 2, &fq->next_avail, 2);
    fq->in_flight++;
}

static void allow_writes(const struct fg_chain *c, uint8_t allowed)
{
    for (unsigned i = 0; i < c->count; i++) {
        if (c->segs[i].writable) {
            memset(may_write + c->segs[i].offset, allowed, c->segs[i].length);
        }
    }
}

bool fg_offer(unsigned q, const struct fg_seg *segs, unsigned n, bool indirect, uint64_t tag, uint16_t *head)
{
    struct fg_queue *fq = &fg.queues[q];
    uint16_t descs[FG_MAX_SEGS];
    /* Section 2.7.5.3.1: no chain is longer than the queue, indirect tables included. */
    if (fq->num == 0 || n == 0 || n > FG_MAX_SEGS || n > fq->num || fq->in_flight >= fq->num ||
        !take_descs(fq, indirect ? 1 : n, descs)) {
        return false;
    }
    struct fg_chain *c = &fq->chains[descs[0]];
    *c = (struct fg_chain){.in_flight = true, .count = n, .desc_count = indirect ? 1 : n, .tag = tag};
    memcpy(c->segs, segs, n * sizeof(*segs));
    memcpy(c->descs, descs, c->desc_count * sizeof(descs[0]));
    if (indirect) {
        c->table_size = 16 * n;
        c->table = fg_alloc(c->table_size);
        if (c->table == 0) {
            fq->desc_used[descs[0]] = false;
            c->in_flight = false;
            return false;
        }
        for (unsigned i = 0; i < n; i++) {
            uint16_t flags =
                (uint16_t)((segs[i].writable ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
            put_desc(c->table + 16 * i, fg_gpa(segs[i].offset), segs[i].length, flags, (uint16_t)(i + 1));
        }
        put_desc(fq->desc + 16 * descs[0], fg_gpa(c->table), c->table_size, VIRTQ_DESC_F_INDIRECT, 0);
    } else {
        for (unsigned i = 0; i < n; i++) {
            uint16_t flags =
                (uint16_t)((segs[i].writable ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
            put_desc(fq->desc + 16 * descs[i], fg_gpa(segs[i].offset), segs[i].length, flags,
                     i + 1 < n ? descs[i + 1] : 0);
        }
    }
    allow_writes(c, 1);
    for (unsigned i = 0; i < n; i++) {
        FUZZ_TRACE("queue %u head %u: segment %u at %#x, %u bytes%s%s", q, descs[0], i, segs[i].offset, segs[i].length,
                   segs[i].writable ? ", writable" : "", indirect ? " (indirect)" : "");
    }
    if (head != NULL) {
        *head = descs[0];
    }
    publish(fq, descs[0]);
    return true;
}

bool fg_offer_raw(unsigned q, uint64_t address, uint32_t length, uint16_t flags, uint16_t next, uint64_t tag)
{
    struct fg_queue *fq = &fg.queues[q];
    uint16_t desc;
    if (fq->num == 0 || fq->in_flight >= fq->num || !take_descs(fq, 1, &desc)) {
        return false;
    }
    struct fg_chain *c = &fq->chains[desc];
    *c = (struct fg_chain){.in_flight = true, .count = 0, .desc_count = 1, .tag = tag};
    c->descs[0] = desc;
    FUZZ_TRACE("queue %u head %u: raw descriptor %#llx, %u bytes, flags %#x", q, desc, (unsigned long long)address,
               length, flags);
    put_desc(fq->desc + 16 * desc, address, length, flags, next);
    publish(fq, desc);
    return true;
}

void fg_notify(unsigned q)
{
    fg_write_reg(VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

static void retire(struct fg_queue *fq, struct fg_chain *c)
{
    allow_writes(c, 0);
    for (unsigned i = 0; i < c->desc_count; i++) {
        fq->desc_used[c->descs[i]] = false;
    }
    if (c->table != 0) {
        fg_free(c->table, c->table_size);
    }
    c->in_flight = false;
    fq->in_flight--;
}

unsigned fg_collect(unsigned q, struct fg_used *out, unsigned max)
{
    struct fg_queue *fq = &fg.queues[q];
    unsigned n = 0;
    if (fg.dishonest || fq->num == 0) {
        return 0;
    }
    uint16_t idx = __atomic_load_n((uint16_t *)(fg_ram + fq->used + 2), __ATOMIC_ACQUIRE);
    FUZZ_CHECK((uint16_t)(idx - fq->used_seen) <= fq->in_flight, "queue %u: %u used elements for %u chains out", q,
               (uint16_t)(idx - fq->used_seen), fq->in_flight);
    while (fq->used_seen != idx && n < max) {
        struct virtq_used_elem e;
        memcpy(&e, fg_ram + fq->used + 4 + 8 * (fq->used_seen % fq->num), sizeof(e));
        FUZZ_CHECK(e.id < fq->num && fq->chains[e.id].in_flight, "queue %u: used element for head %u, not out", q,
                   e.id);
        struct fg_chain *c = &fq->chains[e.id];
        uint32_t writable = 0;
        for (unsigned i = 0; i < c->count; i++) {
            writable += c->segs[i].writable ? c->segs[i].length : 0;
        }
        FUZZ_CHECK(e.len <= writable, "queue %u: used length %u for a chain of %u writable bytes", q, e.len, writable);
        out[n] = (struct fg_used){.head = (uint16_t)e.id, .length = e.len, .count = c->count, .tag = c->tag};
        memcpy(out[n].segs, c->segs, sizeof(c->segs));
        n++;
        retire(fq, c);
        fq->used_seen++;
    }
    return n;
}

void fg_forget(void)
{
    for (unsigned q = 0; q < FG_QUEUES; q++) {
        struct fg_queue *fq = &fg.queues[q];
        for (unsigned h = 0; h < FG_MAX_NUM; h++) {
            if (fq->chains[h].in_flight) {
                retire(fq, &fq->chains[h]);
            }
        }
        if (fq->num != 0) {
            memset(may_write + fq->used + 2, 0, 4 + 8 * fq->num);
        }
        fq->num = 0;
    }
}

void fg_scribble(uint32_t offset, const void *bytes, uint32_t n)
{
    fg.dishonest = true;
    fg_write(offset, bytes, n);
}

void fg_check_writes(const char *after)
{
    static uint8_t guard[GUARD];
    if (guard[0] != GUARD_BYTE) {
        memset(guard, GUARD_BYTE, sizeof(guard));
    }
    FUZZ_CHECK(memcmp(memory, guard, GUARD) == 0 && memcmp(memory + GUARD + FG_RAM_SIZE, guard, GUARD) == 0,
               "%s wrote outside guest RAM", after);
    /* The used rings are the device's: take them first, so that the usual call (which wrote only
     * there) costs one comparison of the whole RAM. */
    for (unsigned q = 0; q < FG_QUEUES; q++) {
        const struct fg_queue *fq = &fg.queues[q];
        if (fq->num != 0) {
            memcpy(shadow + fq->used + 2, fg_ram + fq->used + 2, 4 + 8 * fq->num);
        }
    }
    if (memcmp(fg_ram, shadow, FG_RAM_SIZE) == 0) {
        return;
    }
    for (uint32_t block = 0; block < FG_RAM_SIZE; block += 256) {
        if (memcmp(fg_ram + block, shadow + block, 256) == 0) {
            continue;
        }
        for (uint32_t i = block; i < block + 256; i++) {
            if (fg_ram[i] != shadow[i]) {
                FUZZ_CHECK(fg.dishonest || may_write[i], "%s wrote guest byte %#x, which it was not given", after, i);
                shadow[i] = fg_ram[i];
            }
        }
    }
}
