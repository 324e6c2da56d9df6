/*
 * Fuzz harness of the virtio block device (vmm/src/virtio_blk.c), with its transport and virtqueue,
 * between a guest driver (fuzz_guest.h) and a block virtualiser that the harness plays on the
 * block queues over a model disk. The input is a program: the disk appears (ready, absent, or
 * with information that does not check) at some point; the guest offers requests of every type,
 * well-formed or not (short headers, data the wrong way, lengths that are no whole sectors,
 * sectors past the end), split into buffers any way, direct or through indirect tables, kicks
 * and resets; the virtualiser takes requests at its pace and answers them in any order, with
 * errors, and with answers nobody asked for.
 *
 * Invariants:
 * - every request comes back exactly once, with the status section 5.2.6 gives it (an oracle
 *   computes it from what the guest wrote), and the used length the device owes;
 * - reads return what a disk serving the requests one by one, in the order offered, would
 *   hold; at the end the disk holds what that disk would (while no error, reset or early
 *   request made the outcome uncertain);
 * - the device writes guest RAM only in the used ring and the writable buffers of requests in
 *   flight (never after a reset orphaned them), never outside guest RAM; every request it sends
 *   the virtualiser passes the virtualiser's own check, with an id not already out, within the
 *   queue depth the disk published; answers with ids it never gave are ignored;
 * - once the guest and the virtualiser stop, following the signals alone answers everything.
 */
#include <string.h>
#include <blk/blk_config.h>
#include <blk/queue.h>
#include <blk/storage_info.h>
#include <vmm/notify.h>
#include <vmm/virtio_blk.h>
#include "fuzz.h"
#include "fuzz_guest.h"

#define Q            0
#define CH           5
#define UNIT         4096u
#define SECTOR       512u
#define DISK_UNITS   16u
#define DISK_SECTORS (DISK_UNITS * UNIT / SECTOR)
#define MAX_DATA     (16u * SECTOR)
#define MAX_QUEUE    64u
#define MAX_HELD     256u
#define NO_STATUS    0x100 /* a chain with no writable byte: no status to expect */

static const char SERIAL[BLK_SERIAL_LENGTH] = "FUZZ-VBLK-SERIAL-01";

static struct virtio_blk blk;
static struct blk_client_config cfg;
static struct blk_storage_info shared_info;
static uint8_t request_region[BLK_QUEUE_ENTRIES_OFFSET + MAX_QUEUE * sizeof(struct blk_request)];
static uint8_t response_region[BLK_QUEUE_ENTRIES_OFFSET + MAX_QUEUE * sizeof(struct blk_response)];
static uint8_t data_region[16 * UNIT];
static struct blk_queue_handle virt;
static uint8_t disk[DISK_UNITS * UNIT];  /* what the virtualiser's disk holds */
static uint8_t model[DISK_UNITS * UNIT]; /* what it would hold, requests served in offer order */

/* What the guest expects of the request with tag t (its chain's head). */
struct expectation {
    bool out;
    bool get_id;
    unsigned status;  /* VIRTIO_BLK_S_*, or NO_STATUS */
    bool uncertain;   /* offered before the disk appeared: IOERR is allowed too */
    uint32_t written; /* data bytes the device writes back on OK */
    uint32_t writable;
    uint8_t data[MAX_DATA]; /* IN: what the read must return; GET_ID: the serial */
};

static struct {
    struct fuzz_input *in;
    bool started;
    bool exact; /* the model disk is what the disk must hold */
    bool ready_published;
    unsigned passes;
    uint32_t capacity_sectors; /* once ready */
    bool read_only;
    uint32_t queue_depth;
    uint32_t data_units;
    uint32_t units_used; /* of the data region: min(data units, VIRTIO_BLK_MAX_UNITS) */
    struct expectation expect[FG_MAX_NUM];
    struct blk_request held[MAX_HELD];
    unsigned held_count;
    bool id_out[1u << 12];
} s;

