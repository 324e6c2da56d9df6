/* The virtio block device against the fake guest driver (tests/unit/fake_virtio_driver.h) and a
 * fake block virtualiser: the test plays the virtualiser on the host block queues
 * (drivers/blk/queue.h) over a model disk, answering at once, slowly, out of order or with
 * errors. Every request the device sends must pass the virtualiser's own check
 * (blk_request_check). What the split virtqueue does with malformed rings is tested in
 * test_virtqueue.c; here, what the block device makes of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <blk/blk_config.h>
#include <blk/queue.h>
#include <blk/storage_info.h>
#include <vmm/guest_ram.h>
#include <vmm/notify.h>
#include <vmm/virtio_blk.h>
#include <vmm/virtio_mmio.h>
#include <vmm/virtqueue.h>
#include "fake_virtio_driver.h"

#define Q          0
#define NUM        FAKE_MAX_NUM /* the queue size the driver picks: 64 requests at once */
#define CH         5            /* the VMM's channel to the virtualiser */
#define UNIT       4096u
#define DISK_UNITS 64u
#define SECTORS    (DISK_UNITS * 8) /* the capacity, in 512-byte sectors */
#define MAX_QUEUE  1024u

/* Guest RAM: per request slot s a header, a status byte and a table of up to 4 descriptors;
 * data buffers after them. */
#define HDR(s)    (FAKE_BUFFERS + 16 * (s))
#define STATUS(s) (FAKE_BUFFERS + 0x400 + (s))
#define TABLE(s)  (FAKE_BUFFERS + 0x800 + 64 * (s))
#define DATA      (FAKE_BUFFERS + 0x2000)
#define DATA_END  (FAKE_RAM_BASE + FAKE_RAM_SIZE)
#define UNTOUCHED 0xee /* what a status byte holds until the device writes it */

static const char SERIAL[BLK_SERIAL_LENGTH] = "TESSERA-VBLK-0001";

static struct virtio_blk blk;
static struct fake_driver drv;
static struct blk_client_config cfg;
static struct blk_storage_info shared_info;
static uint8_t request_region[BLK_QUEUE_ENTRIES_OFFSET + MAX_QUEUE * sizeof(struct blk_request)];
static uint8_t response_region[BLK_QUEUE_ENTRIES_OFFSET + MAX_QUEUE * sizeof(struct blk_response)];
static uint8_t data_region[256 * UNIT];
static struct blk_queue_handle virt; /* the test's end: it serves requests */

/* The model: what the fake virtualiser's disk holds, and what it should hold. */
static uint8_t disk[DISK_UNITS * UNIT];
static uint8_t model[DISK_UNITS * UNIT];

/* The fake virtualiser */
static bool holding; /* keep requests instead of answering them */
static struct blk_request held[MAX_QUEUE];
static unsigned held_count;
static struct blk_request seen[8192]; /* every request, in arrival order */
static unsigned seen_count;
static unsigned flushes_done;

static unsigned notify_calls;
static unsigned irq_calls;
/* answers per head, from the used ring */
static unsigned answers[NUM];
static uint32_t answer_len[NUM];

static uint32_t random_state;

static uint32_t next_random(void)
{
    random_state ^= random_state << 13;
    random_state ^= random_state >> 17;
    random_state ^= random_state << 5;
    return random_state;
}

static void fill_random(uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bytes[i] = (uint8_t)next_random();
    }
}

void vmm_notify(unsigned channel)
{
    assert_int_equal(channel, CH);
    notify_calls++;
}

static void on_irq(void *context)
{
    (void)context;
    assert_true(virtio_mmio_irq_level(&blk.transport));
    irq_calls++;
}

/* ---- the device and its virtualiser ---- */

static void device_with(uint32_t data_units, uint32_t queue_capacity)
{
    memset(&shared_info, 0, sizeof(shared_info));
    memset(request_region, 0, sizeof(request_region));
    memset(response_region, 0, sizeof(response_region));
    memset(data_region, 0, sizeof(data_region));
    uint64_t request_size = BLK_QUEUE_ENTRIES_OFFSET + queue_capacity * sizeof(struct blk_request);
    uint64_t response_size = BLK_QUEUE_ENTRIES_OFFSET + queue_capacity * sizeof(struct blk_response);
    cfg = (struct blk_client_config){
        .magic = BLK_CLIENT_CONFIG_MAGIC,
        .version = BLK_CONFIG_VERSION,
        .virt = {(uintptr_t)&shared_info, (uintptr_t)request_region, request_size, (uintptr_t)response_region,
                 response_size, CH},
        .data = (uintptr_t)data_region,
        .data_size = (uint64_t)data_units * UNIT,
    };
    assert_true(blk_queue_init(&virt, request_region, request_size, response_region, response_size));
    assert_true(virtio_blk_init(&blk, &fake_ram, &cfg));
    virtio_mmio_set_interrupt(&blk.transport, on_irq, NULL);
    fake_driver_init(&drv, &blk.transport);
}

static int setup(void **state)
{
    (void)state;
    random_state = 0x12345678;
    fill_random(disk, sizeof(disk));
    memcpy(model, disk, sizeof(disk));
    holding = false;
    held_count = seen_count = flushes_done = 0;
    notify_calls = irq_calls = 0;
    memset(answers, 0, sizeof(answers));
    device_with(64, 128);
    return 0;
}

/* Section 3.1.1 the way Linux does it, with these features accepted. */
static void driver_start_with(uint64_t features)
{
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1 | features));
    assert_true(fake_queue_setup(&drv, Q, NUM));
    fake_driver_ok(&drv);
}

static const uint64_t LINUX_FEATURES = VIRTIO_BLK_F_FLUSH | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_SEG_MAX |
                                       VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_TOPOLOGY | VIRTIO_F_INDIRECT_DESC;

static void publish_disk(uint32_t sector_size, bool read_only)
{
    struct blk_storage_info info = {0};
    memcpy(info.serial, SERIAL, sizeof(info.serial));
    info.sector_size = sector_size;
    info.read_only = read_only;
    info.capacity = DISK_UNITS;
    info.queue_depth = MAX_QUEUE;
    blk_storage_publish(&shared_info, &info);
    virtio_blk_notified(&blk);
}

static void start(void)
{
    driver_start_with(LINUX_FEATURES);
    publish_disk(512, false);
}

static int setup_started(void **state)
{
    setup(state);
    start();
    return 0;
}

/* The virtualiser's side of one request. */
static void serve(const struct blk_request *r, uint32_t status)
{
    assert_int_equal(blk_request_check(r, DISK_UNITS, cfg.data_size), BLK_RESP_OK);
    if (status == BLK_RESP_OK) {
        uint8_t *data = data_region + r->data_offset;
        uint8_t *at = disk + r->block_number * UNIT;
        if (r->code == BLK_REQ_READ) {
            memcpy(data, at, (size_t)r->count * UNIT);
        } else if (r->code == BLK_REQ_WRITE) {
            memcpy(at, data, (size_t)r->count * UNIT);
        } else {
            flushes_done++;
        }
    }
    struct blk_response a = {status, r->id, status == BLK_RESP_OK ? r->count : 0, 0};
    assert_true(blk_enqueue_response(&virt, &a));
}

/* Take at most `limit` requests: answer them, or keep them when holding. */
static unsigned virt_take(unsigned limit)
{
    struct blk_request r;
    unsigned n = 0;
    while (n < limit && blk_dequeue_request(&virt, &r)) {
        assert_true(seen_count < sizeof(seen) / sizeof(seen[0]));
        seen[seen_count++] = r;
        if (holding) {
            assert_true(held_count < MAX_QUEUE);
            held[held_count++] = r;
        } else {
            serve(&r, BLK_RESP_OK);
        }
        n++;
    }
    blk_queue_want_requests(&virt); /* as the virtualiser does when it finds none */
    return n;
}

