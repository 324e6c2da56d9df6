/* The serial virtualisers over real queues in host memory: signalling, the TX multiplexer's
 * colours and cut points, the RX router's switching and back-pressure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "../../drivers/serial/queue.h"
#include "../../drivers/serial/serial.h"
#include "../../drivers/serial/virt_rx.h"
#include "../../drivers/serial/virt_tx.h"
#include "spsc_race.h"

#define GREEN "\033[32m"
#define RED   "\033[31m"
#define RESET "\033[0m"

struct ring {
    struct serial_queue header;
    char data[4096];
    struct serial_queue_handle peer; /* the other side's handle */
};

static void ring_init(struct ring *r, uint32_t capacity)
{
    memset(r, 0, sizeof(*r));
    assert_true(serial_queue_init(&r->peer, &r->header, r->data, capacity));
}

static void ring_put(struct ring *r, const char *text)
{
    uint32_t n = (uint32_t)strlen(text);
    assert_int_equal(serial_enqueue_batch(&r->peer, text, n), n);
}

/* Everything waiting in the ring, as a string. */
static char *ring_take(struct ring *r)
{
    static char out[8192];
    uint32_t n = serial_dequeue_batch(&r->peer, out, sizeof(out) - 1);
    out[n] = '\0';
    return out;
}

/* ---- queue signalling and spans ---- */

static void queue_rejects_bad_capacity(void **state)
{
    (void)state;
    struct ring r;
    struct serial_queue_handle h;
    memset(&r, 0, sizeof(r));
    assert_false(serial_queue_init(&h, &r.header, r.data, 0));
    assert_false(serial_queue_init(&h, &r.header, r.data, 3000));
    assert_int_equal(serial_enqueue_batch(&h, "x", 1), 0); /* unusable, never out of bounds */
    assert_int_equal(serial_queue_length(&h), 0);
}

static void queue_signals_only_when_requested(void **state)
{
    (void)state;
    struct ring r;
    struct serial_queue_handle producer;
    ring_init(&r, 16);
    producer = r.peer;
    struct serial_queue_handle consumer = r.peer;
    /* Fresh shared memory: both sides want to hear (zeroed flags). */
    assert_true(serial_queue_take_data_signal(&producer));
    assert_false(serial_queue_take_data_signal(&producer)); /* taken: one notification per request */
    serial_queue_request_data_signal(&consumer);
    assert_true(serial_queue_take_data_signal(&producer));
    assert_true(serial_queue_take_space_signal(&consumer));
    assert_false(serial_queue_take_space_signal(&consumer));
    serial_queue_request_space_signal(&producer);
    assert_true(serial_queue_take_space_signal(&consumer));
}

static void queue_spans_stop_at_the_wrap(void **state)
{
    (void)state;
    struct ring r;
    ring_init(&r, 16);
    r.header.head = r.header.tail = 12;
    char *w;
    assert_int_equal(serial_queue_write_span(&r.peer, &w), 4);
    memcpy(w, "abcd", 4);
    serial_queue_produce(&r.peer, 4);
    assert_int_equal(serial_queue_write_span(&r.peer, &w), 12);
    memcpy(w, "efgh", 4);
    serial_queue_produce(&r.peer, 4);
    const char *b;
    assert_int_equal(serial_queue_read_span(&r.peer, &b), 4);
    assert_memory_equal(b, "abcd", 4);
    serial_queue_consume(&r.peer, 100); /* more than there is: clamped */
    assert_int_equal(serial_queue_length(&r.peer), 0);
    char c;
    assert_false(serial_queue_peek(&r.peer, 0, &c));
}

/* ---- TX multiplexer ---- */

static struct ring driver, out1, out2, notices;
static struct serial_tx_virt tx;

static int tx_setup(void **state)
{
    (void)state;
    spsc_race_disarm();
    ring_init(&driver, 4096);
    ring_init(&out1, 1024);
    ring_init(&out2, 1024);
    ring_init(&notices, 256);
    serial_tx_init(&tx);
    assert_true(serial_queue_init(&tx.driver, &driver.header, driver.data, 4096));
    assert_int_equal(serial_tx_add_client(&tx, &out1.header, out1.data, 1024, "32"), 0);
    assert_int_equal(serial_tx_add_client(&tx, &out2.header, out2.data, 1024, "31"), 1);
    assert_int_equal(serial_tx_add_client(&tx, &notices.header, notices.data, 256, NULL), 2);
    return 0;
}

static void tx_colours_each_piece_and_resets(void **state)
{
    (void)state;
    struct serial_tx_actions a;
    ring_put(&out1, "login: ");
    ring_put(&out2, "hello\r\n");
    serial_tx_process(&tx, &a);
    assert_true(a.notify_driver); /* the driver's flag starts as "wants a signal" */
    assert_string_equal(ring_take(&driver), GREEN "login: " RESET RED "hello\r\n" RESET);
    ring_put(&notices, "serial: note\r\n");
    serial_tx_process(&tx, &a);
    assert_false(a.notify_driver);                               /* the driver did not ask again */
    assert_string_equal(ring_take(&driver), "serial: note\r\n"); /* no colour, no reset */
}

static void tx_rejects_bad_colours(void **state)
{
    (void)state;
    struct ring r;
    ring_init(&r, 64);
    assert_int_equal(serial_tx_add_client(&tx, &r.header, r.data, 64, "3\033[1m"), -1);
    assert_int_equal(serial_tx_add_client(&tx, &r.header, r.data, 64, "1;2;3;4;5;6;7;8;9"), -1);
    assert_int_equal(serial_tx_add_client(&tx, &r.header, r.data, 63, "33"), -1);
}

