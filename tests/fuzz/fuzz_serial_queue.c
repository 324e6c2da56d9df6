/*
 * Fuzz harness of the serial queue (drivers/serial/queue.c) on the shared ring control
 * (drivers/common/spsc.c): a producer and a consumer over one shared header and data region of
 * fuzzed capacity, indices starting anywhere, driving every call of queue.h (batches, spans,
 * windows, peeks, signals) in any order. The other side may act between any two loads an
 * operation makes, as on another core (honest: its own operation on its own side). In some runs
 * the peer is hostile instead: it writes any value into its index between two loads.
 *
 * Invariants:
 * - honest peers: the consumer gets exactly the bytes the producer put, in order (nothing lost,
 *   duplicated or invented), whatever the interleaving; lengths and free space never exceed the
 *   capacity; a peek sees the byte at its offset; a span is contiguous inside the data region and
 *   holds the next bytes; each "signal me" request is taken exactly once;
 * - hostile peer: nothing outside the data region is read or written (guard regions), no call
 *   moves more than the capacity, and the honest side's counts stay in range;
 * - every operation loads each shared index at most once (counted), so it is bounded.
 */
#include <string.h>
#include "../../drivers/serial/queue.h"
#include "fuzz.h"
#include "fuzz_race.h"
#undef __atomic_load_n

#define MAX_CAPACITY 1024u
#define GUARD        64u
#define GUARD_BYTE   0xc3
#define STREAM       65536u

static struct serial_queue shared;
static char region[GUARD + MAX_CAPACITY + GUARD];
static char *const data = region + GUARD;

static struct {
    struct fuzz_input *race; /* a peer's choices between two loads (fuzz_split) */
    uint32_t capacity;
    struct serial_queue_handle producer, consumer;
    bool hostile;      /* the peer has written an index it had no business writing */
    bool hostile_mode; /* this run's peer is hostile */
    /* the stream: what was produced, and how much of it was consumed */
    uint8_t stream[STREAM];
    uint32_t produced, consumed;
    bool consumer_wants, producer_wants; /* "signal me" requests not taken yet */
    bool in_producer;                    /* whose operation the race hook interrupts */
    unsigned pattern;
} s;

static uint8_t next_byte(void)
{
    return (uint8_t)(s.pattern++ * 167u + 13u);
}

static void check_guards(const char *after)
{
    for (unsigned i = 0; i < GUARD; i++) {
        FUZZ_CHECK((uint8_t)region[i] == GUARD_BYTE && (uint8_t)region[GUARD + s.capacity + i] == GUARD_BYTE,
                   "%s wrote outside the data region", after);
    }
    for (unsigned i = s.capacity + GUARD; i < MAX_CAPACITY + GUARD; i++) {
        FUZZ_CHECK((uint8_t)data[i] == GUARD_BYTE, "%s wrote past the capacity", after);
    }
}

/* The consumer received n bytes: they must be the next ones of the stream. */
static void received(const char *bytes, uint32_t n, const char *how)
{
    FUZZ_CHECK(n <= s.capacity, "%s moved %u bytes through a queue of %u", how, n, s.capacity);
    if (s.hostile) {
        return;
    }
    FUZZ_CHECK(s.consumed + n <= s.produced, "%s: %u bytes out, %u of them never put in", how, n,
               s.consumed + n - s.produced);
    for (uint32_t i = 0; i < n; i++) {
        FUZZ_CHECK((uint8_t)bytes[i] == s.stream[(s.consumed + i) % STREAM], "%s: byte %u of the stream changed", how,
                   s.consumed + i);
    }
    s.consumed += n;
}

/* The producer put n bytes (already written into the ring): they join the stream. */
static void put(const uint8_t *bytes, uint32_t n)
{
    FUZZ_CHECK(n <= s.capacity, "a producer call moved %u bytes into a queue of %u", n, s.capacity);
    for (uint32_t i = 0; i < n; i++) {
        s.stream[(s.produced + i) % STREAM] = bytes[i];
    }
    s.produced += n;
    FUZZ_CHECK(s.hostile || s.produced - s.consumed <= s.capacity, "%u bytes in a queue of %u", s.produced - s.consumed,
               s.capacity);
}

/* ---- whole operations of each side (also what a racing peer does) ---- */

static void consume_some(uint32_t max)
{
    char bytes[MAX_CAPACITY];
    uint32_t n = serial_dequeue_batch(&s.consumer, bytes, max < sizeof(bytes) ? max : sizeof(bytes));
    received(bytes, n, "serial_dequeue_batch");
}

static void produce_some(uint32_t max)
{
    uint8_t bytes[MAX_CAPACITY];
    max = max < sizeof(bytes) ? max : sizeof(bytes);
    unsigned mark = s.pattern;
    for (uint32_t i = 0; i < max; i++) {
        bytes[i] = next_byte();
    }
    uint32_t n = serial_enqueue_batch(&s.producer, (const char *)bytes, max);
    s.pattern = mark + n; /* the bytes not taken are offered again next time */
    put(bytes, n);
}