/* Answer held request k, and forget it. */
static void answer_held(unsigned k, uint32_t status)
{
    assert_true(k < held_count);
    struct blk_request r = held[k];
    memmove(&held[k], &held[k + 1], (held_count - k - 1) * sizeof(held[0]));
    held_count--;
    serve(&r, status);
}

/* The held request with this code and first block. */
static unsigned find_held(uint32_t code, uint64_t block)
{
    for (unsigned k = 0; k < held_count; k++) {
        if (held[k].code == code && held[k].block_number == block) {
            return k;
        }
    }
    fail_msg("no held request %u for block %llu", code, (unsigned long long)block);
    return 0;
}

static bool is_held(uint32_t code, uint64_t block)
{
    for (unsigned k = 0; k < held_count; k++) {
        if (held[k].code == code && held[k].block_number == block) {
            return true;
        }
    }
    return false;
}

/* The two sides talk, `limit` requests per turn of the virtualiser, until neither has more. */
static void run_slowly(unsigned limit)
{
    for (unsigned turn = 0; turn < 100000; turn++) {
        unsigned n = virt_take(limit);
        virtio_blk_notified(&blk);
        if (n == 0) {
            return;
        }
    }
    fail_msg("the device and the virtualiser never went quiet");
}

static void run(void)
{
    run_slowly(MAX_QUEUE);
}

/* ---- the guest's side ---- */

struct buf {
    uint64_t address;
    uint32_t length;
    bool writable;
};

static void *gpa(uint64_t address)
{
    return fake_gpa(address);
}

static uint16_t flags_of(const struct buf *b, bool more)
{
    return (uint16_t)((b->writable ? VIRTQ_DESC_F_WRITE : 0) | (more ? VIRTQ_DESC_F_NEXT : 0));
}

/* Descriptors first, first + 1, ... chained in order; offered, not kicked. */
static void post_direct(unsigned first, const struct buf *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        fake_set_desc(&drv, Q, first + i, b[i].address, b[i].length, flags_of(&b[i], i + 1 < n), first + i + 1);
    }
    fake_offer(&drv, Q, (uint16_t)first);
}

/* Descriptor `head` naming a table of the n buffers at `table`, as Linux posts every request. */
static void post_table(unsigned head, uint64_t table, const struct buf *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        fake_table_desc(table, i, b[i].address, b[i].length, flags_of(&b[i], i + 1 < n), (uint16_t)(i + 1));
    }
    fake_set_desc(&drv, Q, head, table, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
    fake_offer(&drv, Q, (uint16_t)head);
}

static void header(unsigned s, uint32_t type, uint64_t sector)
{
    struct virtio_blk_outhdr h = {type, 0, sector};
    memcpy(gpa(HDR(s)), &h, sizeof(h));
    *(uint8_t *)gpa(STATUS(s)) = UNTOUCHED;
}

/* Request slot s (its head is s): header, data (writable for IN and GET_ID), status. */
static void request(unsigned s, uint32_t type, uint64_t sector, uint64_t data, uint32_t length)
{
    struct buf b[3];
    unsigned n = 0;
    header(s, type, sector);
    b[n++] = (struct buf){HDR(s), 16, false};
    if (length != 0) {
        b[n++] = (struct buf){data, length, type != VIRTIO_BLK_T_OUT};
    }
    b[n++] = (struct buf){STATUS(s), 1, true};
    post_table(s, TABLE(s), b, n);
}

static void kick(void)
{
    fake_kick(&drv, Q);
}

static uint8_t status_of(unsigned s)
{
    return *(uint8_t *)gpa(STATUS(s));
}

/* Read every new used element into answers[]. */
static void collect(void)
{
    struct fake_queue *fq = &drv.queues[Q];
    uint16_t idx = __atomic_load_n(&fake_used(&drv, Q)->idx, __ATOMIC_ACQUIRE);
    while (fq->used_seen != idx) {
        struct virtq_used_elem e = fake_used(&drv, Q)->ring[fq->used_seen % fq->num];
        assert_true(e.id < NUM);
        answers[e.id]++;
        answer_len[e.id] = e.len;
        fq->used_seen++;
    }
}

static void forget_answers(void)
{
    collect();
    memset(answers, 0, sizeof(answers));
}

static void expect_answer(unsigned s, uint8_t status, uint32_t length)
{
    collect();
    assert_int_equal(answers[s], 1);
    assert_int_equal(answer_len[s], length);
    assert_int_equal(status_of(s), status);
}

static void expect_no_answer(unsigned s)
{
    collect();
    assert_int_equal(answers[s], 0);
}

/* One request, kicked and served: the answer is in. */
static void do_request(unsigned s, uint32_t type, uint64_t sector, uint64_t data, uint32_t length)
{
    request(s, type, sector, data, length);
    kick();
    run();
    collect();
    assert_int_equal(answers[s], 1);
    answers[s] = 0;
}

static uint32_t config32(unsigned offset)
{
    return virtio_mmio_read(&blk.transport, VIRTIO_MMIO_CONFIG + offset, 4);
}

static uint64_t capacity(void)
{
    return config32(0) | (uint64_t)config32(4) << 32;
}

/* ---- identification, features, configuration space ---- */