static void tx_never_cuts_inside_an_escape_or_character(void **state)
{
    (void)state;
    struct serial_tx_actions a;
    ring_put(&out1, "ab\033[1;3"); /* the sequence is not complete yet */
    serial_tx_process(&tx, &a);
    assert_string_equal(ring_take(&driver), GREEN "ab" RESET);
    ring_put(&out2, "x\xc3"); /* half of a two-byte UTF-8 character */
    serial_tx_process(&tx, &a);
    assert_string_equal(ring_take(&driver), RED "x" RESET);
    ring_put(&out1, "1mbold\033]0;title\007");
    ring_put(&out2, "\xa9!");
    serial_tx_process(&tx, &a);
    assert_string_equal(ring_take(&driver), GREEN "\033[1;31mbold\033]0;title\007" RESET RED "\xc3\xa9!" RESET);
}

static void tx_gives_up_on_endless_sequences(void **state)
{
    (void)state;
    struct serial_tx_actions a;
    char junk[200] = "\033[";
    memset(junk + 2, '1', sizeof(junk) - 3);
    ring_put(&out1, junk);
    serial_tx_process(&tx, &a);
    /* Past SERIAL_TX_MAX_SEQUENCE bytes it is plain text: all of it goes, in one piece. */
    char *got = ring_take(&driver);
    assert_int_equal(strlen(got), 5 + 199 + 4);
    assert_memory_equal(got + 5, junk, 199);
}

static void tx_waits_for_driver_space_and_loses_nothing(void **state)
{
    (void)state;
    struct serial_tx_actions a;
    /* Fill the driver ring to 20 bytes short of full. */
    static char filler[4096 - 20];
    memset(filler, '.', sizeof(filler));
    assert_int_equal(serial_enqueue_batch(&driver.peer, filler, sizeof(filler)), sizeof(filler));
    ring_put(&out1, "first line\nsecond line\n"); /* 23 bytes: only the first line fits */
    serial_tx_process(&tx, &a);
    assert_int_equal(serial_queue_length(&driver.peer), 4096 - 20 + 5 + 11 + 4);
    assert_int_equal(driver.header.producer_signalled, 0); /* asked the driver for a signal */
    assert_int_equal(serial_queue_length(&out1.peer), 12);
    char drop[4096];
    serial_dequeue_batch(&driver.peer, drop, 4096 - 20);
    assert_string_equal(ring_take(&driver), GREEN "first line\n" RESET);
    serial_tx_process(&tx, &a); /* the driver's signal */
    assert_string_equal(ring_take(&driver), GREEN "second line\n" RESET);
}

static void tx_tells_a_blocked_client_when_space_frees(void **state)
{
    (void)state;
    struct serial_tx_actions a;
    out2.header.producer_signalled = 1;
    ring_put(&out2, "data");
    serial_tx_process(&tx, &a);
    assert_int_equal(a.notify_clients, 0); /* client 2 never asked */
    ring_take(&driver);
    serial_queue_request_space_signal(&out2.peer); /* client 2's VMM found its queue full */
    ring_put(&out2, "more");
    serial_tx_process(&tx, &a);
    assert_int_equal(a.notify_clients, 1u << 1);
}

static void tx_interleaves_two_busy_clients_in_order(void **state)
{
    (void)state;
    /* Two clients write numbered lines faster than the driver drains; every line of each
     * arrives once, in order, and each piece is wrapped in its own colour. */
    char got1[65536] = "", got2[65536] = "";
    size_t len1 = 0, len2 = 0;
    unsigned next1 = 0, next2 = 0;
    char line[32];
    for (unsigned round = 0; round < 4000; round++) {
        struct serial_tx_actions a;
        for (int k = 0; k < 3 && next1 < 2000; k++) {
            snprintf(line, sizeof(line), "one %u\r\n", next1);
            if (serial_queue_free(&out1.peer) < strlen(line)) {
                break;
            }
            ring_put(&out1, line);
            next1++;
        }
        if (next2 < 2000) {
            snprintf(line, sizeof(line), "two %u\r\n", next2);
            if (serial_queue_free(&out2.peer) >= strlen(line)) {
                ring_put(&out2, line);
                next2++;
            }
        }
        serial_tx_process(&tx, &a);
        /* Drain the driver slowly: 40 bytes a round, and parse pieces by colour. */
        static char stream[1 << 20];
        static size_t stream_len;
        stream_len += serial_dequeue_batch(&driver.peer, stream + stream_len, 40);
        stream[stream_len] = '\0';
        char *p = stream;
        for (;;) {
            char *end = strstr(p + 1, RESET);
            if (end == NULL || (strncmp(p, GREEN, 5) != 0 && strncmp(p, RED, 5) != 0)) {
                break;
            }
            bool green = strncmp(p, GREEN, 5) == 0;
            size_t n = (size_t)(end - (p + 5));
            memcpy(green ? got1 + len1 : got2 + len2, p + 5, n);
            if (green) {
                len1 += n;
            } else {
                len2 += n;
            }
            p = end + 4;
        }
        memmove(stream, p, stream_len - (size_t)(p - stream));
        stream_len -= (size_t)(p - stream);
    }
    got1[len1] = got2[len2] = '\0';
    assert_int_equal(next1, 2000);
    assert_int_equal(next2, 2000);
    char *p1 = got1, *p2 = got2;
    for (unsigned i = 0; i < 2000; i++) {
        snprintf(line, sizeof(line), "one %u\r\n", i);
        assert_memory_equal(p1, line, strlen(line));
        p1 += strlen(line);
        snprintf(line, sizeof(line), "two %u\r\n", i);
        assert_memory_equal(p2, line, strlen(line));
        p2 += strlen(line);
    }
    assert_int_equal(*p1, '\0');
    assert_int_equal(*p2, '\0');
}

