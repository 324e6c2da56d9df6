/*
 * The block queues and the block virtualiser against a model disk: a fake driver serves the
 * driver queue from an array (as slowly as a test wants), fake clients send requests. Checked:
 * the start-up states (disk pending, absent, unusable, MBR read retried), every MBR refusal
 * reaching only its client, translation at partition edges, refusal of bad requests, back-
 * pressure with a slow disk (nothing lost, nothing answered twice) and bogus driver answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../drivers/blk/virt.h"

#define UNIT         BLK_TRANSFER_SIZE
#define DISK_UNITS   256u /* 1 MiB */
#define QUEUE_REGION 0x1000u
#define CLIENT_DATA  (16u * UNIT)
#define CLIENTS      2u
#define SCRATCH      0u
#define DRIVER_DATA  (UNIT + CLIENTS * CLIENT_DATA)

struct side {
    void *requests, *responses;
};

static uint8_t disk[DISK_UNITS * UNIT];
static uint8_t *driver_data; /* the driver's data space: scratch unit, then each client's region */
static struct side driver_regions, client_regions[CLIENTS];
static struct blk_storage_info driver_info, client_info[CLIENTS];
static struct blk_queue_handle driver_server;        /* the fake driver's end */
static struct blk_queue_handle client_ends[CLIENTS]; /* the fake clients' ends */
static struct blk_virt virt;
static unsigned mbr_failures_left; /* the driver fails block 0 this often */

