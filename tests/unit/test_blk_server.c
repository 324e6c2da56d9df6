/*
 * The block server against a model disk: reads and writes land where they should, a FLUSH is
 * answered only after the backend flushed (and after the writes before it), bad requests and
 * requests straddling two windows are refused, I/O errors are reported with how much was done,
 * and a full response queue holds the answer instead of dropping it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../drivers/blk/server.h"

#define UNIT       BLK_TRANSFER_SIZE
#define DISK_UNITS 64u

static uint8_t disk[DISK_UNITS * UNIT];
static uint8_t window_a[4 * UNIT], window_b[8 * UNIT];
static void *requests, *responses;
static struct blk_queue_handle client;
static struct blk_server server;
static unsigned writes_done, flushes, writes_at_flush;
static uint64_t fail_at = UINT64_MAX; /* disk byte where I/O stops */

static size_t do_io(uint64_t offset, void *buffer, size_t length, bool write)
{
    size_t done = length;
    if (fail_at >= offset && fail_at < offset + length) {
        done = (size_t)(fail_at - offset);
    }
    if (write) {
        memcpy(disk + offset, buffer, done);
        writes_done++;
    } else {
        memcpy(buffer, disk + offset, done);
    }
    return done;
}

static size_t model_read(void *context, uint64_t offset, void *buffer, size_t length)
{
    (void)context;
    return do_io(offset, buffer, length, false);
}

static size_t model_write(void *context, uint64_t offset, const void *buffer, size_t length)
{
    (void)context;
    return do_io(offset, (void *)buffer, length, true);
}

static int model_flush(void *context)
{
    (void)context;
    flushes++;
    writes_at_flush = writes_done;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    for (unsigned i = 0; i < sizeof(disk); i++) {
        disk[i] = (uint8_t)(i / UNIT);
    }
    requests = aligned_alloc(4096, 0x1000);
    responses = aligned_alloc(4096, 0x1000);
    memset(requests, 0, 0x1000);
    memset(responses, 0, 0x1000);
    struct blk_queue_handle server_end;
    assert_true(blk_queue_init(&server_end, requests, 0x1000, responses, 0x1000));
    assert_true(blk_queue_init(&client, requests, 0x1000, responses, 0x1000));
    struct blk_server_backend backend = {0, model_read, model_write, model_flush};
    /* The data space: window a at 0 (4 units), a gap, window b at 8 units (8 units). */
    struct blk_server_window windows[] = {{0, sizeof(window_a), window_a}, {8 * UNIT, sizeof(window_b), window_b}};
    assert_true(blk_server_init(&server, server_end, &backend, DISK_UNITS, windows, 2));
    writes_done = flushes = writes_at_flush = 0;
    fail_at = UINT64_MAX;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(requests);
    free(responses);
    return 0;
}

static void request(uint32_t code, uint32_t id, uint64_t offset, uint64_t block, uint32_t count)
{
    struct blk_request r = {code, id, offset, block, count, 0};
    assert_true(blk_enqueue_request(&client, &r));
}

static struct blk_response response(void)
{
    struct blk_response r;
    assert_true(blk_dequeue_response(&client, &r));
    return r;
}

static void reads_and_writes_use_the_right_window(void **state)
{
    (void)state;
    request(BLK_REQ_READ, 1, 9 * UNIT, 5, 2); /* units 5, 6 into window b's second and third units */
    memset(window_a, 0xee, UNIT);
    request(BLK_REQ_WRITE, 2, 0, 40, 1);
    bool notify;
    assert_int_equal(blk_server_serve(&server, 100, &notify), 2);
    assert_true(notify);
    struct blk_response r = response();
    assert_int_equal(r.id, 1);
    assert_int_equal(r.status, BLK_RESP_OK);
    assert_int_equal(r.success_count, 2);
    assert_int_equal(window_b[UNIT], 5);
    assert_int_equal(window_b[2 * UNIT + 100], 6);
    r = response();
    assert_int_equal(r.id, 2);
    assert_int_equal(disk[40 * UNIT + 7], 0xee);
}

