/*
 * Fuzz harness of the block virtualiser's core (drivers/blk/virt.c) between a disk driver and up
 * to four clients, all played by the harness on the block queues. The input chooses the disk's
 * partition table (built from fuzzed entries, or raw bytes), when and how the driver publishes
 * the disk, and then a program: clients send requests (good ones and every kind of bad one:
 * codes, counts, blocks past their partition, data offsets outside their region), read answers
 * at their pace (or never); the driver takes requests and answers them in any order, with
 * errors, and with answers nobody asked for.
 *
 * Invariants:
 * - each client gets its partition (the one the MBR parser accepts for it) or ABSENT, and a
 *   request reaches the driver only inside its own partition and its own data region (every
 *   request the driver sees passes the driver's check, and names the client whose region it is);
 * - every client request is answered exactly once, with its own id, a status the protocol has
 *   and no more units done than asked; a request the client's partition cannot serve is refused
 *   without reaching the driver;
 * - a read answered OK put the right disk units in the client's region (every unit carries its
 *   own number, so a wrong translation shows);
 * - answers the driver invents are ignored; nothing is lost when queues are full;
 * - the line the PD prints for a client fits the buffer it gives, whatever its size;
 * - once everyone stops, following the signals alone answers everything;
 * - every call is bounded (the loads of shared memory it makes are counted).
 */
#include <string.h>
#include "../../drivers/blk/virt.h"
#include "fuzz.h"
#include "fuzz_race.h"
#undef __atomic_load_n

#define UNIT        BLK_TRANSFER_SIZE
#define DISK_UNITS  64u
#define CLIENT_DATA (8u * UNIT)
#define MAX_CLIENTS BLK_VIRT_MAX_CLIENTS
#define DRIVER_DATA (UNIT + MAX_CLIENTS * CLIENT_DATA)
#define QUEUE_BYTES 1024u
#define MAX_HELD    BLK_VIRT_MAX_INFLIGHT
#define MAX_SENT    1024u

struct side {
    uint8_t requests[QUEUE_BYTES] __attribute__((aligned(64)));
    uint8_t responses[QUEUE_BYTES] __attribute__((aligned(64)));
};

static uint8_t disk[DISK_UNITS * UNIT];
static uint8_t driver_data[DRIVER_DATA];
static struct side driver_side, client_side[MAX_CLIENTS];
static struct blk_storage_info driver_info, client_info[MAX_CLIENTS];
static struct blk_queue_handle driver_end, client_end[MAX_CLIENTS];
static struct blk_virt virt;

struct sent {
    bool out; /* not answered yet */
    uint32_t code;
    uint64_t block;
    uint32_t count;
    uint64_t offset;
};

static struct {
    struct fuzz_input *in;
    unsigned clients;
    struct mbr_table table;
    bool disk_published; /* ready with usable information */
    uint32_t sector_size;
    struct blk_request held[MAX_HELD];
    unsigned held_count;
    bool id_out[BLK_VIRT_MAX_INFLIGHT];
    struct sent sent[MAX_CLIENTS][MAX_SENT];
    uint32_t next_id[MAX_CLIENTS];
    unsigned answers; /* read by clients, for the final rounds to see progress */
} s;

static void put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void stamp_units(void)
{
    for (uint32_t u = 1; u < DISK_UNITS; u++) {
        memset(disk + (size_t)u * UNIT, (int)(u * 37), UNIT);
        put_le32(disk + (size_t)u * UNIT, u); /* each unit says which it is */
    }
}

/* A client's partition per the MBR parser: the one the virtualiser must give it. */
static bool partition(unsigned c, uint64_t *start, uint64_t *blocks)
{
    if (!s.disk_published || c >= MBR_PARTITIONS || s.table.partitions[c].status != MBR_OK) {
        return false;
    }
    uint32_t per_unit = UNIT / s.sector_size;
    *start = s.table.partitions[c].start / per_unit;
    *blocks = s.table.partitions[c].sectors / per_unit;
    return true;
}