void vmm_notify(unsigned channel)
{
    FUZZ_CHECK(channel == CH, "the device signalled channel %u", channel);
}

static void after(const char *what);

/* ---- the virtualiser ---- */

static void virt_take(unsigned max)
{
    struct blk_request r;
    bool took = false;
    while (max-- > 0 && s.held_count < MAX_HELD && blk_dequeue_request(&virt, &r)) {
        took = true;
        FUZZ_CHECK(blk_request_check(&r, DISK_UNITS, cfg.data_size) == BLK_RESP_OK,
                   "the device sent a request the virtualiser must refuse (code %u, block %llu, count %u, offset %llu)",
                   r.code, (unsigned long long)r.block_number, r.count, (unsigned long long)r.data_offset);
        FUZZ_CHECK(r.id < sizeof(s.id_out) && !s.id_out[r.id], "request id %u sent while already out", r.id);
        s.id_out[r.id] = true;
        s.held[s.held_count++] = r;
        FUZZ_CHECK(!s.ready_published || s.held_count <= s.queue_depth, "%u requests out, queue depth %u", s.held_count,
                   s.queue_depth);
    }
    if (!took) {
        blk_queue_want_requests(&virt);
    }
    if (took && blk_queue_take_request_space_signal(&virt)) {
        s.passes++;
        virtio_blk_notified(&blk);
        after("virtio_blk_notified");
    }
}

static void virt_answer(unsigned k, bool fail)
{
    struct blk_request r = s.held[k];
    s.held[k] = s.held[--s.held_count];
    if (blk_response_space(&virt) == 0) {
        s.held[s.held_count++] = r; /* the device reads answers at its pace: hold it */
        return;
    }
    uint32_t status = fail ? BLK_RESP_ERR_IO : BLK_RESP_OK;
    FUZZ_TRACE("answer code %u block %llu count %u offset %llu: %s", r.code, (unsigned long long)r.block_number,
               r.count, (unsigned long long)r.data_offset, fail ? "fail" : "ok");
    if (!fail) {
        uint8_t *data = data_region + r.data_offset;
        uint8_t *at = disk + r.block_number * UNIT;
        if (r.code == BLK_REQ_READ) {
            memcpy(data, at, (size_t)r.count * UNIT);
        } else if (r.code == BLK_REQ_WRITE) {
            memcpy(at, data, (size_t)r.count * UNIT);
        }
    } else {
        s.exact = false; /* a write may now never reach the disk, or a read-modify-write be lost */
    }
    s.id_out[r.id] = false;
    struct blk_response a = {status, r.id, fail ? 0 : r.count, 0};
    FUZZ_CHECK(blk_enqueue_response(&virt, &a), "response queue full after it had room");
    if (blk_queue_take_response_signal(&virt)) {
        s.passes++;
        virtio_blk_notified(&blk);
        after("virtio_blk_notified");
    }
}

/* An answer with an id the device cannot have given out: its ids are a slot of its table and
 * one of three parts (the virtio_blk.h table of VIRTIO_BLK_MAX_INFLIGHT slots), so part 3 or a
 * slot past the table is nobody's. (An id it gave, even one still in the request queue, would be
 * a real answer: the device cannot tell.) */
static void virt_bogus(uint32_t id)
{
    if (id < 4u * VIRTIO_BLK_MAX_INFLIGHT) {
        id |= 3;
    }
    struct blk_response a = {BLK_RESP_OK, id, 1, 0};
    if (blk_enqueue_response(&virt, &a)) {
        s.passes++;
        virtio_blk_notified(&blk);
        after("virtio_blk_notified");
    }
}