static void *region(size_t size)
{
    void *p = aligned_alloc(4096, size);
    memset(p, 0, size);
    return p;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Partition `index` (0-based) of the model disk's MBR, in 512-byte sectors. */
static void mbr_entry(unsigned index, uint32_t start, uint32_t sectors)
{
    uint8_t *e = disk + 446 + 16 * index;
    e[4] = 0x0c; /* FAT32 LBA */
    put_le32(e + 8, start);
    put_le32(e + 12, sectors);
    disk[510] = 0x55;
    disk[511] = 0xaa;
}

static void publish_disk(void)
{
    struct blk_storage_info info = {
        .serial = "model-disk", .sector_size = 512, .capacity = DISK_UNITS, .queue_depth = 128};
    blk_storage_publish(&driver_info, &info);
}

static int setup(void **state)
{
    (void)state;
    memset(disk, 0, sizeof(disk));
    for (unsigned u = 0; u < DISK_UNITS; u++) {
        memset(disk + (size_t)u * UNIT + 512, (int)(u & 0xff), UNIT - 512); /* each unit knows its number */
    }
    /* Partition 1: units 1..100; partition 2: units 128..255. */
    mbr_entry(0, 8, 100 * 8);
    mbr_entry(1, 128 * 8, 128 * 8);
    memset(&driver_info, 0, sizeof(driver_info));
    memset(client_info, 0, sizeof(client_info));
    driver_data = region(DRIVER_DATA);
    driver_regions = (struct side){region(QUEUE_REGION), region(QUEUE_REGION)};
    struct blk_queue_handle virt_end;
    assert_true(
        blk_queue_init(&virt_end, driver_regions.requests, QUEUE_REGION, driver_regions.responses, QUEUE_REGION));
    assert_true(
        blk_queue_init(&driver_server, driver_regions.requests, QUEUE_REGION, driver_regions.responses, QUEUE_REGION));
    blk_virt_init(&virt, virt_end, &driver_info, DRIVER_DATA, SCRATCH, driver_data + SCRATCH);
    for (unsigned i = 0; i < CLIENTS; i++) {
        client_regions[i] = (struct side){region(QUEUE_REGION), region(QUEUE_REGION)};
        struct blk_queue_handle served;
        assert_true(blk_queue_init(&served, client_regions[i].requests, QUEUE_REGION, client_regions[i].responses,
                                   QUEUE_REGION));
        assert_true(blk_queue_init(&client_ends[i], client_regions[i].requests, QUEUE_REGION,
                                   client_regions[i].responses, QUEUE_REGION));
        assert_true(blk_virt_add_client(&virt, served, &client_info[i], CLIENT_DATA, UNIT + i * CLIENT_DATA));
    }
    mbr_failures_left = 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(driver_data);
    free(driver_regions.requests);
    free(driver_regions.responses);
    for (unsigned i = 0; i < CLIENTS; i++) {
        free(client_regions[i].requests);
        free(client_regions[i].responses);
    }
    return 0;
}

/* The fake driver answers up to `budget` requests against the model disk; returns how many. */
static unsigned serve(unsigned budget)
{
    unsigned served = 0;
    struct blk_request r;
    while (served < budget && blk_response_space(&driver_server) > 0 && blk_dequeue_request(&driver_server, &r)) {
        struct blk_response answer = {BLK_RESP_OK, r.id, r.count, 0};
        assert_int_equal(blk_request_check(&r, DISK_UNITS, DRIVER_DATA), BLK_RESP_OK); /* virt sends only good ones */
        if (r.code == BLK_REQ_READ && r.block_number == 0 && mbr_failures_left > 0) {
            mbr_failures_left--;
            answer.status = BLK_RESP_ERR_IO;
            answer.success_count = 0;
        } else if (r.code == BLK_REQ_READ) {
            memcpy(driver_data + r.data_offset, disk + r.block_number * UNIT, (size_t)r.count * UNIT);
        } else if (r.code == BLK_REQ_WRITE) {
            memcpy(disk + r.block_number * UNIT, driver_data + r.data_offset, (size_t)r.count * UNIT);
        }
        assert_true(blk_enqueue_response(&driver_server, &answer));
        served++;
    }
    return served;
}

static struct blk_virt_actions process(void)
{
    struct blk_virt_actions a;
    blk_virt_process(&virt, &a);
    return a;
}

/* Bring the virtualiser up on the model disk: ready, MBR read, partitions assigned. */
static void start(void)
{
    publish_disk();
    struct blk_virt_actions a = process();
    assert_true(a.notify_driver);
    assert_int_equal(virt.state, BLK_VIRT_READ_MBR);
    while (virt.state == BLK_VIRT_READ_MBR) {
        assert_int_equal(serve(8), 1);
        a = process();
    }
    assert_true(a.report);
}

static void describe(unsigned i, char *text)
{
    blk_virt_describe_client(&virt, i, text, BLK_VIRT_REASON_MAX + 32);
}

static void waits_for_the_disk_then_assigns_partitions(void **state)
{
    (void)state;
    struct blk_virt_actions a = process();
    assert_int_equal(virt.state, BLK_VIRT_WAIT_DISK);
    assert_false(a.notify_driver);
    assert_int_equal(blk_storage_state(&client_info[0]), BLK_STORAGE_PENDING);
    start();
    assert_int_equal(virt.state, BLK_VIRT_RUNNING);
    struct blk_storage_info info;
    assert_null(blk_storage_read(&client_info[0], &info));
    assert_int_equal(info.capacity, 100);
    assert_null(blk_storage_read(&client_info[1], &info));
    assert_int_equal(info.capacity, 128);
    assert_memory_equal(info.serial, "model-disk", 10);
    char text[200];
    describe(1, text);
    assert_string_equal(text, "client 2: partition 2, 512 KiB (1024 sectors of 512 bytes)");
}

static void a_disk_the_driver_reports_absent_leaves_every_client_without_one(void **state)
{
    (void)state;
    blk_storage_set_absent(&driver_info);
    struct blk_virt_actions a = process();
    assert_int_equal(virt.state, BLK_VIRT_NO_DISK);
    assert_true(a.report);
    assert_int_equal(a.notify_clients, 3);
    assert_int_equal(blk_storage_state(&client_info[0]), BLK_STORAGE_ABSENT);
    assert_int_equal(blk_storage_state(&client_info[1]), BLK_STORAGE_ABSENT);
    char text[200];
    describe(0, text);
    assert_string_equal(text, "client 1: no disk: the disk driver reports no disk");
}

static void an_unusable_disk_is_named(void **state)
{
    (void)state;
    struct blk_storage_info info = {.sector_size = 520, .capacity = DISK_UNITS, .queue_depth = 1};
    blk_storage_publish(&driver_info, &info);
    process();
    assert_int_equal(virt.state, BLK_VIRT_NO_DISK);
    char text[200];
    describe(1, text);
    assert_non_null(strstr(text, "sector size"));
}

/* A description is cut to the buffer given, terminator included; a buffer of no bytes gets none. */
static void descriptions_fit_the_buffer_given(void **state)
{
    (void)state;
    start();
    char text[8];
    memset(text, 'x', sizeof(text));
    blk_virt_describe_client(&virt, 0, text, 0);
    assert_int_equal(text[0], 'x');
    blk_virt_describe_client(&virt, 0, text, 1);
    assert_string_equal(text, "");
    assert_int_equal(text[1], 'x');
    blk_virt_describe_client(&virt, 1, text, 7);
    assert_string_equal(text, "client");
    assert_int_equal(text[7], 'x');
    blk_virt_describe_client(&virt, 5, text, 0); /* no such client: nothing either */
    assert_int_equal(text[0], 'c');
}

static void a_failed_mbr_read_is_retried_a_bounded_number_of_times(void **state)
{
    (void)state;
    mbr_failures_left = BLK_VIRT_MBR_TRIES - 1;
    start();
    assert_int_equal(virt.state, BLK_VIRT_RUNNING);

    teardown(state);
    setup(state);
    mbr_failures_left = BLK_VIRT_MBR_TRIES;
    start();
    assert_int_equal(virt.state, BLK_VIRT_NO_DISK);
    assert_int_equal(blk_storage_state(&client_info[0]), BLK_STORAGE_ABSENT);
    char text[200];
    describe(0, text);
    assert_non_null(strstr(text, "could not be read"));
    assert_int_equal(serve(8), 0); /* no fourth try */
}

/* Each MBR refusal reaches its own client only; an overlap refuses both partitions, since which
 * one is meant cannot be known, and each names the other. */
static void refused_partitions_leave_the_other_client_its_disk(void **state)
{
    (void)state;
    const struct {
        uint32_t start, sectors;
        const char *words;
        bool first_keeps_its_disk;
    } cases[] = {
        {129 * 8 + 1, 64 * 8, "multiple", true},  /* misaligned start */
        {200 * 8, 100 * 8, "past the end", true}, /* runs past the disk's end */
        {50 * 8, 100 * 8, "overlaps partition 1", false},
        {0, 0, "empty", true}, /* missing */
    };
    for (unsigned k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        teardown(state);
        setup(state);
        memset(disk + 446 + 16, 0, 16);
        if (cases[k].sectors != 0) {
            mbr_entry(1, cases[k].start, cases[k].sectors);
        }
        start();
        assert_int_equal(blk_storage_state(&client_info[0]),
                         cases[k].first_keeps_its_disk ? BLK_STORAGE_READY : BLK_STORAGE_ABSENT);
        assert_int_equal(blk_storage_state(&client_info[1]), BLK_STORAGE_ABSENT);
        char text[200];
        if (!cases[k].first_keeps_its_disk) {
            describe(0, text);
            assert_non_null(strstr(text, "overlaps partition 2"));
        }
        describe(1, text);
        assert_non_null(strstr(text, "client 2: no disk: "));
        assert_non_null(strstr(text, cases[k].words));
    }
}

static void no_mbr_signature_refuses_both(void **state)
{
    (void)state;
    disk[510] = 0;
    start();
    assert_int_equal(blk_storage_state(&client_info[0]), BLK_STORAGE_ABSENT);
    assert_int_equal(blk_storage_state(&client_info[1]), BLK_STORAGE_ABSENT);
}

static uint32_t next_id = 100;

static uint32_t send(unsigned client, uint32_t code, uint64_t block, uint32_t count, uint64_t offset)
{
    struct blk_request r = {code, next_id++, offset, block, count, 0};
    assert_true(blk_enqueue_request(&client_ends[client], &r));
    return r.id;
}

static struct blk_response answer(unsigned client)
{
    struct blk_response r;
    assert_true(blk_dequeue_response(&client_ends[client], &r));
    return r;
}

static uint8_t *client_data(unsigned client)
{
    return driver_data + UNIT + client * CLIENT_DATA;
}

static void reads_are_translated_at_partition_edges(void **state)
{
    (void)state;
    start();
    /* Client 2's first block is disk unit 128, its last 255; one past is refused. */
    uint32_t first = send(1, BLK_REQ_READ, 0, 1, 0);
    uint32_t last = send(1, BLK_REQ_READ, 127, 1, UNIT);
    uint32_t past = send(1, BLK_REQ_READ, 127, 2, 2 * UNIT);
    process();
    assert_int_equal(serve(8), 2);
    process();
    struct blk_response r = answer(1);
    assert_int_equal(r.id, past); /* refused at once, before the others came back */
    assert_int_equal(r.status, BLK_RESP_ERR_INVALID_PARAM);
    r = answer(1);
    assert_int_equal(r.id, first);
    assert_int_equal(r.status, BLK_RESP_OK);
    assert_int_equal(client_data(1)[512], 128);
    r = answer(1);
    assert_int_equal(r.id, last);
    assert_int_equal(client_data(1)[UNIT + 512], 255);
    /* Client 1: last block 99 (disk unit 100); block 100 is past its end. */
    send(0, BLK_REQ_READ, 99, 1, 0);
    uint32_t beyond = send(0, BLK_REQ_READ, 100, 1, 0);
    process();
    serve(8);
    process();
    r = answer(0);
    assert_int_equal(r.id, beyond);
    assert_int_equal(r.status, BLK_RESP_ERR_INVALID_PARAM);
    r = answer(0);
    assert_int_equal(r.status, BLK_RESP_OK);
    assert_int_equal(client_data(0)[512], 100);
}

static void bad_requests_are_answered_not_forwarded(void **state)
{
    (void)state;
    start();
    uint32_t ids[] = {
        send(0, BLK_REQ_READ, 0, 0, 0),                 /* zero count */
        send(0, 7, 0, 1, 0),                            /* unknown code */
        send(0, BLK_REQ_WRITE, 0, 1, 100),              /* unaligned data offset */
        send(0, BLK_REQ_READ, 0, 17, 0),                /* more than the data region */
        send(0, BLK_REQ_READ, 0, 1, CLIENT_DATA),       /* offset past the data region */
        send(0, BLK_REQ_READ, UINT64_MAX, 2, 0),        /* block + count wraps */
        send(0, BLK_REQ_READ, 0, 1, UINT64_MAX - 4095), /* offset + bytes wraps */
    };
    process();
    assert_int_equal(serve(8), 0);
    for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct blk_response r = answer(0);
        assert_int_equal(r.id, ids[i]);
        assert_int_equal(r.status, BLK_RESP_ERR_INVALID_PARAM);
    }
}