/* The line the PD prints for each client: a NUL-terminated sentence inside the buffer given,
 * whatever its size, and nothing written past it. */
static void describe_clients(unsigned size)
{
    char text[BLK_VIRT_REASON_MAX + 64];
    for (unsigned c = 0; c <= s.clients; c++) {
        memset(text, 0x5a, sizeof(text));
        blk_virt_describe_client(&virt, c, text, size);
        for (unsigned i = size; i < sizeof(text); i++) {
            FUZZ_CHECK(text[i] == 0x5a, "the description of client %u wrote byte %u of a buffer of %u", c + 1, i, size);
        }
        FUZZ_CHECK(size == 0 || memchr(text, 0, size) != NULL, "the description of client %u is not terminated in %u",
                   c + 1, size);
    }
}

static void process(const char *why)
{
    struct blk_virt_actions a;
    /* A pass moves at most the ids it has per round, each a few loads of every queue. */
    fuzz_race_arm(NULL, NULL, 400000, why);
    blk_virt_process(&virt, &a);
    fuzz_race_disarm();
    FUZZ_CHECK((a.notify_clients >> s.clients) == 0, "notified client mask %#x with %u clients", a.notify_clients,
               s.clients);
    if (a.report) {
        describe_clients(BLK_VIRT_REASON_MAX + 32); /* what the PD does when told to report */
        describe_clients(fuzz_below(s.in, BLK_VIRT_REASON_MAX + 64));
    }
}

/* ---- the driver ---- */

static void driver_take(unsigned max)
{
    struct blk_request r;
    while (max-- > 0 && s.held_count < MAX_HELD && blk_dequeue_request(&driver_end, &r)) {
        FUZZ_CHECK(blk_request_check(&r, DISK_UNITS, DRIVER_DATA) == BLK_RESP_OK,
                   "the driver got a request it must refuse (code %u block %llu count %u offset %llu)", r.code,
                   (unsigned long long)r.block_number, r.count, (unsigned long long)r.data_offset);
        FUZZ_CHECK(r.id < BLK_VIRT_MAX_INFLIGHT && !s.id_out[r.id], "driver request id %u reused while out", r.id);
        s.id_out[r.id] = true;
        if ((r.code == BLK_REQ_READ || r.code == BLK_REQ_WRITE) && r.data_offset >= UNIT) {
            unsigned c = (unsigned)((r.data_offset - UNIT) / CLIENT_DATA);
            uint64_t start, blocks;
            FUZZ_CHECK(c < s.clients && r.data_offset + (uint64_t)r.count * UNIT <= UNIT + (c + 1) * CLIENT_DATA,
                       "a request spans past client %u's data region", c);
            FUZZ_CHECK(partition(c, &start, &blocks) && r.block_number >= start &&
                           r.block_number + r.count <= start + blocks,
                       "client %u's request reached disk unit %llu, outside its partition", c,
                       (unsigned long long)r.block_number);
        } else if (r.code == BLK_REQ_READ) {
            /* The virtualiser's own read of the partition table, into its scratch unit. */
            FUZZ_CHECK(r.block_number == 0 && r.count == 1 && r.data_offset == 0, "a read into the scratch unit");
        }
        s.held[s.held_count++] = r;
    }
}

static void driver_answer(unsigned k, uint32_t status)
{
    if (blk_response_space(&driver_end) == 0) {
        return;
    }
    struct blk_request r = s.held[k];
    s.held[k] = s.held[--s.held_count];
    if (status == BLK_RESP_OK) {
        uint8_t *data = driver_data + r.data_offset;
        uint8_t *at = disk + r.block_number * UNIT;
        if (r.code == BLK_REQ_READ) {
            memcpy(data, at, (size_t)r.count * UNIT);
        } else if (r.code == BLK_REQ_WRITE) {
            memcpy(at, data, (size_t)r.count * UNIT);
        }
    }
    s.id_out[r.id] = false;
    struct blk_response a = {status, r.id, status == BLK_RESP_OK ? r.count : fuzz_u8(s.in), 0};
    FUZZ_CHECK(blk_enqueue_response(&driver_end, &a), "the driver's response queue had room");
}