static void publish(uint8_t how)
{
    struct blk_storage_info info = {0};
    static const uint32_t sizes[] = {512, 1024, 2048, 4096};
    memcpy(info.serial, SERIAL, sizeof(info.serial));
    info.sector_size = sizes[how % 4];
    info.read_only = (how & 0x10) != 0;
    info.capacity = DISK_UNITS;
    info.queue_depth = (how & 0x20) ? 1u + (how >> 6) : MAX_QUEUE;
    if ((how & 0x0c) == 0x0c) {
        blk_storage_set_absent(&shared_info);
    } else if ((how & 0x0c) == 0x08) {
        info.sector_size = 300; /* information that does not check: never ready */
        blk_storage_publish(&shared_info, &info);
    } else {
        blk_storage_publish(&shared_info, &info);
        s.ready_published = true;
        s.capacity_sectors = DISK_SECTORS;
        s.read_only = info.read_only != 0;
        s.queue_depth = info.queue_depth;
    }
    s.passes++;
    virtio_blk_notified(&blk);
    after("virtio_blk_notified");
}

/* ---- the guest ---- */

/* The status section 5.2.6 gives a request, as the device must compute it from the readable
 * stream (its first 16 bytes are the header, whatever the buffers) and the writable one (its last
 * byte is the status). A disk not published yet is taken as the one that will be: the request may
 * meet it (uncertain requests may also come back IOERR). */
static void expect(struct expectation *e, const uint8_t *stream, uint32_t readable, uint32_t writable)
{
    e->written = 0;
    e->writable = writable;
    e->out = false;
    e->get_id = false;
    if (writable == 0) {
        e->status = NO_STATUS;
        return;
    }
    e->status = VIRTIO_BLK_S_IOERR;
    if (readable < 16) {
        return;
    }
    struct virtio_blk_outhdr h;
    memcpy(&h, stream, sizeof(h));
    uint32_t data_out = readable - 16;
    uint32_t data_in = writable - 1;
    uint64_t capacity = DISK_SECTORS;
    if (h.type == VIRTIO_BLK_T_IN || h.type == VIRTIO_BLK_T_OUT) {
        bool in = h.type == VIRTIO_BLK_T_IN;
        uint64_t length = in ? data_in : data_out;
        uint64_t sectors = length / SECTOR;
        e->out = !in;
        if ((in ? data_out : data_in) != 0 || length % SECTOR != 0 || h.sector > capacity ||
            sectors > capacity - h.sector || (!in && s.read_only)) {
            return;
        }
        e->status = VIRTIO_BLK_S_OK;
        if (sectors == 0) {
            return;
        }
        uint64_t end = h.sector + sectors;
        uint64_t unit = h.sector / 8;
        uint64_t units = (end - 1) / 8 - unit + 1;
        bool first_partial = h.sector % 8 != 0, last_partial = end % 8 != 0;
        unsigned fill = 0;
        if (!in) {
            fill = units == 1 ? (first_partial || last_partial) : first_partial + last_partial;
        }
        if (units > s.units_used - fill) {
            e->status = VIRTIO_BLK_S_IOERR; /* larger than the whole data region */
            return;
        }
        if (in) {
            e->written = (uint32_t)length;
            memcpy(e->data, model + h.sector * SECTOR, length);
        } else if (s.exact) {
            memcpy(model + h.sector * SECTOR, stream + 16, length); /* served in offer order */
        }
        return;
    }
    if (h.type == VIRTIO_BLK_T_FLUSH) {
        e->status = data_out == 0 && data_in == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
        return;
    }
    if (h.type == VIRTIO_BLK_T_GET_ID) {
        if (data_out == 0 && data_in != 0) {
            e->status = VIRTIO_BLK_S_OK;
            e->get_id = true;
            e->written = data_in < BLK_SERIAL_LENGTH ? data_in : BLK_SERIAL_LENGTH;
            memcpy(e->data, SERIAL, e->written);
        }
        return;
    }
    e->status = VIRTIO_BLK_S_UNSUPP;
}

/* Split `length` bytes at `offset` into up to `pieces` segments. */
static unsigned split(struct fuzz_input *in, uint32_t offset, uint32_t length, bool writable, unsigned pieces,
                      struct fg_seg *segs)
{
    unsigned n = 0;
    while (length > 0 && n < pieces) {
        uint32_t take = n + 1 == pieces ? length : fuzz_below(in, length) + 1;
        segs[n++] = (struct fg_seg){offset, take, writable};
        offset += take;
        length -= take;
    }
    return n;
}