static void writes_reach_the_partition_and_flush_is_forwarded(void **state)
{
    (void)state;
    start();
    memset(client_data(0), 0xab, UNIT);
    send(0, BLK_REQ_WRITE, 5, 1, 0);
    uint32_t flush = send(0, BLK_REQ_FLUSH, 0, 0, 0);
    process();
    assert_int_equal(serve(8), 2);
    process();
    answer(0);
    struct blk_response r = answer(0);
    assert_int_equal(r.id, flush);
    assert_int_equal(r.status, BLK_RESP_OK);
    assert_int_equal(disk[6 * UNIT], 0xab); /* partition 1 starts at unit 1 */
    assert_int_equal(disk[5 * UNIT + 600], 5);
}

/* A slow disk and clients sending more than fits anywhere: every request answered exactly once. */
static void back_pressure_loses_nothing(void **state)
{
    (void)state;
    start();
    const unsigned total = 2000; /* far more than the queues (about 100 entries) or the ids hold */
    unsigned sent[CLIENTS] = {0}, answered[CLIENTS] = {0};
    static uint8_t seen[CLIENTS][4096];
    memset(seen, 0, sizeof(seen));
    uint32_t base = next_id;
    for (unsigned step = 0; step < 100000 && (answered[0] < total || answered[1] < total); step++) {
        for (unsigned c = 0; c < CLIENTS; c++) {
            while (sent[c] < total && blk_request_space(&client_ends[c]) > 0) {
                send(c, BLK_REQ_READ, sent[c] % 16, 1, (sent[c] % 16) * UNIT);
                sent[c]++;
            }
        }
        process();
        serve(3); /* slower than the clients */
        process();
        struct blk_response r;
        for (unsigned c = 0; c < CLIENTS; c++) {
            while (blk_dequeue_response(&client_ends[c], &r)) {
                assert_int_equal(r.status, BLK_RESP_OK);
                uint32_t k = r.id - base;
                assert_true(k < 4096);
                assert_int_equal(seen[c][k % 4096], 0); /* never answered twice */
                seen[c][k % 4096] = 1;
                answered[c]++;
            }
        }
    }
    assert_int_equal(answered[0], total);
    assert_int_equal(answered[1], total);
    assert_int_equal(virt.free_count, BLK_VIRT_MAX_INFLIGHT);
    assert_int_equal(virt.clients[0].owed, 0);
}