/* ---- peers that change the indices while the virtualisers work (issue 13) ---- */

static void tx_client_taking_back_its_data_cannot_hang_it(void **state)
{
    (void)state;
    struct serial_tx_actions a;
    ring_put(&out1, "hello\n");
    /* Right after the TX virtualiser reads client 1's tail, the client takes its bytes back. The
     * piece is what was there when it looked; then the queue reads as corrupt, and the call ends. */
    struct spsc_race_rewrite take_back = {&out1.header.tail, &out1.header.tail, 0, false};
    spsc_race_arm(spsc_race_rewrite_once, &take_back, 10000);
    serial_tx_process(&tx, &a);
    spsc_race_disarm();
    assert_true(take_back.acted);
    assert_string_equal(ring_take(&driver), GREEN "hello\n" RESET);
    serial_tx_process(&tx, &a);
    assert_string_equal(ring_take(&driver), "");
    assert_true(tx.clients[0].queue.ring.corruptions > 0);
}

/* A producer on another core that keeps one queue full, and a consumer that keeps another empty. */
struct endless {
    struct ring *always_full;
    uint32_t capacity; /* of always_full */
    struct ring *always_empty;
};

static void refill_and_drain(uint32_t *word, uint32_t seen, void *context)
{
    (void)seen;
    struct endless *e = context;
    if (word == &e->always_full->header.tail) {
        e->always_full->header.tail = e->always_full->header.head + e->capacity;
    } else if (word == &e->always_empty->header.head) {
        e->always_empty->header.head = e->always_empty->header.tail;
    }
}

static void tx_endless_client_and_driver_cannot_hold_one_call(void **state)
{
    (void)state;
    struct serial_tx_actions a;
    memset(out1.data, 'x', 1024);
    for (unsigned i = 63; i < 1024; i += 64) {
        out1.data[i] = '\n';
    }
    struct endless e = {&out1, 1024, &driver};
    spsc_race_arm(refill_and_drain, &e, 100000);
    serial_tx_process(&tx, &a);
    spsc_race_disarm();
    /* It stopped after about one driver queue's worth and asked the driver to signal. */
    uint64_t sent = tx.clients[0].bytes;
    assert_true(sent >= 4096 - 1024 && sent <= 4096 + 1024);
    assert_int_equal(driver.header.producer_signalled, 0);
}

/* ---- malformed output cannot hold the console (issue 13, defect 1) ---- */

/* A TX virtualiser whose client 1 is green with a 1 KiB queue and client 2 red with a queue as big
 * as the driver's: a full client 2 then has more waiting than any one piece can carry. */
static struct ring big_out2;
static struct serial_tx_virt tx_big;

static void tx_big_setup(void)
{
    ring_init(&driver, 4096);
    ring_init(&out1, 1024);
    ring_init(&big_out2, 4096);
    serial_tx_init(&tx_big);
    assert_true(serial_queue_init(&tx_big.driver, &driver.header, driver.data, 4096));
    assert_int_equal(serial_tx_add_client(&tx_big, &out1.header, out1.data, 1024, "32"), 0);
    assert_int_equal(serial_tx_add_client(&tx_big, &big_out2.header, big_out2.data, 4096, "31"), 1);
}

/* Process and drain the driver until nothing moves; the pieces of each colour, joined, in
 * *green and *red (static buffers). */
static void tx_big_drain(char **green, char **red, size_t *green_length, size_t *red_length)
{
    static char g[1 << 16], r[1 << 16], stream[1 << 16];
    size_t gl = 0, rl = 0;
    for (unsigned round = 0; round < 100; round++) {
        struct serial_tx_actions a;
        serial_tx_process(&tx_big, &a);
        uint32_t n = serial_dequeue_batch(&driver.peer, stream, sizeof(stream));
        if (n == 0) {
            break;
        }
        /* Every piece is colour, text, reset; the text here never holds an escape. */
        for (uint32_t i = 0; i < n;) {
            assert_true(n - i > 9);
            bool is_green = memcmp(stream + i, GREEN, 5) == 0;
            assert_true(is_green || memcmp(stream + i, RED, 5) == 0);
            uint32_t end = i + 5;
            while (end + 4 <= n && memcmp(stream + end, RESET, 4) != 0) {
                end++;
            }
            assert_true(end + 4 <= n);
            size_t length = end - (i + 5);
            memcpy(is_green ? g + gl : r + rl, stream + i + 5, length);
            *(is_green ? &gl : &rl) += length;
            i = end + 4;
        }
    }
    *green = g;
    *red = r;
    *green_length = gl;
    *red_length = rl;
}

static void tx_run_of_lead_bytes_cannot_freeze_the_console(void **state)
{
    (void)state;
    tx_big_setup();
    /* Client 2 fills its queue with UTF-8 lead bytes (0xe5 starts a three-byte character), as
     * `tr '\000' '\345'` does; then client 1 prints a line. */
    static char leads[4096];
    memset(leads, '\xe5', sizeof(leads));
    assert_int_equal(serial_enqueue_batch(&big_out2.peer, leads, sizeof(leads)), sizeof(leads));
    struct serial_tx_actions a;
    serial_tx_process(&tx_big, &a);
    ring_put(&out1, "marker\r\n");
    char *green, *red;
    size_t green_length, red_length;
    tx_big_drain(&green, &red, &green_length, &red_length);
    /* Client 1's line arrives, and so do client 2's bytes, unchanged: each lead byte followed by
     * another was never completed, so it is a character of its own. The last one may still be,
     * so it waits for what comes next. */
    assert_int_equal(green_length, 8);
    assert_memory_equal(green, "marker\r\n", 8);
    assert_int_equal(red_length, sizeof(leads) - 1);
    assert_memory_equal(red, leads, sizeof(leads) - 1);
    assert_int_equal(serial_queue_length(&big_out2.peer), 1);
}

