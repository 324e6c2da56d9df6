/*
 * Fuzz harness of the split virtqueue, device side (vmm/src/virtqueue.c). The input is a guest
 * driver's program: write descriptors and indirect tables (good, bad or garbage), offer heads,
 * move avail->idx anywhere, scribble over its own RAM, move the rings under the device, reset;
 * and the device's: take chains with any direction and segment limit, complete them now or later.
 * A guest on another vCPU may also offer chains while the device is reading the ring (the race
 * hook runs between the device's loads).
 *
 * Invariants:
 * - every segment handed to the device lies inside guest RAM, has a length, and a chain is
 *   readable buffers then writable ones, in the direction asked, no longer than the queue or the
 *   caller's array, its length the sum of its segments;
 * - the device writes guest RAM only in the used ring of a layout the driver gave it (and the
 *   harness, as the device, only in writable segments); nothing outside guest RAM is touched
 *   (guard regions);
 * - while the driver is honest, every used element is a head the driver offered and not yet got
 *   back, and every chain taken is the next offered one (bad ones come back with length 0);
 * - every call is bounded: a call that takes chains loads shared memory a bounded number of times
 *   per chain the guest offered during it (a guest that keeps offering bad chains must not keep the
 *   device in one call forever).
 */
#include <string.h>
#include <vmm/virtqueue.h>
#include "fuzz.h"
#include "fuzz_race.h"
#undef __atomic_load_n

#define RAM_BASE    0x40000000ULL
#define RAM_SIZE    0x10000u
#define GUARD       4096u
#define MAX_NUM     128u
#define DESC_AT     0x0000u
#define AVAIL_AT    0x1000u
#define USED_AT     0x2000u
#define BUFFERS     0x4000u
#define MAX_SEGS    (2 * MAX_NUM)
#define MAX_LAYOUTS 16u
#define GUARD_BYTE  0x5a

static uint8_t memory[GUARD + RAM_SIZE + GUARD] __attribute__((aligned(4096)));
static uint8_t shadow[RAM_SIZE]; /* what guest RAM holds apart from what the device may write */
static uint8_t *const ram = memory + GUARD;
static const struct guest_ram guest = {RAM_BASE, RAM_SIZE, (uintptr_t)(memory + GUARD)};

struct used_area {
    uint64_t gpa; /* of the used ring */
    uint32_t num;
};

static struct {
    struct virtio_queue_config config;
    struct virtqueue q;
    /* The used rings the device may write: of every layout given since the last reset. */
    struct used_area layouts[MAX_LAYOUTS];
    unsigned layout_count;
    /* The honest driver's bookkeeping (while `honest`). */
    bool honest;
    uint16_t next_avail;         /* its avail->idx */
    uint16_t used_seen;          /* used elements already looked at */
    uint16_t ring_copy[MAX_NUM]; /* what it wrote in each ring slot, in offer order */
    unsigned outstanding[MAX_NUM];
    unsigned in_flight; /* offered, not yet back */
    uint16_t taken;     /* ring entries the device took (chains and bad chains) */
    /* chains the device holds, to complete later */
    struct virtqueue_chain held[MAX_NUM];
    uint32_t held_writable[MAX_NUM];
    unsigned held_count;
    /* the concurrent guest */
    struct fuzz_input *race; /* the other vCPU's choices */
    bool racing;
    unsigned raced_offers;
} s;

static uint64_t gpa_of(uint32_t offset)
{
    return RAM_BASE + offset;
}

/* The driver writes its RAM: both the real bytes and the shadow. */
static void guest_write(uint32_t offset, const void *bytes, uint32_t n)
{
    if (offset >= RAM_SIZE || n > RAM_SIZE - offset) {
        return;
    }
    memcpy(ram + offset, bytes, n);
    memcpy(shadow + offset, bytes, n);
}

static void guest_write16(uint32_t offset, uint16_t v)
{
    guest_write(offset, &v, 2);
}

static bool inside_ram(const void *p, uint64_t length)
{
    uintptr_t a = (uintptr_t)p;
    return a >= (uintptr_t)ram && length <= RAM_SIZE && a - (uintptr_t)ram <= RAM_SIZE - length;
}

static bool in_used_ring(uint32_t offset)
{
    for (unsigned i = 0; i < s.layout_count; i++) {
        uint64_t start = s.layouts[i].gpa;
        uint64_t end = start + 6 + 8ULL * s.layouts[i].num;
        /* used->flags is the driver's: the device writes idx and the ring. */
        if (RAM_BASE + offset >= start + 2 && RAM_BASE + offset < end) {
            return true;
        }
    }
    return false;
}