/* One request: a header (sometimes short), data (sometimes not whole sectors, or the wrong way),
 * a status byte (apart, at the end of the data, or missing), all in one allocation in that
 * order, so the readable stream is its first bytes. */
static void offer_request(struct fuzz_input *in)
{
    static const uint32_t types[] = {VIRTIO_BLK_T_IN,
                                     VIRTIO_BLK_T_IN,
                                     VIRTIO_BLK_T_OUT,
                                     VIRTIO_BLK_T_OUT,
                                     VIRTIO_BLK_T_FLUSH,
                                     VIRTIO_BLK_T_GET_ID,
                                     7,
                                     0xffffffffu};
    uint8_t shape = fuzz_u8(in);
    uint32_t type = types[shape % 8];
    uint64_t sector = (shape & 0x80) ? fuzz_u64(in) : fuzz_below(in, DISK_SECTORS + 4);
    uint32_t length = fuzz_below(in, 17) * SECTOR;
    if ((shape & 0x40) && fuzz_bool(in)) {
        length += fuzz_below(in, SECTOR);
    }
    bool data_writable = type != VIRTIO_BLK_T_OUT;
    if ((shape & 0x20) && fuzz_bool(in)) {
        data_writable = !data_writable;
    }
    uint32_t header_length = (shape & 0x10) && fuzz_bool(in) ? fuzz_below(in, 16) : 16;
    bool status_apart = fuzz_bool(in);
    bool no_status = (shape & 0x08) && fuzz_bool(in) && !data_writable;
    uint32_t total = header_length + length + 1;
    uint32_t at = fg_alloc(total);
    if (at == 0) {
        return;
    }
    struct virtio_blk_outhdr h = {type, 0, sector};
    static uint8_t bytes[16 + MAX_DATA + SECTOR + 1];
    memset(bytes, 0xee, total);
    memcpy(bytes, &h, header_length);
    for (uint32_t i = 0; i < length; i++) {
        bytes[header_length + i] = (uint8_t)(i * 7 + sector * 13 + s.passes);
    }
    fg_write(at, bytes, total);
    struct fg_seg segs[FG_MAX_SEGS];
    unsigned n = split(in, at, header_length, false, fuzz_below(in, 2) + 1, segs);
    unsigned data_segs = fuzz_below(in, 3) + 1;
    if (!data_writable || status_apart || no_status) {
        n += split(in, at + header_length, length, data_writable, data_segs, segs + n);
        if (!no_status) {
            segs[n++] = (struct fg_seg){at + header_length + length, 1, true};
        }
    } else {
        n += split(in, at + header_length, length + 1, true, data_segs, segs + n); /* the status ends the data */
    }
    uint32_t readable = 0, writable = 0;
    for (unsigned i = 0; i < n; i++) {
        if (segs[i].writable) {
            writable += segs[i].length;
        } else {
            readable += segs[i].length;
        }
    }
    bool indirect = fuzz_bool(in) && (blk.transport.driver_features & VIRTIO_F_INDIRECT_DESC) != 0;
    uint16_t head;
    if (n == 0 || !fg_offer(Q, segs, n, indirect, ((uint64_t)at << 32) | total, &head)) {
        fg_free(at, total);
        return;
    }
    struct expectation *e = &s.expect[head];
    FUZZ_TRACE("offer head %u: type %u sector %llu length %u header %u readable %u writable %u segs %u", head, type,
               (unsigned long long)sector, length, header_length, readable, writable, n);
    e->uncertain = !s.ready_published;
    if (e->uncertain) {
        s.exact = false; /* whether it meets the disk is not known: writes may or may not land */
    }
    expect(e, bytes, readable, writable);
}