static void identifies_as_a_block_device(void **state)
{
    (void)state;
    assert_int_equal(fake_read(&drv, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
    fake_write(&drv, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32_t low = fake_read(&drv, VIRTIO_MMIO_DEVICE_FEATURES);
    assert_int_equal(low, (uint32_t)LINUX_FEATURES);
    assert_true(low & (1u << 28)); /* indirect descriptors */
    assert_false(low & VIRTIO_BLK_F_RO);
    fake_write(&drv, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(fake_read(&drv, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 */
    fake_write(&drv, VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(fake_read(&drv, VIRTIO_MMIO_QUEUE_NUM_MAX), 256);
    fake_write(&drv, VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(fake_read(&drv, VIRTIO_MMIO_QUEUE_NUM_MAX), 0); /* one queue */
    /* before the disk is known: no capacity, 512-byte blocks in 4 KiB physical ones */
    assert_int_equal(capacity(), 0);
    assert_int_equal(config32(20), 512);
    assert_int_equal(virtio_mmio_read(&blk.transport, VIRTIO_MMIO_CONFIG + 24, 1), 3);
    assert_int_equal(virtio_mmio_read(&blk.transport, VIRTIO_MMIO_CONFIG + 26, 2), 8);
}

/* seg_max * size_max bytes, plus the unit a misaligned request spills into and two fill units,
 * fit the data region. */
static void expect_limits(uint32_t data_units, uint32_t size_max, uint32_t seg_max)
{
    device_with(data_units, 128);
    assert_int_equal(config32(8), size_max);
    assert_int_equal(config32(12), seg_max);
    assert_true((uint64_t)size_max * seg_max + 3 * UNIT <= (uint64_t)data_units * UNIT || data_units > 65536);
}

static void limits_follow_the_data_region(void **state)
{
    (void)state;
    expect_limits(4, 4096, 1);
    expect_limits(10, 7 * 4096, 1);
    expect_limits(64, 65536, 3);
    expect_limits(1024, 65536, 63);
    expect_limits(1u << 20, 65536, 254); /* a chain is no longer than the queue */
    /* too small for one 4 KiB request that is not aligned */
    cfg.data_size = 3 * UNIT;
    assert_false(virtio_blk_init(&blk, &fake_ram, &cfg));
    cfg.data_size = 64 * UNIT;
    cfg.virt.request_queue_size = 8; /* not a queue */
    assert_false(virtio_blk_init(&blk, &fake_ram, &cfg));
}

static void capacity_appears_when_the_disk_is_ready(void **state)
{
    (void)state;
    driver_start_with(LINUX_FEATURES);
    uint32_t generation = fake_read(&drv, VIRTIO_MMIO_CONFIG_GENERATION);
    virtio_blk_notified(&blk); /* a signal while still pending changes nothing */
    assert_int_equal(capacity(), 0);
    assert_int_equal(fake_read(&drv, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    publish_disk(512, false);
    assert_int_equal(capacity(), SECTORS);
    assert_int_not_equal(fake_read(&drv, VIRTIO_MMIO_CONFIG_GENERATION), generation);
    assert_int_equal(fake_read(&drv, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG_CHANGE);
    assert_int_equal(irq_calls, 1);
    /* later signals do not announce it again */
    fake_write(&drv, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_CONFIG_CHANGE);
    virtio_blk_notified(&blk);
    assert_int_equal(fake_read(&drv, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_int_equal(irq_calls, 1);
}

static void disk_ready_during_initialisation_is_announced_at_driver_ok(void **state)
{
    (void)state;
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1 | LINUX_FEATURES));
    assert_int_equal(capacity(), 0); /* the driver read the capacity, then the disk came */
    publish_disk(512, false);
    assert_int_equal(fake_read(&drv, VIRTIO_MMIO_INTERRUPT_STATUS), 0); /* not before DRIVER_OK */
    assert_int_equal(irq_calls, 0);
    assert_true(fake_queue_setup(&drv, Q, NUM));
    fake_driver_ok(&drv);
    assert_int_equal(fake_read(&drv, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG_CHANGE);
    assert_int_equal(irq_calls, 1);
}

static void disk_ready_before_the_driver_starts_needs_no_announcement(void **state)
{
    (void)state;
    publish_disk(4096, false);
    /* a driver that does not reset the device first (Linux does): nothing is owed to it either */
    fake_add_status(&drv, VIRTIO_STATUS_ACKNOWLEDGE);
    fake_add_status(&drv, VIRTIO_STATUS_DRIVER);
    fake_write(&drv, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    fake_write(&drv, VIRTIO_MMIO_DRIVER_FEATURES, 1);
    fake_add_status(&drv, VIRTIO_STATUS_FEATURES_OK);
    assert_true(fake_queue_setup(&drv, Q, NUM));
    fake_driver_ok(&drv);
    assert_true(virtio_mmio_driver_ok(&blk.transport));
    assert_int_equal(fake_read(&drv, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_int_equal(capacity(), SECTORS);
    /* a disk of 4096-byte sectors: blocks of that size, physical block the same */
    assert_int_equal(config32(20), 4096);
    assert_int_equal(virtio_mmio_read(&blk.transport, VIRTIO_MMIO_CONFIG + 24, 1), 0);
    assert_int_equal(virtio_mmio_read(&blk.transport, VIRTIO_MMIO_CONFIG + 26, 2), 1);
}

/* Every kind of request, with the answers a device with no disk gives. */
static void expect_no_disk(void)
{
    request(0, VIRTIO_BLK_T_IN, 0, DATA, 512);
    request(1, VIRTIO_BLK_T_OUT, 0, DATA + 0x1000, 512);
    request(2, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
    request(3, VIRTIO_BLK_T_GET_ID, 0, DATA + 0x2000, 20);
    request(4, 11 /* DISCARD */, 0, DATA + 0x3000, 16);
    kick();
    run();
    expect_answer(0, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(1, VIRTIO_BLK_S_IOERR, 1);
    expect_answer(2, VIRTIO_BLK_S_IOERR, 1);
    expect_answer(3, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(4, VIRTIO_BLK_S_UNSUPP, 0);
    assert_int_equal(seen_count, 0); /* nothing reached the virtualiser */
    assert_int_equal(capacity(), 0);
}

static void requests_before_the_disk_is_ready_fail(void **state)
{
    (void)state;
    driver_start_with(LINUX_FEATURES);
    expect_no_disk();
}

static void absent_disk(void **state)
{
    (void)state;
    driver_start_with(LINUX_FEATURES);
    blk_storage_set_absent(&shared_info);
    virtio_blk_notified(&blk);
    assert_int_equal(irq_calls, 0);
    expect_no_disk();
}

static void disk_information_that_does_not_check_is_no_disk(void **state)
{
    (void)state;
    driver_start_with(LINUX_FEATURES);
    struct blk_storage_info info = {.sector_size = 512, .capacity = 0, .queue_depth = 4}; /* no blocks */
    blk_storage_publish(&shared_info, &info);
    virtio_blk_notified(&blk);
    assert_non_null(blk.disk_problem);
    expect_no_disk();
}

/* ---- reads and writes ---- */

static void aligned_write_then_read(void **state)
{
    (void)state;
    fill_random(gpa(DATA), 2 * UNIT);
    memcpy(model + UNIT, gpa(DATA), 2 * UNIT);
    do_request(0, VIRTIO_BLK_T_OUT, 8, DATA, 2 * UNIT);
    assert_int_equal(status_of(0), VIRTIO_BLK_S_OK);
    assert_int_equal(answer_len[0], 1);
    /* one WRITE of two units, no read to modify */
    assert_int_equal(seen_count, 1);
    assert_int_equal(seen[0].code, BLK_REQ_WRITE);
    assert_int_equal(seen[0].block_number, 1);
    assert_int_equal(seen[0].count, 2);
    assert_memory_equal(disk, model, sizeof(disk));
    memset(gpa(DATA + 0x4000), 0, 2 * UNIT);
    do_request(1, VIRTIO_BLK_T_IN, 8, DATA + 0x4000, 2 * UNIT);
    assert_int_equal(status_of(1), VIRTIO_BLK_S_OK);
    assert_int_equal(answer_len[1], 2 * UNIT + 1);
    assert_memory_equal(gpa(DATA + 0x4000), model + UNIT, 2 * UNIT);
    assert_int_equal(blk.free_count, VIRTIO_BLK_MAX_INFLIGHT); /* all room given back */
}

/* Writes and reads at every sector offset in a unit and lengths across up to three units,
 * against the model byte for byte. */
static void unaligned_and_crossing_requests_are_exact(void **state)
{
    (void)state;
    for (unsigned offset = 0; offset < 16; offset++) {
        for (unsigned sectors = 1; sectors <= 17; sectors++) {
            uint64_t sector = 8 * (1 + (offset * 7 + sectors) % 40) + offset;
            uint32_t length = sectors * 512;
            fill_random(gpa(DATA), length);
            memcpy(model + sector * 512, gpa(DATA), length);
            unsigned before = seen_count;
            do_request(0, VIRTIO_BLK_T_OUT, sector, DATA, length);
            assert_int_equal(status_of(0), VIRTIO_BLK_S_OK);
            assert_memory_equal(disk, model, sizeof(disk));
            /* a read for each unit covered in part, then one write */
            uint64_t end = sector + sectors;
            unsigned partial = (unsigned)((sector % 8 != 0) + (end % 8 != 0));
            if ((end - 1) / 8 == sector / 8 && partial == 2) {
                partial = 1; /* one unit, covered in the middle: one read */
            }
            assert_int_equal(seen_count - before, partial + 1);
            /* read back a range that starts and ends elsewhere in the units */
            uint64_t from = sector > 3 ? sector - 3 : 0;
            uint32_t read_length = length + 5 * 512;
            memset(gpa(DATA + 0x8000), 0, read_length);
            do_request(1, VIRTIO_BLK_T_IN, from, DATA + 0x8000, read_length);
            assert_int_equal(status_of(1), VIRTIO_BLK_S_OK);
            assert_int_equal(answer_len[1], read_length + 1);
            assert_memory_equal(gpa(DATA + 0x8000), model + from * 512, read_length);
        }
    }
    assert_int_equal(blk.refused, 0);
}

static void requests_in_many_buffers(void **state)
{
    (void)state;
    /* A write whose header is split in two and whose data is in five odd pieces, directly in the
     * ring; a read into pieces whose last one also holds the status byte. */
    header(0, VIRTIO_BLK_T_OUT, 13);
    uint32_t pieces[] = {100, 412, 1024, 3000, 584}; /* 5120 bytes: ten sectors */
    struct buf b[8];
    unsigned n = 0;
    b[n++] = (struct buf){HDR(0), 10, false};
    b[n++] = (struct buf){HDR(0) + 10, 6, false};
    uint64_t at = DATA;
    uint32_t total = 0;
    for (unsigned i = 0; i < 5; i++) {
        fill_random(gpa(at), pieces[i]);
        memcpy(model + 13 * 512 + total, gpa(at), pieces[i]);
        b[n++] = (struct buf){at, pieces[i], false};
        at += pieces[i] + 8;
        total += pieces[i];
    }
    b[n++] = (struct buf){STATUS(0), 1, true};
    post_direct(0, b, n);
    kick();
    run();
    expect_answer(0, VIRTIO_BLK_S_OK, 1);
    assert_memory_equal(disk, model, sizeof(disk));
    /* the read: 1536 + 3583 + (1 + the status) bytes, in a table */
    header(1, VIRTIO_BLK_T_IN, 12);
    uint64_t in = DATA + 0x4000;
    memset(gpa(in), 0, 0x2000);
    b[0] = (struct buf){HDR(1), 16, false};
    b[1] = (struct buf){in, 1536, true};
    b[2] = (struct buf){in + 0x800, 3583, true};
    b[3] = (struct buf){in + 0x1800, 2, true}; /* a data byte, then the status */
    post_table(1, TABLE(1), b, 4);
    kick();
    run();
    collect();
    assert_int_equal(answers[1], 1);
    assert_int_equal(answer_len[1], 5121);
    assert_int_equal(*(uint8_t *)gpa(in + 0x1801), VIRTIO_BLK_S_OK);
    assert_memory_equal(gpa(in), model + 12 * 512, 1536);
    assert_memory_equal(gpa(in + 0x800), model + 12 * 512 + 1536, 3583);
    assert_memory_equal(gpa(in + 0x1800), model + 12 * 512 + 1536 + 3583, 1);
}

static void many_segments_in_one_table(void **state)
{
    (void)state;
    /* 40 sectors, each in its own buffer, far apart: Linux's scatter list through one table */
    struct buf b[42];
    uint64_t table = DATA + 0x30000;
    header(0, VIRTIO_BLK_T_IN, 5);
    b[0] = (struct buf){HDR(0), 16, false};
    for (unsigned i = 0; i < 40; i++) {
        b[1 + i] = (struct buf){DATA + 0x600 * i, 512, true};
    }
    b[41] = (struct buf){STATUS(0), 1, true};
    for (unsigned i = 0; i < 42; i++) {
        fake_table_desc(table, i, b[i].address, b[i].length, flags_of(&b[i], i + 1 < 42), (uint16_t)(i + 1));
    }
    fake_set_desc(&drv, Q, 0, table, 16 * 42, VIRTQ_DESC_F_INDIRECT, 0);
    fake_offer(&drv, Q, 0);
    kick();
    run();
    expect_answer(0, VIRTIO_BLK_S_OK, 40 * 512 + 1);
    for (unsigned i = 0; i < 40; i++) {
        assert_memory_equal(gpa(DATA + 0x600 * i), model + (5 + i) * 512, 512);
    }
}

static void empty_requests_are_done_at_once(void **state)
{
    (void)state;
    request(0, VIRTIO_BLK_T_IN, SECTORS, 0, 0); /* at the very end: nothing to read */
    request(1, VIRTIO_BLK_T_OUT, 3, 0, 0);
    kick();
    expect_answer(0, VIRTIO_BLK_S_OK, 1);
    expect_answer(1, VIRTIO_BLK_S_OK, 1);
    assert_int_equal(seen_count + virt_take(MAX_QUEUE), 0);
}

/* ---- requests that are wrong ---- */

static void ranges_are_checked(void **state)
{
    (void)state;
    request(0, VIRTIO_BLK_T_IN, SECTORS - 1, DATA, 1024); /* one sector past the end */
    request(1, VIRTIO_BLK_T_OUT, UINT64_MAX, DATA, 512);  /* sector + count wraps */
    request(2, VIRTIO_BLK_T_IN, UINT64_MAX / 512 + 1, DATA, 512);
    request(3, VIRTIO_BLK_T_IN, 0, DATA, 700); /* not whole sectors */
    request(4, VIRTIO_BLK_T_OUT, 0, DATA, 513);
    request(5, VIRTIO_BLK_T_IN, SECTORS, DATA, 512);
    request(6, VIRTIO_BLK_T_IN, SECTORS - 1, DATA + 0x1000, 512); /* the last sector: fine */
    kick();
    run();
    expect_answer(0, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(1, VIRTIO_BLK_S_IOERR, 1);
    expect_answer(2, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(3, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(4, VIRTIO_BLK_S_IOERR, 1);
    expect_answer(5, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(6, VIRTIO_BLK_S_OK, 513);
    assert_memory_equal(gpa(DATA + 0x1000), model + (SECTORS - 1) * 512, 512);
    assert_int_equal(seen_count, 1);
    assert_int_equal(blk.refused, 6);
}

static void requests_larger_than_the_data_region_fail(void **state)
{
    (void)state;
    device_with(8, 128);
    start();
    request(0, VIRTIO_BLK_T_IN, 0, DATA, 9 * UNIT);           /* nine units */
    request(1, VIRTIO_BLK_T_OUT, 4, DATA, 7 * UNIT);          /* eight units and two to fill */
    request(2, VIRTIO_BLK_T_IN, 0, DATA + 0x10000, 8 * UNIT); /* the whole region: fine */
    kick();
    run();
    expect_answer(0, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(1, VIRTIO_BLK_S_IOERR, 1);
    expect_answer(2, VIRTIO_BLK_S_OK, 8 * UNIT + 1);
    assert_memory_equal(gpa(DATA + 0x10000), model, 8 * UNIT);
}

/* A malformed chain in slot 0: returned with length 0, its status untouched; then a good request
 * in slot 1 is served. */
static void expect_malformed_then_good(void)
{
    kick();
    run();
    expect_answer(0, UNTOUCHED, 0);
    request(1, VIRTIO_BLK_T_IN, 8, DATA + 0x8000, 512);
    kick();
    run();
    expect_answer(1, VIRTIO_BLK_S_OK, 513);
    assert_false(blk.vq.broken);
}

static void malformed_chains(void **state)
{
    (void)state;
    struct buf b[3];
    /* a loop: 0 -> 1 -> 0 */
    header(0, VIRTIO_BLK_T_IN, 0);
    fake_set_desc(&drv, Q, 0, HDR(0), 16, VIRTQ_DESC_F_NEXT, 1);
    fake_set_desc(&drv, Q, 1, DATA, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
    fake_offer(&drv, Q, 0);
    expect_malformed_then_good();
    /* data outside guest RAM, then straddling its end */
    forget_answers();
    header(0, VIRTIO_BLK_T_IN, 0);
    b[0] = (struct buf){HDR(0), 16, false};
    b[1] = (struct buf){0x1000, 512, true};
    b[2] = (struct buf){STATUS(0), 1, true};
    post_table(0, TABLE(0), b, 3);
    expect_malformed_then_good();
    forget_answers();
    b[1] = (struct buf){DATA_END - 256, 512, true};
    post_table(0, TABLE(0), b, 3);
    expect_malformed_then_good();
    /* zero and huge lengths */
    forget_answers();
    b[1] = (struct buf){DATA, 0, true};
    post_table(0, TABLE(0), b, 3);
    expect_malformed_then_good();
    forget_answers();
    b[1] = (struct buf){DATA, 0xffffffff, true};
    post_table(0, TABLE(0), b, 3);
    expect_malformed_then_good();
    assert_int_equal(blk.vq.bad_chains, 5);
    assert_int_equal(seen_count, 5); /* only the good reads reached the virtualiser */
}

static void status_missing_or_device_readable(void **state)
{
    (void)state;
    struct buf b[3];
    /* the header alone */
    header(0, VIRTIO_BLK_T_FLUSH, 0);
    b[0] = (struct buf){HDR(0), 16, false};
    post_table(0, TABLE(0), b, 1);
    expect_malformed_then_good();
    /* header, data and "status" all device-readable */
    forget_answers();
    header(0, VIRTIO_BLK_T_IN, 0);
    b[1] = (struct buf){DATA, 512, false};
    b[2] = (struct buf){STATUS(0), 1, false};
    post_table(0, TABLE(0), b, 3);
    expect_malformed_then_good();
    /* a readable status after writable data: out of order (section 2.7.4.2) */
    forget_answers();
    b[1] = (struct buf){DATA, 512, true};
    post_table(0, TABLE(0), b, 3);
    expect_malformed_then_good();
    assert_int_equal(blk.bad_requests, 2);
    assert_int_equal(blk.vq.bad_chains, 3);
    assert_int_equal(seen_count, 3);
}

static void short_header(void **state)
{
    (void)state;
    struct buf b[3];
    header(0, VIRTIO_BLK_T_IN, 0);
    b[0] = (struct buf){HDR(0), 8, false};
    b[1] = (struct buf){STATUS(0), 1, true};
    post_table(0, TABLE(0), b, 2);
    header(1, VIRTIO_BLK_T_IN, 0);
    b[0] = (struct buf){HDR(1), 10, false};
    b[1] = (struct buf){HDR(1) + 10, 5, false}; /* 15 bytes in two pieces */
    b[2] = (struct buf){STATUS(1), 1, true};
    post_table(1, TABLE(1), b, 3);
    kick();
    run();
    expect_answer(0, VIRTIO_BLK_S_IOERR, 1);
    expect_answer(1, VIRTIO_BLK_S_IOERR, 1);
    assert_int_equal(seen_count, 0);
}

static void buffers_that_do_not_fit_the_type(void **state)
{
    (void)state;
    struct buf b[4];
    /* a read with readable data after its header */
    header(0, VIRTIO_BLK_T_IN, 0);
    b[0] = (struct buf){HDR(0), 16, false};
    b[1] = (struct buf){DATA, 512, false};
    b[2] = (struct buf){DATA + 0x1000, 512, true};
    b[3] = (struct buf){STATUS(0), 1, true};
    post_table(0, TABLE(0), b, 4);
    /* a write with writable data before its status */
    header(1, VIRTIO_BLK_T_OUT, 0);
    b[0] = (struct buf){HDR(1), 16, false};
    b[1] = (struct buf){DATA, 512, false};
    b[2] = (struct buf){DATA + 0x1000, 512, true};
    b[3] = (struct buf){STATUS(1), 1, true};
    post_table(1, TABLE(1), b, 4);
    /* a flush with data, a GET_ID with no room for the ID */
    request(2, VIRTIO_BLK_T_FLUSH, 0, DATA, 512);
    request(3, VIRTIO_BLK_T_GET_ID, 0, 0, 0);
    kick();
    run();
    expect_answer(0, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(1, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(2, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(3, VIRTIO_BLK_S_IOERR, 1);
    assert_memory_equal(disk, model, sizeof(disk));
    assert_int_equal(seen_count, 0);
}

static void bad_indirect_tables(void **state)
{
    (void)state;
    struct buf b[3] = {{HDR(0), 16, false}, {DATA, 512, true}, {STATUS(0), 1, true}};
    header(0, VIRTIO_BLK_T_IN, 0);
    /* a table in a table */
    for (unsigned i = 0; i < 3; i++) {
        fake_table_desc(TABLE(2), i, b[i].address, b[i].length, flags_of(&b[i], i < 2), (uint16_t)(i + 1));
    }
    fake_table_desc(TABLE(0), 0, TABLE(2), 48, VIRTQ_DESC_F_INDIRECT, 0);
    fake_set_desc(&drv, Q, 0, TABLE(0), 16, VIRTQ_DESC_F_INDIRECT, 0);
    fake_offer(&drv, Q, 0);
    expect_malformed_then_good();
    /* a length that is not whole descriptors */
    forget_answers();
    post_table(0, TABLE(0), b, 3);
    fake_set_desc(&drv, Q, 0, TABLE(0), 40, VIRTQ_DESC_F_INDIRECT, 0);
    expect_malformed_then_good();
    /* a table outside guest RAM */
    forget_answers();
    fake_set_desc(&drv, Q, 0, DATA_END, 48, VIRTQ_DESC_F_INDIRECT, 0);
    fake_offer(&drv, Q, 0);
    expect_malformed_then_good();
    assert_int_equal(blk.vq.bad_chains, 3);
}

static void indirect_tables_need_the_feature(void **state)
{
    (void)state;
    driver_start_with(LINUX_FEATURES & ~VIRTIO_F_INDIRECT_DESC);
    publish_disk(512, false);
    request(0, VIRTIO_BLK_T_IN, 0, DATA, 512);
    kick();
    run();
    expect_answer(0, UNTOUCHED, 0);
    /* direct chains work */
    header(1, VIRTIO_BLK_T_IN, 8);
    struct buf b[3] = {{HDR(1), 16, false}, {DATA, 512, true}, {STATUS(1), 1, true}};
    post_direct(1, b, 3);
    kick();
    run();
    expect_answer(1, VIRTIO_BLK_S_OK, 513);
    assert_memory_equal(gpa(DATA), model + 8 * 512, 512);
}

/* ---- other types ---- */

static void get_id_answers_the_serial(void **state)
{
    (void)state;
    memset(gpa(DATA), 0x55, 0x3000);
    request(0, VIRTIO_BLK_T_GET_ID, 0, DATA, 20);
    request(1, VIRTIO_BLK_T_GET_ID, 0, DATA + 0x1000, 8);  /* a short buffer: what fits */
    request(2, VIRTIO_BLK_T_GET_ID, 0, DATA + 0x2000, 32); /* a long one: 20 bytes */
    kick();
    expect_answer(0, VIRTIO_BLK_S_OK, 21);
    expect_answer(1, VIRTIO_BLK_S_OK, 9);
    expect_answer(2, VIRTIO_BLK_S_OK, 20);
    assert_memory_equal(gpa(DATA), SERIAL, 20);
    assert_memory_equal(gpa(DATA + 0x1000), SERIAL, 8);
    assert_int_equal(*(uint8_t *)gpa(DATA + 0x1008), 0x55);
    assert_memory_equal(gpa(DATA + 0x2000), SERIAL, 20);
    assert_int_equal(*(uint8_t *)gpa(DATA + 0x2014), 0x55);
    assert_int_equal(seen_count + virt_take(MAX_QUEUE), 0);
}

static void unknown_types_are_unsupported(void **state)
{
    (void)state;
    const uint32_t types[] = {2, 3, 5, 10, 11, 13, 14, 0x80000000u, 0xffffffffu};
    for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        request(i, types[i], 0, DATA, 512);
    }
    kick();
    run();
    for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        expect_answer(i, VIRTIO_BLK_S_UNSUPP, 0); /* the data before the status was not written */
    }
    assert_int_equal(blk.unsupported, 9);
    assert_int_equal(seen_count, 0);
    assert_memory_equal(disk, model, sizeof(disk));
}

static void writes_to_a_read_only_disk_fail(void **state)
{
    (void)state;
    driver_start_with(LINUX_FEATURES);
    publish_disk(512, true);
    request(0, VIRTIO_BLK_T_OUT, 0, DATA, 512);
    request(1, VIRTIO_BLK_T_IN, 0, DATA + 0x1000, 512);
    kick();
    run();
    expect_answer(0, VIRTIO_BLK_S_IOERR, 1);
    expect_answer(1, VIRTIO_BLK_S_OK, 513);
    assert_memory_equal(disk, model, sizeof(disk));
    assert_int_equal(seen_count, 1);
}

/* ---- ordering ---- */

static void flush_follows_the_writes_before_it(void **state)
{
    (void)state;
    holding = true;
    request(0, VIRTIO_BLK_T_OUT, 0, DATA, UNIT);
    request(1, VIRTIO_BLK_T_OUT, 40, DATA + 0x1000, UNIT);
    request(2, VIRTIO_BLK_T_FLUSH, 0, 0, 0);
    request(3, VIRTIO_BLK_T_OUT, 72, DATA + 0x2000, UNIT); /* after the flush: need not wait */
    request(4, VIRTIO_BLK_T_IN, 80, DATA + 0x3000, UNIT);
    kick();
    run();
    assert_int_equal(held_count, 4); /* the three writes and the read, not the flush */
    assert_false(is_held(BLK_REQ_FLUSH, 0));
    answer_held(find_held(BLK_REQ_WRITE, 0), BLK_RESP_OK);
    virtio_blk_notified(&blk);
    run();
    assert_false(is_held(BLK_REQ_FLUSH, 0));
    expect_answer(0, VIRTIO_BLK_S_OK, 1);
    expect_no_answer(2);
    answer_held(find_held(BLK_REQ_WRITE, 5), BLK_RESP_OK);
    virtio_blk_notified(&blk);
    run();
    assert_true(is_held(BLK_REQ_FLUSH, 0)); /* every write before it is answered */
    assert_true(is_held(BLK_REQ_WRITE, 9)); /* the later write was not held back */
    answer_held(find_held(BLK_REQ_FLUSH, 0), BLK_RESP_OK);
    virtio_blk_notified(&blk);
    expect_answer(2, VIRTIO_BLK_S_OK, 1);
    assert_int_equal(flushes_done, 1);
    expect_no_answer(3);
}

static void two_writes_to_one_unit_go_one_after_the_other(void **state)
{
    (void)state;
    holding = true;
    fill_random(gpa(DATA), 1024);
    memcpy(model + 512, gpa(DATA), 512);
    memcpy(model + 1024, gpa(DATA + 512), 512);
    request(0, VIRTIO_BLK_T_OUT, 1, DATA, 512);
    request(1, VIRTIO_BLK_T_OUT, 2, DATA + 512, 512);
    kick();
    run();
    /* the first reads its unit to modify it; the second waits */
    assert_int_equal(held_count, 1);
    answer_held(find_held(BLK_REQ_READ, 0), BLK_RESP_OK);
    virtio_blk_notified(&blk);
    run();
    assert_int_equal(held_count, 1);
    answer_held(find_held(BLK_REQ_WRITE, 0), BLK_RESP_OK);
    virtio_blk_notified(&blk);
    run();
    expect_answer(0, VIRTIO_BLK_S_OK, 1);
    expect_no_answer(1);
    /* now the second, which reads what the first wrote */
    answer_held(find_held(BLK_REQ_READ, 0), BLK_RESP_OK);
    virtio_blk_notified(&blk);
    run();
    answer_held(find_held(BLK_REQ_WRITE, 0), BLK_RESP_OK);
    virtio_blk_notified(&blk);
    expect_answer(1, VIRTIO_BLK_S_OK, 1);
    assert_memory_equal(disk, model, sizeof(disk));
}

static void reads_of_one_unit_go_together_but_not_past_a_write(void **state)
{
    (void)state;
    holding = true;
    request(0, VIRTIO_BLK_T_IN, 0, DATA, 512);
    request(1, VIRTIO_BLK_T_IN, 3, DATA + 0x1000, 1024);
    fill_random(gpa(DATA + 0x2000), 2048);
    memcpy(model + 6 * 512, gpa(DATA + 0x2000), 2048);
    request(2, VIRTIO_BLK_T_OUT, 6, DATA + 0x2000, 2048); /* units 0 and 1 */
    request(3, VIRTIO_BLK_T_IN, 9, DATA + 0x3000, 512);   /* unit 1: after the write */
    request(4, VIRTIO_BLK_T_IN, 17, DATA + 0x4000, 512);  /* unit 2: free to go */
    kick();
    run();
    assert_int_equal(held_count, 3);
    assert_int_equal(held[0].block_number, 0);
    assert_int_equal(held[1].block_number, 0);
    assert_int_equal(held[2].block_number, 2);
    while (held_count > 0) {
        answer_held(0, BLK_RESP_OK);
        virtio_blk_notified(&blk);
        run();
    }
    for (unsigned s = 0; s < 5; s++) {
        collect();
        assert_int_equal(answers[s], 1);
        assert_int_equal(status_of(s), VIRTIO_BLK_S_OK);
    }
    /* the write's data is what the guest had when it was taken, and the read after it sees it */
    assert_memory_equal(gpa(DATA + 0x3000), model + 9 * 512, 512);
}

/* ---- back-pressure ---- */

static void slow_virtualiser_and_small_data_region(void **state)
{
    (void)state;
    device_with(8, 4);
    start();
    /* 48 requests: writes in units 0-24, whole units, parts of one, or crossing into the next
     * (which the next write also writes: they go in order), and reads elsewhere, each across two
     * units, of what the disk already holds */
    for (unsigned s = 0; s < 48; s++) {
        uint64_t data = DATA + 0x1000 * s;
        if (s % 2 == 0) {
            uint64_t sector = 8 * (s / 2) + (s % 4 == 0 ? 0 : s % 8 == 2 ? 4 : 1);
            uint32_t length = s % 4 == 2 && s % 8 != 2 ? 1024 : UNIT;
            fill_random(gpa(data), length);
            memcpy(model + sector * 512, gpa(data), length);
            request(s, VIRTIO_BLK_T_OUT, sector, data, length);
        } else {
            request(s, VIRTIO_BLK_T_IN, 8 * (30 + s / 2) + 1, data, UNIT);
        }
    }
    kick();
    assert_true(blk.vq.last_avail < 48); /* the rest wait in the ring */
    unsigned turns = 0;
    for (; turns < 10000; turns++) {
        collect();
        unsigned done = 0;
        for (unsigned s = 0; s < 48; s++) {
            assert_true(answers[s] <= 1); /* never answered twice */
            done += answers[s];
        }
        if (done == 48) {
            break;
        }
        virt_take(1); /* one request a turn */
        virtio_blk_notified(&blk);
    }
    assert_true(turns > 48);
    for (unsigned s = 0; s < 48; s++) {
        assert_int_equal(status_of(s), VIRTIO_BLK_S_OK);
        if (s % 2 == 1) {
            assert_memory_equal(gpa(DATA + 0x1000 * s), model + (8 * (30 + s / 2) + 1) * 512, UNIT);
        }
    }
    assert_memory_equal(disk, model, sizeof(disk));
    assert_int_equal(blk.free_count, VIRTIO_BLK_MAX_INFLIGHT);
    assert_int_equal(blk.outstanding, 0);
    assert_false(blk.held);
    assert_true(notify_calls > 0);
}

static void full_in_flight_table(void **state)
{
    (void)state;
    device_with(64, MAX_QUEUE);
    start();
    holding = true;
    /* A driver that offers the same flush again and again: the table fills at 256 requests, the
     * rest wait in the ring until answers free it. */
    unsigned posted = 0;
    header(0, VIRTIO_BLK_T_FLUSH, 0);
    struct buf b[2] = {{HDR(0), 16, false}, {STATUS(0), 1, true}};
    post_table(0, TABLE(0), b, 2);
    posted++;
    for (unsigned round = 0; round < 10; round++) {
        while (posted < 1000 && (uint16_t)(posted - blk.vq.last_avail) < NUM) {
            fake_offer(&drv, Q, 0);
            posted++;
        }
        kick();
        run();
    }
    assert_int_equal(blk.free_count, 0);
    assert_int_equal(held_count, VIRTIO_BLK_MAX_INFLIGHT);
    assert_int_equal(blk.vq.last_avail, VIRTIO_BLK_MAX_INFLIGHT);
    assert_int_equal(posted, VIRTIO_BLK_MAX_INFLIGHT + NUM);
    holding = false;
    while (held_count > 0) {
        answer_held(0, BLK_RESP_OK);
    }
    virtio_blk_notified(&blk);
    run();
    assert_int_equal(fake_used(&drv, Q)->idx, posted);
    assert_int_equal(blk.free_count, VIRTIO_BLK_MAX_INFLIGHT);
}

static void full_segment_pool(void **state)
{
    (void)state;
    device_with(256, MAX_QUEUE);
    start();
    holding = true;
    /* A read into 62 buffers (and the status: 63 writable, a chain as long as the queue), offered
     * again and again: 65 of them fill the pool of 4096 buffers, the 66th waits, taken but not
     * placed, and the rest wait in the ring. */
    struct buf b[64];
    uint64_t table = DATA + 0x30000;
    header(0, VIRTIO_BLK_T_IN, 8);
    b[0] = (struct buf){HDR(0), 16, false};
    for (unsigned i = 0; i < 62; i++) {
        b[1 + i] = (struct buf){DATA + 0x100 * i, i < 61 ? 64 : 4096 - 61 * 64, true};
    }
    b[63] = (struct buf){STATUS(0), 1, true};
    for (unsigned i = 0; i < 64; i++) {
        fake_table_desc(table, i, b[i].address, b[i].length, flags_of(&b[i], i + 1 < 64), (uint16_t)(i + 1));
    }
    fake_set_desc(&drv, Q, 0, table, 16 * 64, VIRTQ_DESC_F_INDIRECT, 0);
    unsigned posted = 0;
    for (unsigned round = 0; round < 4; round++) {
        while (posted < 200 && (uint16_t)(posted - blk.vq.last_avail) < NUM) {
            fake_offer(&drv, Q, 0);
            posted++;
        }
        kick();
        run();
    }
    unsigned fit = VIRTIO_BLK_SEGMENT_POOL / 63;
    assert_true(blk.held);
    assert_int_equal(held_count, fit);
    assert_int_equal(blk.vq.last_avail, fit + 1);
    /* answers free the pool: everything is served, once */
    holding = false;
    while (held_count > 0) {
        answer_held(0, BLK_RESP_OK);
    }
    for (unsigned round = 0; round < 8; round++) {
        while (posted < 200 && (uint16_t)(posted - blk.vq.last_avail) < NUM) {
            fake_offer(&drv, Q, 0);
            posted++;
        }
        kick();
        run();
    }
    assert_false(blk.held);
    assert_int_equal(posted, 200);
    assert_int_equal(fake_used(&drv, Q)->idx, 200);
    assert_int_equal(status_of(0), VIRTIO_BLK_S_OK);
    assert_memory_equal(gpa(DATA), model + 8 * 512, 64);
    assert_memory_equal(gpa(DATA + 0x100 * 61), model + 8 * 512 + 61 * 64, 4096 - 61 * 64);
    for (unsigned w = 0; w < 256 / 64; w++) {
        assert_int_equal(blk.unit_map[w], 0);
    }
    for (unsigned w = 0; w < VIRTIO_BLK_SEGMENT_POOL / 64; w++) {
        assert_int_equal(blk.segment_map[w], 0);
    }
}

static void reset_forgets_a_waiting_chain(void **state)
{
    (void)state;
    device_with(4, 128);
    start();
    holding = true;
    request(0, VIRTIO_BLK_T_IN, 0, DATA, 2 * UNIT);
    request(1, VIRTIO_BLK_T_IN, 16, DATA + 0x2000, 3 * UNIT); /* no room: it waits */
    kick();
    run();
    assert_true(blk.held);
    fake_write(&drv, VIRTIO_MMIO_STATUS, 0);
    assert_false(blk.held);
    driver_start_with(LINUX_FEATURES);
    answer_held(0, BLK_RESP_OK); /* the orphan's answer frees its room */
    virtio_blk_notified(&blk);
    request(2, VIRTIO_BLK_T_IN, 24, DATA + 0x4000, 4 * UNIT);
    kick();
    holding = false;
    run();
    expect_answer(2, VIRTIO_BLK_S_OK, 4 * UNIT + 1);
    assert_int_equal(fake_used(&drv, Q)->idx, 1);
    assert_memory_equal(gpa(DATA + 0x4000), model + 24 * 512, 4 * UNIT);
}

static void depth_of_the_virtualiser_is_kept(void **state)
{
    (void)state;
    driver_start_with(LINUX_FEATURES);
    struct blk_storage_info info = {.sector_size = 512, .capacity = DISK_UNITS, .queue_depth = 2};
    blk_storage_publish(&shared_info, &info);
    virtio_blk_notified(&blk);
    holding = true;
    for (unsigned s = 0; s < 5; s++) {
        request(s, VIRTIO_BLK_T_IN, 8 * s, DATA + 0x1000 * s, UNIT);
    }
    kick();
    run();
    assert_int_equal(held_count, 2);
    while (held_count > 0) {
        answer_held(0, BLK_RESP_OK);
        virtio_blk_notified(&blk);
        run();
        assert_true(held_count <= 2);
    }
    for (unsigned s = 0; s < 5; s++) {
        expect_answer(s, VIRTIO_BLK_S_OK, UNIT + 1);
    }
}

/* ---- the guest cannot change a request; the virtualiser cannot confuse the device ---- */

static void header_is_read_once(void **state)
{
    (void)state;
    holding = true;
    request(0, VIRTIO_BLK_T_IN, 16, DATA, UNIT);
    kick();
    run();
    assert_int_equal(held_count, 1);
    header(0, VIRTIO_BLK_T_OUT, 0); /* too late */
    answer_held(0, BLK_RESP_OK);
    virtio_blk_notified(&blk);
    expect_answer(0, VIRTIO_BLK_S_OK, UNIT + 1);
    assert_memory_equal(gpa(DATA), model + 16 * 512, UNIT);
    assert_memory_equal(disk, model, sizeof(disk));
}

static void write_data_is_taken_when_the_request_is(void **state)
{
    (void)state;
    holding = true;
    fill_random(gpa(DATA), 512);
    memcpy(model + 3 * 512, gpa(DATA), 512);
    request(0, VIRTIO_BLK_T_OUT, 3, DATA, 512);
    kick();
    run();
    memset(gpa(DATA), 0, 512); /* the guest changes its buffer while the unit is being read */
    answer_held(0, BLK_RESP_OK);
    virtio_blk_notified(&blk);
    run();
    answer_held(0, BLK_RESP_OK);
    virtio_blk_notified(&blk);
    expect_answer(0, VIRTIO_BLK_S_OK, 1);
    assert_memory_equal(disk, model, sizeof(disk));
}

static void errors_from_the_virtualiser(void **state)
{
    (void)state;
    holding = true;
    memset(gpa(DATA), 0x55, UNIT);
    request(0, VIRTIO_BLK_T_IN, 0, DATA, UNIT);
    request(1, VIRTIO_BLK_T_OUT, 12, DATA + 0x1000, 1024); /* unit 1, read to modify */
    request(2, VIRTIO_BLK_T_OUT, 20, DATA + 0x2000, 4096); /* units 2 and 3, both read */
    kick();
    run();
    assert_int_equal(held_count, 4);
    answer_held(find_held(BLK_REQ_READ, 0), BLK_RESP_ERR_IO);
    answer_held(find_held(BLK_REQ_READ, 1), BLK_RESP_ERR_IO);
    answer_held(find_held(BLK_REQ_READ, 2), BLK_RESP_ERR_IO);
    virtio_blk_notified(&blk);
    run();
    expect_answer(0, VIRTIO_BLK_S_IOERR, 0);
    expect_answer(1, VIRTIO_BLK_S_IOERR, 1);
    expect_no_answer(2); /* its other read is still out */
    answer_held(find_held(BLK_REQ_READ, 3), BLK_RESP_OK);
    virtio_blk_notified(&blk);
    run();
    expect_answer(2, VIRTIO_BLK_S_IOERR, 1);
    assert_int_equal(held_count, 0); /* no write after a failed read */
    assert_memory_equal(disk, model, sizeof(disk));
    assert_int_equal(*(uint8_t *)gpa(DATA), 0x55); /* nothing copied to the guest */
    assert_int_equal(blk.disk_errors, 3);
    assert_int_equal(blk.free_count, VIRTIO_BLK_MAX_INFLIGHT);
}

static void bogus_answers_are_ignored(void **state)
{
    (void)state;
    holding = true;
    request(0, VIRTIO_BLK_T_IN, 0, DATA, 512);
    kick();
    run();
    assert_int_equal(held_count, 1);
    uint32_t id = held[0].id;
    struct blk_response bogus[] = {
        {BLK_RESP_OK, 0xffffffffu, 1, 0},
        {BLK_RESP_OK, id + 4, 1, 0},   /* a slot not in use */
        {BLK_RESP_OK, id & ~3u, 1, 0}, /* a part never sent */
        {BLK_RESP_OK, id | 3, 1, 0},   /* no such part */
    };
    for (unsigned i = 0; i < 4; i++) {
        assert_true(blk_enqueue_response(&virt, &bogus[i]));
    }
    virtio_blk_notified(&blk);
    expect_no_answer(0);
    assert_int_equal(blk.bogus_responses, 4);
    answer_held(0, BLK_RESP_OK);
    struct blk_response again = {BLK_RESP_OK, id, 1, 0}; /* answered twice */
    assert_true(blk_enqueue_response(&virt, &again));
    virtio_blk_notified(&blk);
    expect_answer(0, VIRTIO_BLK_S_OK, 513);
    assert_int_equal(blk.bogus_responses, 5);
}

/* ---- reset ---- */

static void reset_with_requests_at_the_virtualiser(void **state)
{
    (void)state;
    holding = true;
    request(0, VIRTIO_BLK_T_IN, 0, DATA, 2 * UNIT);
    request(1, VIRTIO_BLK_T_OUT, 25, DATA + 0x2000, 512); /* unit 3, read to modify */
    request(2, VIRTIO_BLK_T_OUT, 40, DATA + 0x3000, 512); /* unit 5, likewise */
    kick();
    run();
    assert_int_equal(held_count, 3);
    fake_write(&drv, VIRTIO_MMIO_STATUS, 0); /* the driver resets the device */
    driver_start_with(LINUX_FEATURES);
    /* the new driver writes unit 3 too: it waits for the orphaned request there */
    fill_random(gpa(DATA + 0x4000), UNIT);
    memcpy(model + 3 * UNIT, gpa(DATA + 0x4000), UNIT);
    request(5, VIRTIO_BLK_T_OUT, 24, DATA + 0x4000, UNIT);
    kick();
    run();
    assert_int_equal(held_count, 3);
    while (held_count > 0) {
        answer_held(0, BLK_RESP_OK);
        virtio_blk_notified(&blk);
        run();
    }
    /* only the new request went back, and the orphaned write never wrote */
    collect();
    assert_int_equal(answers[0] + answers[1] + answers[2], 0);
    assert_int_equal(fake_used(&drv, Q)->idx, 1);
    expect_answer(5, VIRTIO_BLK_S_OK, 1);
    assert_memory_equal(disk, model, sizeof(disk));
    assert_int_equal(status_of(1), UNTOUCHED);
    assert_int_equal(blk.free_count, VIRTIO_BLK_MAX_INFLIGHT);
    assert_int_equal(blk.unit_map[0], 0); /* all room back (64 units: one word) */
}

static void signals_to_the_virtualiser(void **state)
{
    (void)state;
    /* Shared memory starts zeroed: the virtualiser wants a signal for the first request. */
    notify_calls = 0;
    request(0, VIRTIO_BLK_T_IN, 0, DATA, 512);
    kick();
    assert_int_equal(notify_calls, 1);
    /* it has not looked since: no second signal for a second request */
    request(1, VIRTIO_BLK_T_IN, 8, DATA + 0x1000, 512);
    kick();
    assert_int_equal(notify_calls, 1);
    run();
    expect_answer(0, VIRTIO_BLK_S_OK, 513);
    expect_answer(1, VIRTIO_BLK_S_OK, 513);
    /* one used-buffer interrupt per pass that answered something */
    unsigned irqs = irq_calls;
    request(2, VIRTIO_BLK_T_GET_ID, 0, DATA, 20);
    request(3, VIRTIO_BLK_T_GET_ID, 0, DATA + 0x100, 20);
    kick();
    assert_int_equal(irq_calls, irqs + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(identifies_as_a_block_device, setup),
        cmocka_unit_test_setup(limits_follow_the_data_region, setup),
        cmocka_unit_test_setup(capacity_appears_when_the_disk_is_ready, setup),
        cmocka_unit_test_setup(disk_ready_during_initialisation_is_announced_at_driver_ok, setup),
        cmocka_unit_test_setup(disk_ready_before_the_driver_starts_needs_no_announcement, setup),
        cmocka_unit_test_setup(requests_before_the_disk_is_ready_fail, setup),
        cmocka_unit_test_setup(absent_disk, setup),
        cmocka_unit_test_setup(disk_information_that_does_not_check_is_no_disk, setup),
        cmocka_unit_test_setup(aligned_write_then_read, setup_started),
        cmocka_unit_test_setup(unaligned_and_crossing_requests_are_exact, setup_started),
        cmocka_unit_test_setup(requests_in_many_buffers, setup_started),
        cmocka_unit_test_setup(many_segments_in_one_table, setup_started),
        cmocka_unit_test_setup(empty_requests_are_done_at_once, setup_started),
        cmocka_unit_test_setup(ranges_are_checked, setup_started),
        cmocka_unit_test_setup(requests_larger_than_the_data_region_fail, setup),
        cmocka_unit_test_setup(malformed_chains, setup_started),
        cmocka_unit_test_setup(status_missing_or_device_readable, setup_started),
        cmocka_unit_test_setup(short_header, setup_started),
        cmocka_unit_test_setup(buffers_that_do_not_fit_the_type, setup_started),
        cmocka_unit_test_setup(bad_indirect_tables, setup_started),
        cmocka_unit_test_setup(indirect_tables_need_the_feature, setup),
        cmocka_unit_test_setup(get_id_answers_the_serial, setup_started),
        cmocka_unit_test_setup(unknown_types_are_unsupported, setup_started),
        cmocka_unit_test_setup(writes_to_a_read_only_disk_fail, setup),
        cmocka_unit_test_setup(flush_follows_the_writes_before_it, setup_started),
        cmocka_unit_test_setup(two_writes_to_one_unit_go_one_after_the_other, setup_started),
        cmocka_unit_test_setup(reads_of_one_unit_go_together_but_not_past_a_write, setup_started),
        cmocka_unit_test_setup(slow_virtualiser_and_small_data_region, setup),
        cmocka_unit_test_setup(full_in_flight_table, setup),
        cmocka_unit_test_setup(full_segment_pool, setup),
        cmocka_unit_test_setup(reset_forgets_a_waiting_chain, setup),
        cmocka_unit_test_setup(depth_of_the_virtualiser_is_kept, setup),
        cmocka_unit_test_setup(header_is_read_once, setup_started),
        cmocka_unit_test_setup(write_data_is_taken_when_the_request_is, setup_started),
        cmocka_unit_test_setup(errors_from_the_virtualiser, setup_started),
        cmocka_unit_test_setup(bogus_answers_are_ignored, setup_started),
        cmocka_unit_test_setup(reset_with_requests_at_the_virtualiser, setup_started),
        cmocka_unit_test_setup(signals_to_the_virtualiser, setup_started),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