/* After every device call: only used rings changed, and nothing outside guest RAM at all. Then
 * the shadow takes what the device wrote. */
static void check_writes(const char *after)
{
    static uint8_t guard[GUARD];
    if (guard[0] != GUARD_BYTE) {
        memset(guard, GUARD_BYTE, sizeof(guard));
    }
    FUZZ_CHECK(memcmp(memory, guard, GUARD) == 0 && memcmp(memory + GUARD + RAM_SIZE, guard, GUARD) == 0,
               "%s wrote outside guest RAM", after);
    /* Block by block, so that the unchanged bulk costs one comparison. */
    for (uint32_t block = 0; block < RAM_SIZE; block += 256) {
        if (memcmp(ram + block, shadow + block, 256) == 0) {
            continue;
        }
        for (uint32_t i = block; i < block + 256; i++) {
            if (ram[i] != shadow[i]) {
                FUZZ_CHECK(in_used_ring(i), "%s wrote guest byte %#x, outside every used ring", after, i);
                shadow[i] = ram[i];
            }
        }
    }
}

static void remember_layout(void)
{
    s.layouts[s.layout_count++] = (struct used_area){s.config.device, s.config.num};
}

/* The honest driver reads back the used elements it has not seen. */
static void collect_used(void)
{
    if (!s.honest) {
        return;
    }
    uint32_t used = s.config.device - RAM_BASE;
    uint16_t idx;
    memcpy(&idx, ram + used + 2, 2);
    unsigned fresh = (uint16_t)(idx - s.used_seen);
    FUZZ_CHECK(fresh <= s.in_flight, "%u used elements for %u chains in flight", fresh, s.in_flight);
    for (unsigned k = 0; k < fresh; k++) {
        struct virtq_used_elem e;
        memcpy(&e, ram + used + 4 + 8 * (s.used_seen % s.config.num), sizeof(e));
        FUZZ_CHECK(e.id < s.config.num && s.outstanding[e.id] > 0, "used element for head %u, which is not out", e.id);
        s.outstanding[e.id]--;
        s.in_flight--;
        s.used_seen++;
    }
}

/* The queue size as the harness's own tables can follow it (the rings may have been given any
 * size by a dishonest driver). */
static uint32_t entries(void)
{
    uint32_t num = s.config.num;
    return num == 0 || num > MAX_NUM ? MAX_NUM : num;
}

/* Offer head h as the honest driver does: only into a free slot, the entry before the index
 * (section 2.7.13). A dishonest driver's rings may be anywhere: its writes are clipped to RAM. */
static bool offer(uint16_t head)
{
    uint32_t num = entries();
    uint32_t avail = (uint32_t)(s.config.driver - RAM_BASE);
    if (s.honest && s.in_flight >= num) {
        return false;
    }
    guest_write16(avail + 4 + 2 * (s.next_avail % num), head);
    s.ring_copy[s.next_avail % num] = head;
    s.next_avail++;
    if (head < num) {
        s.outstanding[head]++;
    }
    s.in_flight++;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    guest_write16(avail + 2, s.next_avail);
    return true;
}

static void write_desc(struct fuzz_input *in, uint32_t table, uint32_t entries)
{
    struct virtq_desc d;
    uint32_t index = fuzz_below(in, entries);
    uint8_t mode = fuzz_u8(in);
    d.addr = (mode & 3) != 3 ? gpa_of(BUFFERS + fuzz_below(in, RAM_SIZE - BUFFERS)) : fuzz_u64(in);
    d.len = (mode & 4) == 0 ? fuzz_u8(in) + 1u : fuzz_u32(in);
    d.flags = (mode & 8) == 0 ? (uint16_t)(fuzz_u8(in) & 7) : fuzz_u16(in);
    d.next = (mode & 16) == 0 ? (uint16_t)fuzz_below(in, entries) : fuzz_u16(in);
    guest_write(table + 16 * index, &d, sizeof(d));
}

/* The other vCPU: while the device reads avail->idx, the driver may offer another head. */
static void race(const volatile void *address, unsigned size, void *context)
{
    (void)context;
    uint32_t avail = s.config.driver - RAM_BASE;
    if (!s.racing || size != 2 || address != ram + avail + 2 || !fuzz_more(s.race)) {
        return;
    }
    uint8_t c = fuzz_u8(s.race);
    if ((c & 3) == 0) {
        /* The guest sees what the device completed so far, so it may reuse those slots. Loads
         * must be bounded per chain offered, not in absolute terms. */
        collect_used();
        s.raced_offers += offer((uint16_t)((c >> 2) % entries()));
    }
}