static void collect(void)
{
    struct fg_used used[FG_MAX_NUM];
    unsigned n = fg_collect(Q, used, FG_MAX_NUM);
    for (unsigned i = 0; i < n; i++) {
        const struct expectation *e = &s.expect[used[i].head];
        uint32_t at = (uint32_t)(used[i].tag >> 32);
        uint32_t total = (uint32_t)used[i].tag;
        if (e->status == NO_STATUS) {
            FUZZ_CHECK(used[i].length == 0, "a chain with no status byte came back with length %u", used[i].length);
        } else {
            const struct fg_seg *last = &used[i].segs[used[i].count - 1];
            uint8_t status = fg_ram[last->offset + last->length - 1];
            FUZZ_TRACE("used head %u length %u, %u segs, last at %#x+%u, status %u", used[i].head, used[i].length,
                       used[i].count, last->offset, last->length, status);
            bool allowed = status == e->status || (e->uncertain && status == VIRTIO_BLK_S_IOERR) ||
                           (!s.exact && e->status == VIRTIO_BLK_S_OK && status == VIRTIO_BLK_S_IOERR);
            FUZZ_CHECK(allowed, "request %u came back with status %u, not %u", used[i].head, status, e->status);
            uint32_t written = status == VIRTIO_BLK_S_OK ? e->written : 0;
            uint32_t length = written + 1 == e->writable ? e->writable : written;
            FUZZ_CHECK(used[i].length == length, "request %u came back with length %u, not %u", used[i].head,
                       used[i].length, length);
            if (status == VIRTIO_BLK_S_OK && written != 0) {
                /* The writable stream, from its first writable buffer. */
                uint8_t got[MAX_DATA];
                uint32_t have = 0;
                for (unsigned k = 0; k < used[i].count && have < written; k++) {
                    const struct fg_seg *g = &used[i].segs[k];
                    if (g->writable) {
                        uint32_t take = g->length < written - have ? g->length : written - have;
                        memcpy(got + have, fg_ram + g->offset, take);
                        have += take;
                    }
                }
                /* The serial is known whatever happened to the disk. */
                FUZZ_CHECK((!s.exact && !e->get_id) || memcmp(got, e->data, written) == 0,
                           "request %u read bytes the disk served in order would not hold", used[i].head);
            }
        }
        fg_free(at, total);
    }
}

static void after(const char *what)
{
    fg_check_writes(what);
    collect();
}

static void notify(void)
{
    s.passes++;
    fg_notify(Q);
    after("QueueNotify");
}

static bool start(struct fuzz_input *in)
{
    collect();
    if (fg.queues[Q].in_flight != 0) {
        s.exact = false; /* orphaned writes may still reach the disk */
    }
    uint64_t features = VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_SEG_MAX |
                        VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_TOPOLOGY;
    if (fuzz_bool(in)) {
        features |= VIRTIO_F_INDIRECT_DESC;
    }
    s.passes++;
    bool ok = fg_start(features, 1, 1u << (fuzz_below(in, 6) + 1));
    after("start");
    return ok;
}