/* A client that reads no answers only stops itself, and loses none once it reads again. */
static void a_client_that_reads_no_answers_stops_only_itself(void **state)
{
    (void)state;
    start();
    uint32_t capacity = client_ends[0].responses.capacity;
    unsigned sent = 0;
    for (unsigned i = 0; i < 4 * capacity; i++) {
        while (blk_request_space(&client_ends[0]) > 0) {
            send(0, BLK_REQ_READ, 0, 1, 0);
            sent++;
        }
        process();
        serve(64);
        process();
    }
    assert_true(sent > capacity); /* more than its answers can hold */
    assert_true(virt.clients[0].owed <= capacity);
    /* Client 2 still works meanwhile. */
    uint32_t id = send(1, BLK_REQ_READ, 3, 1, 0);
    process();
    serve(64);
    process();
    struct blk_response r = answer(1);
    assert_int_equal(r.id, id);
    assert_int_equal(r.status, BLK_RESP_OK);
    /* Client 1 reads again: every request it sent is answered, once. */
    unsigned answered = 0;
    for (unsigned i = 0; i < 1000 && answered < sent; i++) {
        while (blk_dequeue_response(&client_ends[0], &r)) {
            assert_int_equal(r.status, BLK_RESP_OK);
            answered++;
        }
        process();
        serve(64);
        process();
    }
    assert_int_equal(answered, sent);
}