static void take_chains(struct fuzz_input *in)
{
    static struct virtqueue_segment segments[MAX_SEGS];
    enum virtqueue_direction direction = (enum virtqueue_direction)fuzz_below(in, 3);
    unsigned max_segments = fuzz_bool(in) ? MAX_SEGS : fuzz_below(in, MAX_SEGS + 1);
    unsigned rounds = fuzz_below(in, 8) + 1;
    for (unsigned r = 0; r < rounds; r++) {
        struct virtqueue_chain chain;
        uint16_t bad_before = (uint16_t)s.q.bad_chains;
        memset(segments, 0, sizeof(segments));
        s.racing = s.honest;
        s.raced_offers = 0;
        /* A chain walk loads at most 4 fields per descriptor, tables included (at most the queue
         * size), and the ring twice per head; every head offered before or during the call may
         * be a bad chain taken in it. */
        unsigned long per_chain = 16 * (unsigned long)(MAX_NUM + 2) + 8; /* unaligned tables: bytes */
        fuzz_race_arm(race, NULL, per_chain * (MAX_NUM + 2), "virtqueue_next_chain");
        bool got = virtqueue_next_chain(&s.q, direction, segments, max_segments, &chain);
        unsigned long loads = fuzz_race_loads();
        fuzz_race_disarm();
        s.racing = false;
        unsigned bad = s.q.bad_chains - bad_before;
        FUZZ_CHECK(loads <= per_chain * (bad + 1 + s.raced_offers + s.config.num),
                   "one call loaded shared memory %lu times for %u bad chains and %u offered during it", loads, bad,
                   s.raced_offers);
        check_writes("virtqueue_next_chain");
        if (s.honest) {
            s.taken = (uint16_t)(s.taken + bad + got);
            /* Every chain available when the call began fits in one queue's worth: more than that
             * in one call is the pace of a guest offering during it, which must not hold the device
             * (and the other devices of its VMM) in one call for as long as it likes. */
            FUZZ_CHECK(bad + got <= s.config.num, "one call took %u chains from a queue of %u", bad + got,
                       s.config.num);
        }
        collect_used();
        if (!got) {
            return;
        }
        FUZZ_CHECK(chain.head < s.config.num, "chain head %u past the queue", chain.head);
        if (s.honest) {
            FUZZ_CHECK(chain.head == s.ring_copy[(uint16_t)(s.taken - 1) % s.config.num],
                       "chain %u is not the next head offered", chain.head);
        }
        FUZZ_CHECK(chain.count >= 1 && chain.count <= max_segments && chain.count <= s.config.num,
                   "a chain of %u segments (limit %u, queue %u)", chain.count, max_segments, s.config.num);
        FUZZ_CHECK(chain.readable <= chain.count, "more readable segments than segments");
        uint64_t total = 0;
        uint32_t writable = 0;
        for (unsigned i = 0; i < chain.count; i++) {
            const struct virtqueue_segment *g = &segments[i];
            FUZZ_CHECK(g->length > 0 && inside_ram(g->pointer, g->length), "segment %u outside guest RAM", i);
            FUZZ_CHECK(g->writable == (i >= chain.readable), "segment %u out of readable-then-writable order", i);
            total += g->length;
            writable += g->writable ? g->length : 0;
        }
        FUZZ_CHECK(total == chain.length, "chain length %u, segments sum to %llu", chain.length,
                   (unsigned long long)total);
        FUZZ_CHECK(direction != VIRTQUEUE_DEVICE_READS || chain.readable == chain.count, "writable buffer to read");
        FUZZ_CHECK(direction != VIRTQUEUE_DEVICE_WRITES || chain.readable == 0, "readable buffer to write");
        /* The device fills what it may write: legal, so the shadow learns it. */
        uint8_t fill = fuzz_u8(in);
        for (unsigned i = chain.readable; i < chain.count; i++) {
            uint32_t offset = (uint32_t)((uint8_t *)segments[i].pointer - ram);
            memset(ram + offset, fill, segments[i].length);
            memset(shadow + offset, fill, segments[i].length);
        }
        if (s.held_count < MAX_NUM && fuzz_bool(in)) {
            s.held[s.held_count] = chain;
            s.held_writable[s.held_count++] = writable;
        } else {
            virtqueue_push_used(&s.q, chain.head, writable);
            check_writes("virtqueue_push_used");
            collect_used();
        }
    }
}