static void tx_lead_bytes_in_a_small_queue_still_leave(void **state)
{
    (void)state;
    struct serial_tx_actions a;
    /* Client 2's queue (1 KiB) full of lead bytes fits the driver's room: it must not sit there
     * waiting for continuation bytes that cannot come, since its queue is full. */
    static char leads[1024];
    memset(leads, '\xe5', sizeof(leads));
    assert_int_equal(serial_enqueue_batch(&out2.peer, leads, sizeof(leads)), sizeof(leads));
    serial_tx_process(&tx, &a);
    char *got = ring_take(&driver);
    assert_int_equal(strlen(got), 5 + 1023 + 4); /* the last one may yet be completed */
    assert_memory_equal(got, RED, 5);
    assert_memory_equal(got + 5, leads, 1023);
    assert_int_equal(serial_queue_length(&out2.peer), 1);
    ring_put(&out2, "\x98\xaf"); /* it was: U+5BEF */
    serial_tx_process(&tx, &a);
    assert_string_equal(ring_take(&driver), RED "\xe5\x98\xaf" RESET);
}

static void tx_malformed_utf8_is_cut_where_it_breaks(void **state)
{
    (void)state;
    struct serial_tx_actions a;
    /* A lead byte followed by a byte that cannot continue it ends there: a cut is allowed before
     * the byte that broke it, whatever that byte starts (text, an escape, another character). */
    ring_put(&out1, "a\xe5"
                    "b\xc3\x1b[1m\xf0\x9f\xe5\xe5\x80\x80\xf0\x9f\x98\x80z\xf0");
    /* Leave room for the colour, the reset and 4 bytes of text at a time. */
    static char filler[4096 - 9 - 4];
    memset(filler, '.', sizeof(filler));
    assert_int_equal(serial_enqueue_batch(&driver.peer, filler, sizeof(filler)), sizeof(filler));
    static char text[256];
    size_t length = 0;
    for (unsigned round = 0; round < 20; round++) {
        serial_tx_process(&tx, &a);
        char *got = ring_take(&driver);
        assert_true(strlen(got) >= sizeof(filler));
        got += sizeof(filler);
        size_t n = strlen(got);
        if (n == 0) {
            break;
        }
        assert_true(n > 9 && n <= 9 + 4); /* never more than the room, always something */
        memcpy(text + length, got + 5, n - 9);
        length += n - 9;
        assert_int_equal(serial_enqueue_batch(&driver.peer, filler, sizeof(filler)), sizeof(filler));
    }
    /* Everything but the unfinished character at the end, in order; the valid four-byte character
     * went in one piece (it fills the room exactly). */
    const char *expected = "a\xe5"
                           "b\xc3\x1b[1m\xf0\x9f\xe5\xe5\x80\x80\xf0\x9f\x98\x80z";
    assert_int_equal(length, strlen(expected));
    assert_memory_equal(text, expected, length);
    assert_int_equal(serial_queue_length(&out1.peer), 1);
}

static void tx_unfinished_sequence_filling_its_queue_goes_anyway(void **state)
{
    (void)state;
    struct serial_tx_actions a;
    /* A 32-byte queue full of the start of an OSC string: its client has no room left to end it,
     * so waiting for the end would stall that client for good. It goes as it is. */
    static struct ring tiny;
    ring_init(&tiny, 32);
    assert_int_equal(serial_tx_add_client(&tx, &tiny.header, tiny.data, 32, "33"), 3);
    char osc[33] = "\033]0;";
    memset(osc + 4, 't', 28);
    osc[32] = '\0';
    ring_put(&tiny, osc);
    serial_tx_process(&tx, &a);
    char expected[64];
    snprintf(expected, sizeof(expected), "\033[33m%s" RESET, osc);
    assert_string_equal(ring_take(&driver), expected);
    /* Not full: the rest of a sequence may still come, so it waits. */
    ring_put(&tiny, "\033]0;tt");
    serial_tx_process(&tx, &a);
    assert_string_equal(ring_take(&driver), "");
}