/* The driver VM stops before the disk is ready: no client waits for it any longer. */
static void a_driver_that_stops_before_the_disk_is_ready_leaves_every_client_without_one(void **state)
{
    (void)state;
    process();
    struct blk_virt_actions a;
    blk_virt_driver_stopped(&virt, &a);
    assert_int_equal(virt.state, BLK_VIRT_NO_DISK);
    assert_true(a.report);
    assert_int_equal(a.notify_clients, 3);
    assert_int_equal(blk_storage_state(&client_info[0]), BLK_STORAGE_ABSENT);
    char text[200];
    describe(1, text);
    assert_string_equal(text, "client 2: no disk: the disk driver stopped before the disk was ready");
    /* Later requests are answered here, at once. */
    uint32_t id = send(0, BLK_REQ_READ, 0, 1, 0);
    process();
    struct blk_response r = answer(0);
    assert_int_equal(r.id, id);
    assert_int_equal(r.status, BLK_RESP_ERR_NO_DEVICE);
    /* A second word of the same is a no-op. */
    blk_virt_driver_stopped(&virt, &a);
    assert_false(a.report);
}

/* The driver VM stops with requests in flight: each gets exactly one error answer, now, and
 * whatever the dead driver's queue still says later is ignored. */
static void a_driver_that_stops_while_running_fails_what_it_held_and_everything_after(void **state)
{
    (void)state;
    start();
    uint32_t first = send(0, BLK_REQ_READ, 1, 1, 0);
    uint32_t second = send(1, BLK_REQ_WRITE, 2, 1, 0);
    process();
    assert_int_equal(virt.clients[0].owed, 1);
    struct blk_virt_actions a;
    blk_virt_driver_stopped(&virt, &a);
    assert_int_equal(a.notify_clients, 3);
    assert_true(a.report);
    struct blk_response r = answer(0);
    assert_int_equal(r.id, first);
    assert_int_equal(r.status, BLK_RESP_ERR_NO_DEVICE);
    r = answer(1);
    assert_int_equal(r.id, second);
    assert_int_equal(r.status, BLK_RESP_ERR_NO_DEVICE);
    assert_int_equal(virt.free_count, BLK_VIRT_MAX_INFLIGHT);
    assert_int_equal(virt.clients[1].owed, 0);
    char text[200];
    describe(0, text);
    assert_string_equal(text, "client 1: no disk: the disk driver stopped (its requests in flight failed)");
    /* The dead driver's queue answering now changes nothing: nobody gets a second answer. */
    serve(8);
    process();
    assert_false(blk_dequeue_response(&client_ends[0], &r));
    assert_false(blk_dequeue_response(&client_ends[1], &r));
    uint32_t third = send(1, BLK_REQ_READ, 0, 1, 0);
    process();
    r = answer(1);
    assert_int_equal(r.id, third);
    assert_int_equal(r.status, BLK_RESP_ERR_NO_DEVICE);
}