static void driver_bogus(uint32_t id)
{
    /* An id it does not hold; one still in the request queue would be a real answer. */
    id |= BLK_VIRT_MAX_INFLIGHT;
    struct blk_response a = {fuzz_u8(s.in) % 6, id, fuzz_u32(s.in), 0};
    blk_enqueue_response(&driver_end, &a);
}

/* ---- the clients ---- */

static void client_send(unsigned c, struct fuzz_input *in)
{
    uint64_t start = 0, blocks = 0;
    bool has = partition(c, &start, &blocks);
    uint8_t shape = fuzz_u8(in);
    static const uint32_t codes[] = {
        BLK_REQ_READ, BLK_REQ_READ, BLK_REQ_WRITE, BLK_REQ_WRITE, BLK_REQ_FLUSH, BLK_REQ_BARRIER, 4, 0x80000000u};
    struct blk_request r = {.code = codes[shape % 8], .id = s.next_id[c]};
    /* A client reads or writes once its disk is known (its storage info), as a VMM does; a
     * request before that could not say which unit it means. */
    bool data = r.code == BLK_REQ_READ || r.code == BLK_REQ_WRITE;
    if (s.next_id[c] >= MAX_SENT || (data && virt.state != BLK_VIRT_RUNNING && virt.state != BLK_VIRT_NO_DISK)) {
        return;
    }
    if (r.code == BLK_REQ_READ || r.code == BLK_REQ_WRITE) {
        r.count = fuzz_below(in, 4) + ((shape & 0x08) ? 0 : 1);
        r.block_number = (shape & 0x10) ? fuzz_u64(in) : fuzz_below(in, (uint32_t)blocks + 4);
        r.data_offset = (shape & 0x20) ? fuzz_u64(in) : (uint64_t)fuzz_below(in, CLIENT_DATA / UNIT + 1) * UNIT;
    } else if (shape & 0x40) {
        r.count = fuzz_u8(in);
    }
    if (data) {
        /* A client never lets two requests use one unit of its region at once: whichever
         * landed last would hold it, and no check could say what it should. */
        for (uint32_t id = 0; id < s.next_id[c]; id++) {
            const struct sent *o = &s.sent[c][id];
            bool o_data = o->code == BLK_REQ_READ || o->code == BLK_REQ_WRITE;
            if (o->out && o_data && o->offset < r.data_offset + (uint64_t)r.count * UNIT &&
                r.data_offset < o->offset + (uint64_t)o->count * UNIT) {
                return;
            }
        }
    }
    bool refusable = !has || blk_request_check(&r, blocks, CLIENT_DATA) != BLK_RESP_OK;
    if (!refusable && r.code == BLK_REQ_WRITE) {
        /* The data: each unit carries the disk unit it is for. */
        for (uint32_t k = 0; k < r.count; k++) {
            uint8_t *unit = driver_data + UNIT + c * CLIENT_DATA + r.data_offset + (uint64_t)k * UNIT;
            memset(unit, (int)(shape + k), UNIT);
            put_le32(unit, (uint32_t)(start + r.block_number + k));
        }
    }
    if (!blk_enqueue_request(&client_end[c], &r)) {
        return;
    }
    s.sent[c][r.id] = (struct sent){true, r.code, r.block_number, r.count, r.data_offset};
    s.next_id[c]++;
}