static void a_flush_follows_the_writes_before_it(void **state)
{
    (void)state;
    request(BLK_REQ_WRITE, 1, 0, 1, 1);
    request(BLK_REQ_WRITE, 2, UNIT, 2, 1);
    request(BLK_REQ_FLUSH, 3, 0, 0, 0);
    bool notify;
    assert_int_equal(blk_server_serve(&server, 100, &notify), 3);
    assert_int_equal(flushes, 1);
    assert_int_equal(writes_at_flush, 2);
    response();
    response();
    struct blk_response r = response();
    assert_int_equal(r.id, 3);
    assert_int_equal(r.status, BLK_RESP_OK);
}

static void bad_and_straddling_requests_are_refused(void **state)
{
    (void)state;
    request(BLK_REQ_READ, 1, 3 * UNIT, 0, 2);   /* window a's last unit and the gap */
    request(BLK_REQ_READ, 2, 5 * UNIT, 0, 1);   /* in the gap */
    request(BLK_REQ_READ, 3, 0, DISK_UNITS, 1); /* past the disk */
    request(9, 4, 0, 0, 1);                     /* unknown */
    request(BLK_REQ_READ, 5, 8 * UNIT, 0, 8);   /* exactly window b: fine */
    bool notify;
    assert_int_equal(blk_server_serve(&server, 100, &notify), 5);
    for (uint32_t id = 1; id <= 4; id++) {
        struct blk_response r = response();
        assert_int_equal(r.id, id);
        assert_int_equal(r.status, BLK_RESP_ERR_INVALID_PARAM);
    }
    assert_int_equal(response().status, BLK_RESP_OK);
    assert_int_equal(server.refused, 4);
}

static void an_io_error_says_how_much_was_done(void **state)
{
    (void)state;
    fail_at = 12 * UNIT + 100; /* inside the third unit of the read */
    request(BLK_REQ_READ, 1, 8 * UNIT, 10, 4);
    bool notify;
    blk_server_serve(&server, 100, &notify);
    struct blk_response r = response();
    assert_int_equal(r.status, BLK_RESP_ERR_IO);
    assert_int_equal(r.success_count, 2);
}

static void a_full_response_queue_holds_the_answer(void **state)
{
    (void)state;
    uint32_t capacity = client.responses.capacity;
    uint32_t sent = 0;
    bool notify;
    /* More requests than answers fit; the client reads nothing for a while. */
    for (unsigned round = 0; round < 4; round++) {
        while (blk_request_space(&client) > 0) {
            request(BLK_REQ_READ, sent++, 0, 0, 1);
        }
        blk_server_serve(&server, 1000, &notify);
    }
    assert_true(sent > capacity);
    assert_true(server.holding);
    uint32_t next = 0;
    for (unsigned round = 0; round < 100 && next < sent; round++) {
        struct blk_response r;
        while (blk_dequeue_response(&client, &r)) {
            assert_int_equal(r.id, next); /* in order, none lost, none twice */
            next++;
        }
        blk_server_serve(&server, 1000, &notify);
    }
    assert_int_equal(next, sent);
}

static void windows_must_be_in_order_and_whole_units(void **state)
{
    (void)state;
    struct blk_server s;
    struct blk_server_backend backend = {0, model_read, model_write, model_flush};
    struct blk_server_window overlapping[] = {{0, 2 * UNIT, window_a}, {UNIT, UNIT, window_b}};
    assert_false(blk_server_init(&s, client, &backend, DISK_UNITS, overlapping, 2));
    struct blk_server_window ragged[] = {{0, UNIT + 1, window_a}};
    assert_false(blk_server_init(&s, client, &backend, DISK_UNITS, ragged, 1));
    struct blk_server_window wrapping[] = {{UINT64_MAX - UNIT + 1, UNIT, window_a}};
    assert_false(blk_server_init(&s, client, &backend, DISK_UNITS, wrapping, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reads_and_writes_use_the_right_window, setup, teardown),
        cmocka_unit_test_setup_teardown(a_flush_follows_the_writes_before_it, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_and_straddling_requests_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(an_io_error_says_how_much_was_done, setup, teardown),
        cmocka_unit_test_setup_teardown(a_full_response_queue_holds_the_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(windows_must_be_in_order_and_whole_units, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