static void bogus_driver_answers_are_counted_and_ignored(void **state)
{
    (void)state;
    start();
    struct blk_response bogus[] = {{BLK_RESP_OK, 5000, 1, 0}, {BLK_RESP_OK, 17, 1, 0}}; /* out of range, unused */
    for (unsigned i = 0; i < 2; i++) {
        assert_true(blk_enqueue_response(&driver_server, &bogus[i]));
    }
    process();
    assert_int_equal(virt.bogus_responses, 2);
    struct blk_response r;
    assert_false(blk_dequeue_response(&client_ends[0], &r));
    assert_false(blk_dequeue_response(&client_ends[1], &r));
    /* A wild status is passed on as an unspecified error, a wild count clamped. */
    send(0, BLK_REQ_READ, 0, 2, 0);
    process();
    struct blk_request q;
    assert_true(blk_dequeue_request(&driver_server, &q));
    struct blk_response wild = {99, q.id, 1000, 0};
    assert_true(blk_enqueue_response(&driver_server, &wild));
    process();
    r = answer(0);
    assert_int_equal(r.status, BLK_RESP_ERR_UNSPEC);
    assert_int_equal(r.success_count, 2);
}

static void queue_capacity_and_request_checks(void **state)
{
    (void)state;
    assert_int_equal(blk_queue_capacity(0x1000, sizeof(struct blk_request)), 64);
    assert_int_equal(blk_queue_capacity(0x1000, sizeof(struct blk_response)), 128);
    assert_int_equal(blk_queue_capacity(64, sizeof(struct blk_request)), 0);
    struct blk_queue_handle h;
    assert_false(blk_queue_init(&h, driver_regions.requests, 64, driver_regions.responses, QUEUE_REGION));
    struct blk_request flush_with_count = {BLK_REQ_FLUSH, 1, 0, 0, 1, 0};
    assert_int_equal(blk_request_check(&flush_with_count, 10, UNIT), BLK_RESP_ERR_INVALID_PARAM);
    struct blk_request exact = {BLK_REQ_WRITE, 1, UNIT, 8, 2, 0};
    assert_int_equal(blk_request_check(&exact, 10, 3 * UNIT), BLK_RESP_OK);
    exact.block_number = 9;
    assert_int_equal(blk_request_check(&exact, 10, 3 * UNIT), BLK_RESP_ERR_INVALID_PARAM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(waits_for_the_disk_then_assigns_partitions, setup, teardown),
        cmocka_unit_test_setup_teardown(a_disk_the_driver_reports_absent_leaves_every_client_without_one, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_unusable_disk_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failed_mbr_read_is_retried_a_bounded_number_of_times, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_partitions_leave_the_other_client_its_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(no_mbr_signature_refuses_both, setup, teardown),
        cmocka_unit_test_setup_teardown(reads_are_translated_at_partition_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_requests_are_answered_not_forwarded, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_reach_the_partition_and_flush_is_forwarded, setup, teardown),
        cmocka_unit_test_setup_teardown(back_pressure_loses_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(a_client_that_reads_no_answers_stops_only_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(bogus_driver_answers_are_counted_and_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(a_driver_that_stops_before_the_disk_is_ready_leaves_every_client_without_one,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_driver_that_stops_while_running_fails_what_it_held_and_everything_after,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(queue_capacity_and_request_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(descriptions_fit_the_buffer_given, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