static void settle(void)
{
    notify();
    for (unsigned round = 0; round < 10000; round++) {
        unsigned before = s.held_count;
        bool moved = false;
        virt_take(MAX_HELD);
        while (s.held_count > 0) {
            unsigned count = s.held_count;
            virt_answer(0, false);
            if (s.held_count == count) {
                break; /* the response queue is full: the device drains it on the next pass */
            }
            moved = true;
        }
        if (s.held_count != 0) {
            s.passes++;
            virtio_blk_notified(&blk);
            after("virtio_blk_notified");
        }
        if (!moved && before == s.held_count && blk_request_space(&virt) == virt.requests.capacity) {
            break;
        }
    }
    if (!s.started || fg.dishonest) {
        return;
    }
    FUZZ_CHECK(!blk.vq.broken, "an honest guest's queue broke");
    FUZZ_CHECK(fg.queues[Q].in_flight == 0, "%u requests never came back", fg.queues[Q].in_flight);
    FUZZ_CHECK(s.held_count == 0, "%u requests still out", s.held_count);
    if (s.exact && fuzz_tracing()) {
        for (unsigned i = 0; i < sizeof(disk); i++) {
            if (disk[i] != model[i]) {
                FUZZ_TRACE("disk byte %u: %#x, model %#x", i, disk[i], model[i]);
                break;
            }
        }
    }
    FUZZ_CHECK(!s.exact || memcmp(disk, model, sizeof(disk)) == 0, "the disk does not hold what the writes wrote");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = fuzz_input(data, size);
    memset(&s, 0, sizeof(s));
    s.in = &in;
    s.exact = true;
    memset(&shared_info, 0, sizeof(shared_info));
    memset(request_region, 0, sizeof(request_region));
    memset(response_region, 0, sizeof(response_region));
    memset(data_region, 0, sizeof(data_region));
    static uint8_t initial[sizeof(disk)];
    if (initial[1] == 0) {
        for (unsigned i = 0; i < sizeof(initial); i++) {
            initial[i] = (uint8_t)(i * 31 + (i >> 9)); /* every sector tells where it is */
        }
    }
    memcpy(disk, initial, sizeof(disk));
    memcpy(model, initial, sizeof(model));
    uint32_t capacity = 1u << (fuzz_below(&in, 5) + 2);
    s.data_units = fuzz_below(&in, 13) + 4;
    s.units_used = s.data_units;
    uint64_t request_size = BLK_QUEUE_ENTRIES_OFFSET + capacity * sizeof(struct blk_request);
    uint64_t response_size = BLK_QUEUE_ENTRIES_OFFSET + capacity * sizeof(struct blk_response);
    cfg = (struct blk_client_config){
        .magic = BLK_CLIENT_CONFIG_MAGIC,
        .version = BLK_CONFIG_VERSION,
        .virt = {(uintptr_t)&shared_info, (uintptr_t)request_region, request_size, (uintptr_t)response_region,
                 response_size, CH},
        .data = (uintptr_t)data_region,
        .data_size = (uint64_t)s.data_units * UNIT,
    };
    FUZZ_CHECK(blk_queue_init(&virt, request_region, request_size, response_region, response_size), "queues");
    fg_init(&blk.transport);
    FUZZ_CHECK(virtio_blk_init(&blk, &fg_guest_ram, &cfg), "init");
    uint8_t when = fuzz_u8(&in);
    if (when < 0xc0) {
        publish(fuzz_u8(&in)); /* mostly, the disk is there from the start */
    }
    s.started = start(&in);
    for (unsigned step = 0; step < 300 && fuzz_more(&in); step++) {
        uint8_t op = fuzz_u8(&in);
        FUZZ_TRACE("step %u: op %u, held %u, in flight %u, exact %d", step, op % 10, s.held_count,
                   fg.queues[Q].in_flight, s.exact);
        switch (op % 10) {
        case 0:
        case 1:
        case 2:
            offer_request(&in);
            if (fuzz_bool(&in)) {
                notify();
            }
            break;
        case 3:
            notify();
            break;
        case 4:
            virt_take(fuzz_below(&in, 8) + 1);
            break;
        case 5:
        case 6:
            if (s.held_count > 0) {
                bool fail = fuzz_u8(&in) < 16;
                virt_answer(fuzz_below(&in, s.held_count), fail);
            }
            break;
        case 7:
            virt_bogus(fuzz_bool(&in) ? fuzz_below(&in, 1u << 12) : fuzz_u32(&in));
            break;
        case 8:
            if (!s.ready_published) {
                publish(fuzz_u8(&in));
            }
            break;
        case 9:
            if (op & 0x10) {
                s.started = start(&in);
            } else {
                s.passes++;
                virtio_blk_notified(&blk); /* a signal nobody asked for */
                after("virtio_blk_notified");
            }
            break;
        }
    }
    settle();
    return 0;
}