static void client_read(unsigned c, unsigned max)
{
    struct blk_response a;
    while (max-- > 0 && blk_dequeue_response(&client_end[c], &a)) {
        FUZZ_CHECK(a.id < s.next_id[c] && s.sent[c][a.id].out, "client %u got an answer for id %u, not out", c + 1,
                   a.id);
        struct sent *r = &s.sent[c][a.id];
        r->out = false;
        s.answers++;
        FUZZ_CHECK(a.status <= BLK_RESP_ERR_NO_DEVICE, "client %u got status %u", c + 1, a.status);
        FUZZ_CHECK(a.success_count <= r->count, "client %u: %u units done of %u", c + 1, a.success_count, r->count);
        /* Requests are taken only once the partitions are known: judged against them now. */
        uint64_t start = 0, blocks = 0;
        bool has = partition(c, &start, &blocks);
        struct blk_request q = {r->code, a.id, r->offset, r->block, r->count, 0};
        bool refusable = !has || blk_request_check(&q, blocks, CLIENT_DATA) != BLK_RESP_OK;
        FUZZ_CHECK(a.status != BLK_RESP_OK || !refusable,
                   "client %u: request %u (code %u, block %llu, count %u) answered OK outside its partition", c + 1,
                   a.id, r->code, (unsigned long long)r->block, r->count);
        if (a.status == BLK_RESP_OK && r->code == BLK_REQ_READ) {
            for (uint32_t k = 0; k < r->count; k++) {
                const uint8_t *unit = driver_data + UNIT + c * CLIENT_DATA + r->offset + (uint64_t)k * UNIT;
                uint32_t which =
                    (uint32_t)unit[0] | (uint32_t)unit[1] << 8 | (uint32_t)unit[2] << 16 | (uint32_t)unit[3] << 24;
                FUZZ_CHECK(which == start + r->block + k, "client %u read block %llu and got disk unit %u, not %llu",
                           c + 1, (unsigned long long)(r->block + k), which,
                           (unsigned long long)(start + r->block + k));
            }
        }
    }
}

/* ---- set-up ---- */

static void make_disk(struct fuzz_input *in)
{
    memset(disk, 0, UNIT);
    stamp_units();
    uint8_t *mbr = disk;
    if (fuzz_u8(in) < 0x20) {
        fuzz_bytes(in, mbr, 512); /* anything at all */
        return;
    }
    for (unsigned i = 0; i < MBR_PARTITIONS; i++) {
        uint8_t *e = mbr + 446 + 16 * i;
        uint8_t kind = fuzz_u8(in);
        e[4] = kind < 0xe0 ? 0x0c : kind; /* FAT32 mostly, any type sometimes */
        uint32_t start = (kind & 0x10) ? fuzz_u32(in) : (fuzz_below(in, DISK_UNITS) * 8);
        uint32_t sectors = (kind & 0x20) ? fuzz_u32(in) : (fuzz_below(in, 24) * 8 + ((kind & 0x40) ? 3 : 0));
        if ((kind & 0x0f) == 0) {
            e[4] = 0;
        }
        put_le32(e + 8, start);
        put_le32(e + 12, sectors);
    }
    mbr[510] = 0x55;
    mbr[511] = fuzz_u8(in) < 0xf8 ? 0xaa : 0;
}

static void publish(uint8_t how)
{
    static const uint32_t sizes[] = {512, 1024, 2048, 4096};
    struct blk_storage_info info = {.serial = "fuzz-disk", .capacity = DISK_UNITS, .queue_depth = 64};
    info.sector_size = sizes[how % 4];
    info.queue_depth = (how & 0x40) ? 1u + (how & 0x7) : 64;
    if ((how & 0x30) == 0x30) {
        blk_storage_set_absent(&driver_info);
        return;
    }
    if ((how & 0x30) == 0x20) {
        info.sector_size = 700; /* refused */
    }
    blk_storage_publish(&driver_info, &info);
    if (info.sector_size != 700) {
        s.disk_published = true;
        s.sector_size = info.sector_size;
        mbr_parse(disk, DISK_UNITS * (UNIT / info.sector_size), info.sector_size, UNIT, &s.table);
    }
}