/* Between two loads of one side's operation: the other side acts (honest), or writes its index
 * to anything (hostile). */
static void race(const volatile void *address, unsigned size, void *context)
{
    (void)size;
    (void)context;
    if (!fuzz_more(s.race)) {
        return;
    }
    uint8_t c = fuzz_u8(s.race);
    if ((c & 3) != 0) {
        return;
    }
    if (s.hostile_mode && (c & 4)) {
        /* The peer writes its own index: the consumer its head, the producer its tail. */
        uint32_t *own = s.in_producer ? &shared.head : &shared.tail;
        (void)address;
        *own = (c & 8) ? fuzz_u32(s.race) : *own + (uint32_t)(int8_t)fuzz_u8(s.race);
        s.hostile = true;
        return;
    }
    if (s.in_producer) {
        consume_some((c >> 3) + 1);
    } else {
        produce_some((c >> 3) + 1);
    }
}

/* One operation of a side, with the other racing it; each operation loads at most both indices
 * and a signal flag, once each. */
#define SIDE(producer_side, what, statement) \
    do {                                     \
        s.in_producer = (producer_side);     \
        fuzz_race_arm(race, NULL, 3, what);  \
        statement;                           \
        fuzz_race_disarm();                  \
        check_guards(what);                  \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *input, size_t size)
{
    struct fuzz_input in = fuzz_input(input, size);
    struct fuzz_input race_in = fuzz_split(&in);
    memset(&s, 0, sizeof(s));
    s.race = &race_in;
    memset(region, GUARD_BYTE, sizeof(region));
    memset(&shared, 0, sizeof(shared));
    s.capacity = 1u << fuzz_below(&in, 11);
    shared.tail = shared.head = fuzz_u32(&in); /* free-running indices start anywhere */
    s.hostile_mode = fuzz_u8(&in) >= 0xe0;
    FUZZ_CHECK(serial_queue_init(&s.producer, &shared, data, s.capacity) &&
                   serial_queue_init(&s.consumer, &shared, data, s.capacity),
               "init of a queue of %u", s.capacity);
    /* Shared memory starts zeroed: both sides want a signal. */
    s.consumer_wants = s.producer_wants = true;
    for (unsigned step = 0; step < 600 && fuzz_more(&in); step++) {
        uint8_t op = fuzz_u8(&in);
        uint32_t n = fuzz_below(&in, 2 * s.capacity + 2);
        FUZZ_TRACE("step %u: op %u n %u (produced %u consumed %u, tail %u head %u)", step, op % 14, n, s.produced,
                   s.consumed, shared.tail, shared.head);
        switch (op % 14) {
        case 0:
        case 1:
            SIDE(true, "serial_enqueue_batch", produce_some(n));
            break;
        case 2:
        case 3:
            SIDE(false, "serial_dequeue_batch", consume_some(n));
            break;
        case 4: {
            char *span;
            uint32_t got;
            SIDE(true, "serial_queue_write_span", got = serial_queue_write_span(&s.producer, &span));
            FUZZ_CHECK(got <= s.capacity && span >= data && span + got <= data + s.capacity,
                       "write span of %u outside the data region", got);
            uint32_t k = got == 0 ? 0 : n % (got + 1);
            uint8_t bytes[MAX_CAPACITY];
            for (uint32_t i = 0; i < k; i++) {
                bytes[i] = next_byte();
                span[i] = (char)bytes[i];
            }
            /* Published from a fresh look: clamped to what is free now, never trusted. */
            uint32_t before = shared.tail;
            SIDE(true, "serial_queue_produce", serial_queue_produce(&s.producer, k));
            uint32_t moved = shared.tail - before;
            if (!s.hostile) {
                FUZZ_CHECK(moved == k, "produce of %u moved the tail by %u", k, moved);
            }
            put(bytes, s.hostile ? 0 : moved);
            break;
        }
        case 5: {
            const char *span;
            uint32_t got;
            SIDE(false, "serial_queue_read_span", got = serial_queue_read_span(&s.consumer, &span));
            FUZZ_CHECK(got <= s.capacity && span >= data && span + got <= data + s.capacity,
                       "read span of %u outside the data region", got);
            uint32_t k = got == 0 ? 0 : n % (got + 1);
            char copy[MAX_CAPACITY];
            memcpy(copy, span, k);
            uint32_t before = shared.head;
            SIDE(false, "serial_queue_consume", serial_queue_consume(&s.consumer, k));
            uint32_t moved = shared.head - before;
            if (!s.hostile) {
                FUZZ_CHECK(moved == k, "consume of %u moved the head by %u", k, moved);
            }
            received(copy, s.hostile ? 0 : moved, "serial_queue_read_span");
            break;
        }
        case 6: {
            char byte = 0;
            bool got;
            uint32_t offset = n;
            SIDE(false, "serial_queue_peek", got = serial_queue_peek(&s.consumer, offset, &byte));
            if (!s.hostile) {
                /* A racing producer may only have added bytes: everything before is as it was. */
                if (offset < s.produced - s.consumed && got) {
                    FUZZ_CHECK((uint8_t)byte == s.stream[(s.consumed + offset) % STREAM],
                               "peek at %u saw a byte that is not there", offset);
                }
                FUZZ_CHECK(!got || offset < s.produced - s.consumed, "peek at %u past %u bytes found one", offset,
                           s.produced - s.consumed);
            }
            break;
        }
        case 7: {
            /* A producer window: look once, write pieces at offsets, publish part of it. */
            struct spsc_window w;
            SIDE(true, "serial_queue_space", w = serial_queue_space(&s.producer));
            FUZZ_CHECK(w.count <= s.capacity, "a window of %u free bytes", w.count);
            uint32_t k = w.count == 0 ? 0 : n % (w.count + 1);
            uint8_t bytes[MAX_CAPACITY];
            for (uint32_t i = 0; i < k; i++) {
                bytes[i] = next_byte();
            }
            uint32_t split = k == 0 ? 0 : fuzz_below(&in, k + 1);
            uint32_t a = serial_window_write(&s.producer, w, split, (const char *)bytes + split, k - split);
            uint32_t b = serial_window_write(&s.producer, w, 0, (const char *)bytes, split);
            FUZZ_CHECK(a == k - split && b == split, "window writes of %u and %u inside a window of %u", k - split,
                       split, w.count);
            check_guards("serial_window_write");
            serial_queue_produce_window(&s.producer, w, k);
            put(bytes, k);
            break;
        }
        case 8: {
            struct spsc_window w;
            SIDE(false, "serial_queue_filled", w = serial_queue_filled(&s.consumer));
            FUZZ_CHECK(w.count <= s.capacity, "a window of %u filled bytes", w.count);
            uint32_t offset = w.count == 0 ? 0 : fuzz_below(&in, w.count + 2);
            char bytes[MAX_CAPACITY + 2];
            uint32_t got = serial_window_read(&s.consumer, w, offset, bytes, n);
            uint32_t expected = offset < w.count ? (n < w.count - offset ? n : w.count - offset) : 0;
            FUZZ_CHECK(got == expected, "a window read of %u at %u of %u gave %u", n, offset, w.count, got);
            if (!s.hostile) {
                for (uint32_t i = 0; i < got; i++) {
                    FUZZ_CHECK((uint8_t)bytes[i] == s.stream[(s.consumed + offset + i) % STREAM],
                               "window read byte %u is not the stream's", offset + i);
                }
            }
            uint32_t k = w.count == 0 ? 0 : fuzz_below(&in, w.count + 1);
            char copy[MAX_CAPACITY];
            serial_window_read(&s.consumer, w, 0, copy, k);
            serial_queue_consume_window(&s.consumer, w, k);
            received(copy, k, "serial_queue_consume_window");
            break;
        }
        case 9: {
            /* Each against the stream as it is right after its own look (the other side may act
             * between the two). */
            uint32_t length, space;
            SIDE(false, "serial_queue_length", length = serial_queue_length(&s.consumer));
            FUZZ_CHECK(length <= s.capacity && (s.hostile || length <= s.produced - s.consumed),
                       "length %u with %u bytes queued in %u", length, s.produced - s.consumed, s.capacity);
            SIDE(true, "serial_queue_free", space = serial_queue_free(&s.producer));
            FUZZ_CHECK(space <= s.capacity && (s.hostile || space <= s.capacity - (s.produced - s.consumed)),
                       "free %u with %u bytes queued in %u", space, s.produced - s.consumed, s.capacity);
            break;
        }
        case 10:
            SIDE(false, "serial_queue_request_data_signal", serial_queue_request_data_signal(&s.consumer));
            s.consumer_wants = true;
            break;
        case 11: {
            bool taken;
            SIDE(true, "serial_queue_take_data_signal", taken = serial_queue_take_data_signal(&s.producer));
            FUZZ_CHECK(s.hostile || taken == s.consumer_wants, "data signal taken %d, asked %d", taken,
                       s.consumer_wants);
            s.consumer_wants = false;
            break;
        }
        case 12:
            SIDE(true, "serial_queue_request_space_signal", serial_queue_request_space_signal(&s.producer));
            s.producer_wants = true;
            break;
        case 13: {
            bool taken;
            SIDE(false, "serial_queue_take_space_signal", taken = serial_queue_take_space_signal(&s.consumer));
            FUZZ_CHECK(s.hostile || taken == s.producer_wants, "space signal taken %d, asked %d", taken,
                       s.producer_wants);
            s.producer_wants = false;
            break;
        }
        }
    }
    /* Whatever is left comes out whole, and nothing else. */
    if (!s.hostile) {
        for (unsigned i = 0; i <= s.capacity && s.consumed != s.produced; i++) {
            consume_some(s.capacity);
        }
        FUZZ_CHECK(s.consumed == s.produced, "%u bytes put and never got out", s.produced - s.consumed);
        FUZZ_CHECK(serial_queue_length(&s.consumer) == 0, "an empty queue has length %u",
                   serial_queue_length(&s.consumer));
    }
    return 0;
}