/* A deterministic stream of bytes, biased toward the ones that start or continue something. */
static uint32_t next_random(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static char interesting_byte(uint32_t *seed)
{
    static const char pool[] = {'\033', '[', ']', 'P',    '\\',   '\007', '\n',   '1',    ';',    'm',
                                ' ',    '(', 'A', '\xc3', '\xe5', '\xf0', '\x80', '\x9f', '\xbf', '\xff'};
    uint32_t r = next_random(seed);
    return (r & 3) == 0 ? (char)(r >> 4) : pool[(r >> 4) % sizeof(pool)];
}

static void tx_every_stream_moves_through_a_small_room(void **state)
{
    (void)state;
    /* Whatever a client writes, with room for one longest sequence (SERIAL_TX_MAX_SEQUENCE bytes)
     * and more waiting than that, a piece goes: nothing a client writes can stall the console.
     * The stream is uncoloured (like the notice stream), so what arrives must be it exactly. */
    static struct ring stream_out;
    static struct serial_tx_virt t;
    ring_init(&driver, 4096);
    ring_init(&stream_out, 4096);
    serial_tx_init(&t);
    assert_true(serial_queue_init(&t.driver, &driver.header, driver.data, 4096));
    assert_int_equal(serial_tx_add_client(&t, &stream_out.header, stream_out.data, 4096, NULL), 0);
    static char written[1 << 16], read[1 << 16], filler[4096];
    memset(filler, '.', sizeof(filler));
    size_t written_length = 0, read_length = 0;
    uint32_t seed = 13;
    for (unsigned round = 0; round < 30000; round++) {
        /* The client adds a few bytes until it has written enough; then the rest drains. */
        uint32_t add = written_length < sizeof(written) - 256 ? next_random(&seed) % 24 : 0;
        for (uint32_t i = 0; i < add && serial_queue_free(&stream_out.peer) > 0; i++) {
            char b = interesting_byte(&seed);
            assert_int_equal(serial_enqueue_batch(&stream_out.peer, &b, 1), 1);
            written[written_length++] = b;
        }
        /* The driver has room for SERIAL_TX_MAX_SEQUENCE bytes, no more. */
        uint32_t waiting = serial_queue_length(&stream_out.peer);
        assert_int_equal(serial_enqueue_batch(&driver.peer, filler, 4096 - SERIAL_TX_MAX_SEQUENCE),
                         4096 - SERIAL_TX_MAX_SEQUENCE);
        struct serial_tx_actions a;
        serial_tx_process(&t, &a);
        char drop[4096];
        serial_dequeue_batch(&driver.peer, drop, 4096 - SERIAL_TX_MAX_SEQUENCE);
        uint32_t sent = serial_dequeue_batch(&driver.peer, read + read_length, SERIAL_TX_MAX_SEQUENCE);
        if (waiting >= SERIAL_TX_MAX_SEQUENCE) {
            assert_true(sent > 0);
        }
        read_length += sent;
        assert_true(read_length <= written_length);
        if (written_length >= sizeof(written) - 256 && sent == 0) {
            break;
        }
    }
    assert_true(written_length > 10000);
    /* What has not come through yet is at most one unfinished sequence. */
    assert_true(written_length - read_length < SERIAL_TX_MAX_SEQUENCE);
    assert_memory_equal(read, written, read_length);
}

/* ---- RX router ---- */

static struct ring typed, in1, in2, rx_notices;
static struct serial_rx_router rx;

static int rx_setup(void **state)
{
    (void)state;
    spsc_race_disarm();
    ring_init(&typed, 256);
    ring_init(&in1, 16);
    ring_init(&in2, 16);
    ring_init(&rx_notices, 1024);
    serial_rx_router_init(&rx, '@');
    rx.patience_ms = 2000;
    assert_true(serial_queue_init(&rx.driver, &typed.header, typed.data, 256));
    rx.have_notice = serial_queue_init(&rx.notice, &rx_notices.header, rx_notices.data, 1024);
    assert_true(serial_rx_router_add_client(&rx, &in1.header, in1.data, 16));
    assert_true(serial_rx_router_add_client(&rx, &in2.header, in2.data, 16));
    return 0;
}

static void rx_hint_at_start(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    serial_rx_router_start(&rx, &a);
    assert_true(a.notify_notice);
    assert_string_equal(
        ring_take(&rx_notices),
        "\r\nserial: input goes to client 1; type @N to switch to client N (1-2), @@ for a literal @\r\n");
}

static void rx_burst_with_switches(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    ring_put(&typed, "ab@2cd@1e@@f");
    serial_rx_route(&rx, 0, &a);
    assert_string_equal(ring_take(&in1), "abe@f");
    assert_string_equal(ring_take(&in2), "cd");
    assert_int_equal(a.notify_clients, 3); /* both VMMs start wanting a signal */
    assert_true(a.notify_driver);
    assert_string_equal(ring_take(&rx_notices),
                        "\r\nserial: input goes to client 2\r\n\r\nserial: input goes to client 1\r\n");
}

static void rx_full_client_holds_input_back(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    ring_put(&typed, "0123456789abcdefXYZ@2ok"); /* client 1's queue holds 16 */
    serial_rx_route(&rx, 0, &a);
    assert_string_equal(ring_take(&in1), "0123456789abcdef");
    assert_int_equal(serial_queue_length(&typed.peer), 7); /* "XYZ@2ok" still waits, in order */
    assert_int_equal(in1.header.producer_signalled, 0);    /* asked client 1 to signal when it reads */
    assert_non_null(strstr(ring_take(&rx_notices), "client 1 is not taking input"));
    serial_rx_route(&rx, 0, &a); /* client 1 read its input and signalled */
    assert_string_equal(ring_take(&in1), "XYZ");
    assert_string_equal(ring_take(&in2), "ok");
    assert_int_equal(serial_queue_length(&typed.peer), 0);
}

static void rx_switch_target_full_holds_back(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    static const char fill[] = "................";
    assert_int_equal(serial_enqueue_batch(&in2.peer, fill, 16), 16); /* client 2's queue is full */
    ring_put(&typed, "@2x");
    serial_rx_route(&rx, 0, &a);
    /* The switch happened; 'x' waits for client 2, it does not go to client 1. */
    assert_string_equal(ring_take(&in1), "");
    assert_int_equal(serial_queue_length(&typed.peer), 1);
    ring_take(&in2);
    serial_rx_route(&rx, 0, &a);
    assert_string_equal(ring_take(&in2), "x");
}

static void rx_driver_told_when_space_frees(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    typed.header.producer_signalled = 1; /* the driver has not asked */
    ring_put(&typed, "a");
    serial_rx_route(&rx, 0, &a);
    assert_false(a.notify_driver);
    serial_queue_request_space_signal(&typed.peer); /* the driver found the queue full */
    ring_put(&typed, "b");
    serial_rx_route(&rx, 0, &a);
    assert_true(a.notify_driver);
    assert_int_equal(typed.header.consumer_signalled, 0); /* and we wait for more input */
}

static void rx_client_not_reading_is_dropped_so_switching_still_works(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    static const char fill[] = "................";
    assert_int_equal(serial_enqueue_batch(&in1.peer, fill, 16), 16); /* client 1 reads nothing */
    ring_put(&typed, "abc");
    serial_rx_route(&rx, 1000, &a);
    assert_non_null(strstr(ring_take(&rx_notices), "client 1 is not taking input; typing waits for it"));
    ring_put(&typed, "d@2x");
    serial_rx_route(&rx, 2999, &a); /* within its patience: everything still waits, in order */
    assert_int_equal(serial_queue_length(&typed.peer), 7);
    assert_string_equal(ring_take(&in2), "");
    serial_rx_route(&rx, 3000, &a); /* two seconds without reading: it is not reading */
    assert_string_equal(ring_take(&in2), "x");
    assert_int_equal(serial_queue_length(&typed.peer), 0);
    assert_int_equal(rx.dropped[0], 4);
    const char *notices = ring_take(&rx_notices);
    assert_non_null(strstr(notices, "client 1 is not reading; what is typed for it is dropped until it reads"));
    assert_non_null(strstr(notices, "input goes to client 2"));
    /* It reads again: input for it is delivered again, and the loss is reported. */
    ring_take(&in1);
    ring_put(&typed, "@1yz");
    serial_rx_route(&rx, 3500, &a);
    assert_string_equal(ring_take(&in1), "yz");
    assert_non_null(
        strstr(ring_take(&rx_notices), "client 1 reads again; 4 characters typed for it meanwhile were dropped"));
    assert_int_equal(rx.dropped[0], 4);
}

static void rx_clock_going_back_restarts_the_wait(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    static const char fill[] = "................";
    assert_int_equal(serial_enqueue_batch(&in1.peer, fill, 16), 16);
    ring_put(&typed, "a");
    serial_rx_route(&rx, 5000, &a);
    serial_rx_route(&rx, 100, &a); /* earlier than the wait began: not a long wait */
    serial_rx_route(&rx, 2000, &a);
    assert_int_equal(serial_queue_length(&typed.peer), 1);
    assert_int_equal(rx.dropped[0], 0);
    serial_rx_route(&rx, 2100, &a); /* two seconds after the restart */
    assert_int_equal(rx.dropped[0], 1);
}

static void rx_slow_client_within_patience_loses_nothing(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    ring_put(&typed, "0123456789abcdefghijklmnopqrstuvwxyz"); /* 36 characters, room for 16 */
    uint64_t now = 0;
    char got[64] = "";
    for (unsigned round = 0; round < 5; round++) {
        serial_rx_route(&rx, now, &a);
        strcat(got, ring_take(&in1)); /* it reads a little late every time */
        now += 1500;
    }
    assert_string_equal(got, "0123456789abcdefghijklmnopqrstuvwxyz");
    assert_int_equal(rx.dropped[0], 0);
}

static void rx_counts_as_delivered_only_what_it_wrote(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    ring_put(&typed, "a");
    uint32_t tail = in1.header.tail;
    /* Right after the router reads client 1's head, the client scribbles over it. What the router
     * found room for is written and published whole, and counted as such. */
    struct spsc_race_rewrite scribble = {&in1.header.head, &in1.header.head, tail + 5, false};
    spsc_race_arm(spsc_race_rewrite_once, &scribble, 10000);
    serial_rx_route(&rx, 0, &a);
    spsc_race_disarm();
    assert_true(scribble.acted);
    assert_int_equal(rx.delivered[0], 1);
    assert_int_equal(in1.header.tail - tail, rx.delivered[0]);
    assert_int_equal(in1.data[tail % 16], 'a');
    assert_int_equal(serial_queue_length(&typed.peer), 0);
}

static void rx_notice_goes_whole_or_is_counted(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    uint32_t tail = rx_notices.header.tail;
    struct spsc_race_rewrite scribble = {&rx_notices.header.head, &rx_notices.header.head, tail + 7, false};
    spsc_race_arm(spsc_race_rewrite_once, &scribble, 10000);
    serial_rx_router_start(&rx, &a);
    spsc_race_disarm();
    assert_true(scribble.acted);
    const char *hint =
        "\r\nserial: input goes to client 1; type @N to switch to client N (1-2), @@ for a literal @\r\n";
    assert_int_equal(rx_notices.header.tail - tail, strlen(hint));
    assert_memory_equal(rx_notices.data + tail, hint, strlen(hint));
    assert_int_equal(rx.notices_dropped, 0);
}

static void rx_endless_input_cannot_hold_one_call(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    memset(typed.data, 'k', 256);
    /* The driver always has a full queue of typing, and client 1 reads it as fast. */
    struct endless e = {&typed, 256, &in1};
    spsc_race_arm(refill_and_drain, &e, 100000);
    serial_rx_route(&rx, 0, &a);
    spsc_race_disarm();
    assert_true(rx.delivered[0] >= 256 && rx.delivered[0] <= 512);
    assert_int_equal(typed.header.consumer_signalled, 0); /* it asked to hear of more */
}

/* ---- a slow reader and the patience (issue 13, defect 6) ---- */

/* Client 1 is full and then reads one character every 1.5 s, which is within the patience (2 s)
 * each time. Route at each of its reads; return the time 'x' reached client 2, or 0 if it never
 * did in a minute. What client 1 read is appended to `read_by_1`. */
static uint64_t route_while_client_1_trickles(char *read_by_1, size_t size)
{
    for (uint64_t now = 0; now <= 60000; now += 1500) {
        struct serial_rx_actions a;
        serial_rx_route(&rx, now, &a);
        if (strchr(ring_take(&in2), 'x') != NULL) {
            return now;
        }
        char c;
        if (serial_dequeue_batch(&in1.peer, &c, 1) == 1 && strlen(read_by_1) + 1 < size) {
            strncat(read_by_1, &c, 1);
        }
    }
    return 0;
}

static void rx_slow_reader_delays_a_switch_by_one_patience(void **state)
{
    (void)state;
    static const char fill[] = "................";
    assert_int_equal(serial_enqueue_batch(&in1.peer, fill, 16), 16);
    /* Ten characters for client 1, then the person moves to client 2. */
    ring_put(&typed, "0123456789@2x");
    char read_by_1[64] = "";
    uint64_t switched_at = route_while_client_1_trickles(read_by_1, sizeof(read_by_1));
    /* The switch waited for client 1 once: the patience, and at most one of its reads more (the
     * router looks again when it reads); not a patience per held character. */
    assert_true(switched_at > 0 && switched_at <= rx.patience_ms + 1500);
    assert_int_equal(rx.dropped[0], 8); /* "23456789": held past the patience, dropped, counted */
    char c;
    while (serial_dequeue_batch(&in1.peer, &c, 1) == 1) {
        strncat(read_by_1, &c, 1);
    }
    assert_string_equal(read_by_1, "................01");
    const char *notices = ring_take(&rx_notices);
    assert_non_null(strstr(notices, "client 1 is not reading; what is typed for it is dropped until it reads"));
    assert_non_null(strstr(notices, "input goes to client 2"));
}

static void rx_slow_reader_gets_all_its_input_and_one_notice(void **state)
{
    (void)state;
    static const char fill[] = "................";
    assert_int_equal(serial_enqueue_batch(&in1.peer, fill, 16), 16);
    /* No switch waits behind it: a client that reads within the patience each time is reading
     * (SPEC 4), so everything reaches it, in order. */
    ring_put(&typed, "0123456789");
    char read_by_1[64] = "";
    assert_int_equal(route_while_client_1_trickles(read_by_1, sizeof(read_by_1)), 0);
    assert_string_equal(read_by_1, "................0123456789");
    assert_int_equal(rx.dropped[0], 0);
    /* The console hears of the wait once, not once per character: a slow client cannot fill the
     * shared console with notices. */
    const char *notices = ring_take(&rx_notices);
    const char *first = strstr(notices, "client 1 is not taking input");
    assert_non_null(first);
    assert_null(strstr(first + 1, "client 1 is not taking input"));
    assert_null(strstr(notices, "not reading"));
}

static void rx_each_switch_gets_its_own_patience(void **state)
{
    (void)state;
    struct serial_rx_actions a;
    static const char fill[] = "................";
    assert_int_equal(serial_enqueue_batch(&in2.peer, fill, 16), 16);
    /* Client 2 is full. The person switches to it, waits, then leaves before the patience. */
    ring_put(&typed, "@2ab@1c");
    serial_rx_route(&rx, 0, &a);
    serial_rx_route(&rx, 1900, &a);
    assert_int_equal(serial_queue_length(&typed.peer), 5); /* "ab@1c" waits for client 2 */
    char c;
    assert_int_equal(serial_dequeue_batch(&in2.peer, &c, 1), 1);
    serial_rx_route(&rx, 1950, &a); /* 'a' fits; 'b' waits on, the patience already near spent */
    assert_int_equal(serial_queue_length(&typed.peer), 4);
    serial_rx_route(&rx, 2000, &a); /* spent once: 'b' is dropped, "@1" gets through */
    assert_string_equal(ring_take(&in1), "c");
    assert_int_equal(rx.dropped[1], 1);
    /* Client 2 reads everything. Back on it later with more than it holds: a new switch, a new
     * wait with its own patience. */
    ring_take(&in2);
    ring_take(&rx_notices);
    ring_put(&typed, "@2ddddddddddddddddD");
    serial_rx_route(&rx, 10000, &a);
    assert_int_equal(serial_queue_length(&in2.peer), 16); /* the d's, which it has not read yet */
    assert_non_null(strstr(ring_take(&rx_notices), "client 2 reads again; 1 characters typed for it"));
    serial_rx_route(&rx, 11999, &a);
    assert_int_equal(serial_queue_length(&typed.peer), 1); /* 'D' waits */
    serial_rx_route(&rx, 12000, &a);
    assert_int_equal(serial_queue_length(&typed.peer), 0);
    assert_int_equal(rx.dropped[1], 1); /* 'D': the count restarted when it read again */
}

/* ---- the most clients there can be ---- */

static void every_client_and_the_notices_have_a_slot(void **state)
{
    (void)state;
    static struct ring outs[SERIAL_MAX_CLIENTS], ins[SERIAL_MAX_CLIENTS], uart_tx, uart_rx, switch_notices, spare;
    static struct serial_tx_virt t;
    static struct serial_rx_router r;
    const char *colours[] = {"32", "31", "33", "34", "35", "36", "92", "91", "93", "94", "95", "96"};
    _Static_assert(SERIAL_MAX_CLIENTS <= sizeof(colours) / sizeof(colours[0]), "a colour per client");
    ring_init(&uart_tx, 4096);
    ring_init(&uart_rx, 64);
    ring_init(&switch_notices, 1024);
    ring_init(&spare, 64);
    serial_tx_init(&t);
    serial_rx_router_init(&r, '@');
    assert_true(serial_queue_init(&t.driver, &uart_tx.header, uart_tx.data, 4096));
    assert_true(serial_queue_init(&r.driver, &uart_rx.header, uart_rx.data, 64));
    r.have_notice = serial_queue_init(&r.notice, &switch_notices.header, switch_notices.data, 1024);
    for (unsigned i = 0; i < SERIAL_MAX_CLIENTS; i++) {
        ring_init(&outs[i], 64);
        ring_init(&ins[i], 64);
        assert_int_equal(serial_tx_add_client(&t, &outs[i].header, outs[i].data, 64, colours[i]), (int)i);
        assert_true(serial_rx_router_add_client(&r, &ins[i].header, ins[i].data, 64));
    }
    /* The notice stream comes after a full table of clients, as the TX virtualiser PD adds it. */
    assert_int_equal(serial_tx_add_client(&t, &switch_notices.header, switch_notices.data, 1024, NULL),
                     SERIAL_MAX_CLIENTS);
    assert_int_equal(serial_tx_add_client(&t, &spare.header, spare.data, 64, NULL), -1);
    assert_false(serial_rx_router_add_client(&r, &spare.header, spare.data, 64));

    /* Switch to the last client: its notice reaches the console, then its own output. */
    struct serial_rx_actions ra;
    char command[8];
    snprintf(command, sizeof(command), "@%uok", (unsigned)SERIAL_MAX_CLIENTS);
    ring_put(&uart_rx, command);
    serial_rx_route(&r, 0, &ra);
    assert_string_equal(ring_take(&ins[SERIAL_MAX_CLIENTS - 1]), "ok");
    ring_put(&outs[SERIAL_MAX_CLIENTS - 1], "last\r\n");
    struct serial_tx_actions ta;
    serial_tx_process(&t, &ta);
    char expected[128];
    snprintf(expected, sizeof(expected), "\033[%smlast\r\n" RESET "\r\nserial: input goes to client %u\r\n",
             colours[SERIAL_MAX_CLIENTS - 1], (unsigned)SERIAL_MAX_CLIENTS);
    assert_string_equal(ring_take(&uart_tx), expected);
    assert_int_equal(r.notices_dropped, 0);
    /* The notice stream's signal goes to its own bit, past the clients'. */
    serial_queue_request_space_signal(&r.notice);
    ring_put(&switch_notices, "x");
    serial_tx_process(&t, &ta);
    assert_int_equal(ta.notify_clients, 1u << SERIAL_MAX_CLIENTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queue_rejects_bad_capacity),
        cmocka_unit_test(queue_signals_only_when_requested),
        cmocka_unit_test(queue_spans_stop_at_the_wrap),
        cmocka_unit_test_setup(tx_colours_each_piece_and_resets, tx_setup),
        cmocka_unit_test_setup(tx_rejects_bad_colours, tx_setup),
        cmocka_unit_test_setup(tx_never_cuts_inside_an_escape_or_character, tx_setup),
        cmocka_unit_test_setup(tx_gives_up_on_endless_sequences, tx_setup),
        cmocka_unit_test_setup(tx_waits_for_driver_space_and_loses_nothing, tx_setup),
        cmocka_unit_test_setup(tx_tells_a_blocked_client_when_space_frees, tx_setup),
        cmocka_unit_test_setup(tx_interleaves_two_busy_clients_in_order, tx_setup),
        cmocka_unit_test_setup(tx_client_taking_back_its_data_cannot_hang_it, tx_setup),
        cmocka_unit_test_setup(tx_endless_client_and_driver_cannot_hold_one_call, tx_setup),
        cmocka_unit_test_setup(tx_run_of_lead_bytes_cannot_freeze_the_console, tx_setup),
        cmocka_unit_test_setup(tx_lead_bytes_in_a_small_queue_still_leave, tx_setup),
        cmocka_unit_test_setup(tx_malformed_utf8_is_cut_where_it_breaks, tx_setup),
        cmocka_unit_test_setup(tx_unfinished_sequence_filling_its_queue_goes_anyway, tx_setup),
        cmocka_unit_test_setup(tx_every_stream_moves_through_a_small_room, tx_setup),
        cmocka_unit_test_setup(rx_hint_at_start, rx_setup),
        cmocka_unit_test_setup(rx_burst_with_switches, rx_setup),
        cmocka_unit_test_setup(rx_full_client_holds_input_back, rx_setup),
        cmocka_unit_test_setup(rx_switch_target_full_holds_back, rx_setup),
        cmocka_unit_test_setup(rx_driver_told_when_space_frees, rx_setup),
        cmocka_unit_test_setup(rx_client_not_reading_is_dropped_so_switching_still_works, rx_setup),
        cmocka_unit_test_setup(rx_slow_client_within_patience_loses_nothing, rx_setup),
        cmocka_unit_test_setup(rx_clock_going_back_restarts_the_wait, rx_setup),
        cmocka_unit_test_setup(rx_counts_as_delivered_only_what_it_wrote, rx_setup),
        cmocka_unit_test_setup(rx_notice_goes_whole_or_is_counted, rx_setup),
        cmocka_unit_test_setup(rx_endless_input_cannot_hold_one_call, rx_setup),
        cmocka_unit_test_setup(rx_slow_reader_delays_a_switch_by_one_patience, rx_setup),
        cmocka_unit_test_setup(rx_slow_reader_gets_all_its_input_and_one_notice, rx_setup),
        cmocka_unit_test_setup(rx_each_switch_gets_its_own_patience, rx_setup),
        cmocka_unit_test(every_client_and_the_notices_have_a_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