static void check_partitions(void)
{
    if (virt.state != BLK_VIRT_RUNNING) {
        return;
    }
    for (unsigned c = 0; c < s.clients; c++) {
        uint64_t start, blocks;
        bool has = partition(c, &start, &blocks);
        struct blk_storage_info info;
        FUZZ_CHECK(has == (blk_storage_state(&client_info[c]) == BLK_STORAGE_READY),
                   "client %u: partition %s by the parser, storage %u", c + 1, has ? "accepted" : "refused",
                   blk_storage_state(&client_info[c]));
        if (has) {
            FUZZ_CHECK(blk_storage_read(&client_info[c], &info) == NULL && info.capacity == blocks,
                       "client %u told %llu blocks, its partition has %llu", c + 1, (unsigned long long)info.capacity,
                       (unsigned long long)blocks);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = fuzz_input(data, size);
    memset(&s, 0, sizeof(s));
    s.in = &in;
    memset(&driver_side, 0, sizeof(driver_side));
    memset(client_side, 0, sizeof(client_side));
    memset(&driver_info, 0, sizeof(driver_info));
    memset(client_info, 0, sizeof(client_info));
    memset(driver_data, 0, sizeof(driver_data));
    make_disk(&in);
    s.clients = fuzz_below(&in, MAX_CLIENTS) + 1;
    uint32_t region = 64u + 32u * (1u << fuzz_below(&in, 5)); /* 1 to 16 entries of each kind */
    struct blk_queue_handle virt_end;
    FUZZ_CHECK(blk_queue_init(&virt_end, driver_side.requests, region, driver_side.responses, region) &&
                   blk_queue_init(&driver_end, driver_side.requests, region, driver_side.responses, region),
               "driver queues");
    blk_virt_init(&virt, virt_end, &driver_info, DRIVER_DATA, 0, driver_data);
    for (unsigned c = 0; c < s.clients; c++) {
        struct blk_queue_handle served;
        FUZZ_CHECK(
            blk_queue_init(&served, client_side[c].requests, region, client_side[c].responses, region) &&
                blk_queue_init(&client_end[c], client_side[c].requests, region, client_side[c].responses, region),
            "client queues");
        FUZZ_CHECK(blk_virt_add_client(&virt, served, &client_info[c], CLIENT_DATA, UNIT + c * CLIENT_DATA),
                   "client %u", c + 1);
    }
    if (fuzz_u8(&in) < 0xc0) {
        publish(fuzz_u8(&in));
    }
    process("blk_virt_process");
    for (unsigned step = 0; step < 500 && fuzz_more(&in); step++) {
        uint8_t op = fuzz_u8(&in);
        unsigned c = (op >> 4) % s.clients;
        switch (op % 8) {
        case 0:
        case 1:
            client_send(c, &in);
            break;
        case 2:
            client_read(c, fuzz_below(&in, 8) + 1);
            break;
        case 3:
            driver_take(fuzz_below(&in, 8) + 1);
            break;
        case 4:
            if (s.held_count > 0) {
                uint8_t fail = fuzz_u8(&in);
                driver_answer(fuzz_below(&in, s.held_count), fail < 0xe8 ? BLK_RESP_OK : fail % 8);
            }
            break;
        case 5:
            driver_bogus(fuzz_u32(&in));
            break;
        case 6:
            if (!s.disk_published && virt.state == BLK_VIRT_WAIT_DISK) {
                publish(fuzz_u8(&in));
            }
            break;
        case 7:
            break;
        }
        process("blk_virt_process");
        check_partitions();
    }
    /* Everyone follows the protocol to the end: every request gets its answer. */
    for (unsigned round = 0, idle = 0; round < 4 * MAX_SENT && idle < 3; round++) {
        unsigned before = s.answers;
        driver_take(MAX_HELD);
        bool answered = false;
        while (s.held_count > 0 && blk_response_space(&driver_end) > 0) {
            driver_answer(0, BLK_RESP_OK);
            answered = true;
        }
        process("blk_virt_process");
        for (unsigned k = 0; k < s.clients; k++) {
            client_read(k, MAX_SENT);
        }
        process("blk_virt_process");
        idle = answered || s.answers != before ? 0 : idle + 1;
    }
    if (virt.state == BLK_VIRT_RUNNING || virt.state == BLK_VIRT_NO_DISK) {
        for (unsigned k = 0; k < s.clients; k++) {
            for (uint32_t id = 0; id < s.next_id[k]; id++) {
                FUZZ_CHECK(!s.sent[k][id].out, "client %u's request %u was never answered", k + 1, id);
            }
        }
    }
    return 0;
}