static void reset(void)
{
    virtqueue_reset(&s.q);
    s.layout_count = 0;
    s.held_count = 0;
    remember_layout();
    /* After a reset the driver starts its rings afresh (section 2.4); the honest one zeroes them. */
    if (s.honest) {
        uint8_t zeros[6 + 8 * MAX_NUM] = {0};
        guest_write(s.config.driver - RAM_BASE, zeros, 6 + 2 * s.config.num);
        guest_write(s.config.device - RAM_BASE, zeros, 6 + 8 * s.config.num);
        s.next_avail = 0;
        s.used_seen = 0;
        s.taken = 0;
        s.in_flight = 0;
        memset(s.outstanding, 0, sizeof(s.outstanding));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = fuzz_input(data, size);
    struct fuzz_input race_in = fuzz_split(&in);
    memset(memory, GUARD_BYTE, sizeof(memory));
    memset(ram, 0, RAM_SIZE);
    memset(shadow, 0, sizeof(shadow));
    memset(&s, 0, sizeof(s));
    s.race = &race_in;
    s.honest = true;
    s.config = (struct virtio_queue_config){1u << fuzz_below(&in, 8), true, gpa_of(DESC_AT), gpa_of(AVAIL_AT),
                                            gpa_of(USED_AT)};
    virtqueue_init(&s.q, &s.config, &guest);
    virtqueue_set_features(&s.q, fuzz_bool(&in) ? VIRTIO_F_INDIRECT_DESC : 0);
    remember_layout();
    for (unsigned step = 0; step < 512 && fuzz_more(&in); step++) {
        switch (fuzz_below(&in, 12)) {
        case 0:
        case 1:
            write_desc(&in, DESC_AT, entries());
            break;
        case 2:
        case 3:
            offer((uint16_t)fuzz_below(&in, entries()));
            break;
        case 4: {
            /* An indirect table somewhere in the buffers, possibly unaligned. */
            uint32_t table = BUFFERS + fuzz_below(&in, RAM_SIZE - BUFFERS - 16 * 8);
            unsigned count = fuzz_below(&in, 8) + 1;
            for (unsigned i = 0; i < count; i++) {
                write_desc(&in, table, 8);
            }
            struct virtq_desc d = {gpa_of(table), 16 * (fuzz_below(&in, 8) + 1), VIRTQ_DESC_F_INDIRECT, 0};
            guest_write(DESC_AT + 16 * fuzz_below(&in, entries()), &d, sizeof(d));
            break;
        }
        case 5:
        case 6:
            take_chains(&in);
            break;
        case 7:
            if (s.held_count > 0) {
                unsigned i = fuzz_below(&in, s.held_count);
                virtqueue_push_used(&s.q, s.held[i].head, s.held_writable[i]);
                s.held[i] = s.held[--s.held_count];
                s.held_writable[i] = s.held_writable[s.held_count];
                check_writes("virtqueue_push_used");
                collect_used();
            }
            break;
        case 8: {
            /* A dishonest guest: any bytes anywhere in its RAM, avail->idx included. */
            uint8_t bytes[16];
            uint32_t offset = fuzz_below(&in, RAM_SIZE);
            size_t n = fuzz_bytes(&in, bytes, fuzz_below(&in, sizeof(bytes)) + 1);
            guest_write(offset, bytes, (uint32_t)n);
            s.honest = false;
            break;
        }
        case 9:
            /* The rings move under the device, or get any size or address (as often as the
             * harness can remember where the device may write). */
            if (s.layout_count == MAX_LAYOUTS) {
                break;
            }
            if (fuzz_bool(&in)) {
                s.config.num = fuzz_bool(&in) ? 1u << fuzz_below(&in, 8) : fuzz_u32(&in);
            } else {
                uint64_t *field = fuzz_bool(&in)   ? &s.config.desc
                                  : fuzz_bool(&in) ? &s.config.driver
                                                   : &s.config.device;
                *field = fuzz_bool(&in) ? gpa_of(fuzz_below(&in, RAM_SIZE)) : fuzz_u64(&in);
            }
            s.honest = false;
            remember_layout();
            break;
        case 10:
            reset();
            virtqueue_set_features(&s.q, fuzz_bool(&in) ? VIRTIO_F_INDIRECT_DESC : 0);
            break;
        case 11:
            s.config.ready = fuzz_bool(&in);
            (void)virtqueue_take_interrupt(&s.q);
            check_writes("virtqueue_take_interrupt");
            break;
        }
    }
    return 0;
}
