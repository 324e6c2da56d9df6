/*
 * Fuzz harness of the RX serial virtualiser (drivers/serial/virt_rx.c): typed input from the
 * UART driver's queue through the switch (@N, @@) into up to eight clients' queues, with the
 * notice stream to the TX virtualiser. The input types text rich in switch characters and digits,
 * lets clients read at any pace (or stop reading), moves the clock, and runs the router; between
 * any two loads the router makes, the driver may type more or a client read more (another core).
 * Patience is either never exhausted (so nothing may be dropped) or short; in some runs one client
 * is hostile and rewrites its head between the router's loads.
 *
 * Invariants:
 * - per client, what it receives is what a reference of the switch rules (independent of the
 *   router's state machine) sends it from the characters the router took, in order: exactly,
 *   while no patience ran out; otherwise in order with only dropped characters missing, and never
 *   a character for another client;
 * - the notice stream is whole lines ("\r\nserial: ...\r\n"), and while none was dropped, its
 *   switch notices are exactly the reference's switches;
 * - a hostile client spoils only itself: the others still get nothing that is not theirs;
 * - liveness: once everyone reads, following the signals alone, all typed input is routed;
 * - every call is bounded: its loads of shared memory are counted against what it moved.
 */
#include <string.h>
#include "../../drivers/serial/virt_rx.h"
#include "fuzz.h"
#include "fuzz_race.h"
#undef __atomic_load_n

#define CLIENTS      SERIAL_MAX_CLIENTS
#define MAX_CAPACITY 1024u
#define STREAM_MAX   16384u

struct ring {
    struct serial_queue shared;
    char data[MAX_CAPACITY];
    struct serial_queue_handle end; /* the harness's side */
};

static struct serial_rx_router r;

static struct {
    struct fuzz_input *race; /* a peer's choices between two loads (fuzz_split) */
    unsigned count;
    char sw;
    bool dropping_allowed;
    int hostile;
    struct ring driver, clients[CLIENTS], notice;
    /* the typed stream, and how much of it the router took */
    uint8_t typed[STREAM_MAX];
    uint32_t typed_length, taken;
    uint32_t driver_base; /* the driver queue's head when typing began */
    /* the reference switch */
    unsigned current; /* 1-based */
    bool seen;        /* a switch character held */
    uint8_t expected[CLIENTS][STREAM_MAX];
    uint32_t expected_length[CLIENTS];
    uint32_t received[CLIENTS]; /* of expected, matched by what the client read */
    unsigned switches[STREAM_MAX];
    uint32_t switch_count, switches_seen;
    char notices[8192];
    uint32_t notice_length;
    uint64_t now;
    bool racing;
    unsigned raced;
    bool owe_route; /* a racing peer made progress the router asked to hear of: it signals after */
} s;

/* ---- the reference: the switch rules of virt_rx.h, for at most nine clients (one digit) ---- */

static void expect(unsigned client, uint8_t c)
{
    if (s.expected_length[client - 1] < STREAM_MAX) {
        s.expected[client - 1][s.expected_length[client - 1]++] = c;
    }
}

static void reference(uint8_t c)
{
    if (!s.seen) {
        if (c == (uint8_t)s.sw) {
            s.seen = true;
        } else {
            expect(s.current, c);
        }
        return;
    }
    s.seen = false;
    if (c == (uint8_t)s.sw) {
        expect(s.current, c); /* "@@": one literal switch character */
    } else if (c >= '1' && c <= '0' + s.count) {
        s.current = c - '0';
        if (s.switch_count < STREAM_MAX) {
            s.switches[s.switch_count++] = s.current;
        }
    } else {
        expect(s.current, (uint8_t)s.sw); /* not a client: both pass through */
        expect(s.current, c);
    }
}

/* The router took characters off the driver queue: the reference takes them too. (It may be
 * ahead already: a client can read a character before the router publishes that it took it.) */
static void took(void)
{
    uint32_t head = s.driver.shared.head - s.driver_base;
    FUZZ_CHECK(head <= s.typed_length, "the router took %u characters of %u typed", head, s.typed_length);
    while (s.taken < head) {
        reference(s.typed[s.taken++]);
    }
}

/* Client i needs more of what the reference sends it: the reference reads on in the typed text,
 * which the router follows in order. */
static bool more_for(unsigned i)
{
    while (s.taken < s.typed_length) {
        uint32_t before = s.expected_length[i];
        reference(s.typed[s.taken++]);
        if (s.expected_length[i] != before) {
            return true;
        }
    }
    return false;
}

/* ---- the peers ---- */

static void type(uint32_t n, struct fuzz_input *in)
{
    uint8_t text[256];
    static const char alphabet[] = "@@@@12345678909abc\r\n \033[A?#";
    n = n < sizeof(text) ? n : sizeof(text);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t b = fuzz_u8(in);
        text[i] = b >= 0xe0 ? fuzz_u8(in) : (uint8_t)alphabet[b % (sizeof(alphabet) - 1)];
        if (text[i] == '@') {
            text[i] = (uint8_t)s.sw;
        }
    }
    if (s.typed_length + n > STREAM_MAX) {
        return;
    }
    uint32_t put = serial_enqueue_batch(&s.driver.end, (const char *)text, n);
    memcpy(s.typed + s.typed_length, text, put);
    s.typed_length += put;
}

static void client_read(unsigned i, uint32_t max)
{
    char bytes[MAX_CAPACITY];
    uint32_t n = serial_dequeue_batch(&s.clients[i].end, bytes, max < sizeof(bytes) ? max : sizeof(bytes));
    if ((int)i == s.hostile) {
        return;
    }
    /* What it gets is the next of what the reference sends it, or (once patience ran out) a later
     * part of it, never anything else. */
    for (uint32_t k = 0; k < n; k++) {
        if (s.received[i] == s.expected_length[i]) {
            more_for(i);
        }
        if (s.dropping_allowed || s.hostile >= 0) {
            while (s.expected[i][s.received[i]] != (uint8_t)bytes[k] &&
                   (s.received[i] + 1 < s.expected_length[i] || more_for(i))) {
                s.received[i]++;
            }
        }
        FUZZ_CHECK(s.received[i] < s.expected_length[i] && s.expected[i][s.received[i]] == (uint8_t)bytes[k],
                   "client %u got %#x, which was not typed for it (at %u of %u)", i + 1, (uint8_t)bytes[k],
                   s.received[i], s.expected_length[i]);
        s.received[i]++;
    }
}

static void notice_read(void)
{
    uint32_t room = sizeof(s.notices) - s.notice_length;
    s.notice_length += serial_dequeue_batch(&s.notice.end, s.notices + s.notice_length, room);
    /* Whole lines: each notice starts "\r\nserial: " and ends "\r\n". */
    static const char prefix[] = "\r\nserial: ";
    uint32_t at = 0;
    while (at < s.notice_length) {
        uint32_t left = s.notice_length - at;
        uint32_t p = sizeof(prefix) - 1;
        FUZZ_CHECK(memcmp(s.notices + at, prefix, left < p ? left : p) == 0, "a notice that is not a whole line");
        const char *end = left > p ? memmem(s.notices + at + p, left - p, "\r\n", 2) : NULL;
        if (end == NULL) {
            break; /* the rest of it is still coming */
        }
        uint32_t length = (uint32_t)(end + 2 - (s.notices + at));
        static const char switched[] = "\r\nserial: input goes to client ";
        if (r.notices_dropped == 0 && length > sizeof(switched) - 1 &&
            memcmp(s.notices + at, switched, sizeof(switched) - 1) == 0) {
            unsigned client = (unsigned)(s.notices[at + sizeof(switched) - 1] - '0');
            if (s.notices[at + sizeof(switched)] == '\r') {
                FUZZ_CHECK(s.switches_seen < s.switch_count && s.switches[s.switches_seen] == client,
                           "a switch to client %u the typing never asked for", client);
                s.switches_seen++;
            }
        }
        at += length;
    }
    memmove(s.notices, s.notices + at, s.notice_length - at);
    s.notice_length -= at;
}

static void race(const volatile void *address, unsigned size, void *context)
{
    (void)size;
    (void)context;
    if (!s.racing || !fuzz_more(s.race)) {
        return;
    }
    uint8_t b = fuzz_u8(s.race);
    if ((b & 7) != 0) {
        return;
    }
    s.raced++;
    unsigned i = (b >> 3) % s.count;
    if ((int)i == s.hostile && address == &s.clients[i].shared.head) {
        s.clients[i].shared.head += (uint32_t)(int8_t)fuzz_u8(s.race);
    } else if (b & 0x80) {
        uint32_t typed = s.typed_length;
        type(fuzz_below(s.race, 8) + 1, s.race);
        s.owe_route = s.owe_route || (s.typed_length != typed && serial_queue_take_data_signal(&s.driver.end));
    } else {
        uint32_t length = serial_queue_length(&s.clients[i].end);
        client_read(i, fuzz_below(s.race, 64) + 1);
        s.owe_route = s.owe_route || (serial_queue_length(&s.clients[i].end) != length &&
                                      serial_queue_take_space_signal(&s.clients[i].end));
    }
}

static void route_once(void)
{
    struct serial_rx_actions a;
    s.racing = true;
    s.raced = 0;
    fuzz_race_arm(race, NULL, 0, "serial_rx_route");
    serial_rx_route(&r, s.now, &a);
    unsigned long loads = fuzz_race_loads();
    fuzz_race_disarm();
    s.racing = false;
    /* At most a driver queue's worth of characters, each a look at its client's queue (twice if
     * full) and at the notice queue. */
    unsigned long bound = 16ul * (r.driver.capacity + 2) + 16;
    FUZZ_CHECK(loads <= bound + 64ul * s.raced, "serial_rx_route: %lu loads, %u peer actions (bound %lu)", loads,
               s.raced, bound);
    FUZZ_CHECK((a.notify_clients >> s.count) == 0, "notified clients %#x of %u", a.notify_clients, s.count);
    took();
}

/* The router runs, then again for each signal the racing peers owe it. */
static void route(void)
{
    route_once();
    for (unsigned n = 0; n < 256 && s.owe_route; n++) {
        s.owe_route = false;
        route_once();
    }
}

static void ring(struct ring *g, uint32_t capacity, struct fuzz_input *in)
{
    memset(&g->shared, 0, sizeof(g->shared));
    g->shared.tail = g->shared.head = fuzz_u32(in);
    FUZZ_CHECK(serial_queue_init(&g->end, &g->shared, g->data, capacity), "queue of %u", capacity);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = fuzz_input(data, size);
    struct fuzz_input race_in = fuzz_split(&in);
    memset(&s, 0, sizeof(s));
    s.race = &race_in;
    static const char switches[] = "@!#%^~";
    s.sw = switches[fuzz_below(&in, sizeof(switches) - 1)];
    s.count = fuzz_below(&in, CLIENTS) + 1;
    uint8_t mode = fuzz_u8(&in);
    s.dropping_allowed = (mode & 1) != 0;
    s.hostile = mode >= 0xe0 ? (int)fuzz_below(&in, s.count) : -1;
    serial_rx_router_init(&r, s.sw);
    r.patience_ms = s.dropping_allowed || s.hostile >= 0 ? fuzz_below(&in, 5000) : UINT64_MAX;
    uint32_t driver_capacity = 1u << (fuzz_below(&in, 7) + 4);
    ring(&s.driver, driver_capacity, &in);
    s.driver_base = s.driver.shared.head;
    FUZZ_CHECK(serial_queue_init(&r.driver, &s.driver.shared, s.driver.data, driver_capacity), "driver queue");
    if ((mode & 2) == 0) {
        ring(&s.notice, 1u << (fuzz_below(&in, 7) + 4), &in);
        r.have_notice = serial_queue_init(&r.notice, &s.notice.shared, s.notice.data, s.notice.end.capacity);
    }
    for (unsigned i = 0; i < s.count; i++) {
        uint32_t capacity = 1u << (fuzz_below(&in, 7) + 4);
        ring(&s.clients[i], capacity, &in);
        FUZZ_CHECK(serial_rx_router_add_client(&r, &s.clients[i].shared, s.clients[i].data, capacity), "client %u",
                   i + 1);
    }
    s.current = 1;
    struct serial_rx_actions a;
    serial_rx_router_start(&r, &a);
    for (unsigned step = 0; step < 400 && fuzz_more(&in); step++) {
        uint8_t op = fuzz_u8(&in);
        switch (op % 6) {
        case 0:
        case 1:
            type(fuzz_below(&in, 32) + 1, &in);
            break;
        case 2:
            route();
            break;
        case 3:
            client_read((op >> 3) % s.count, fuzz_below(&in, 2 * MAX_CAPACITY) + 1);
            break;
        case 4:
            s.now += fuzz_below(&in, 4) == 0 ? fuzz_below(&in, 10000) : fuzz_below(&in, 100);
            break;
        case 5:
            notice_read();
            break;
        }
    }
    /* Everyone reads to the end; the router runs when signalled (and once, as after the last
     * character typed). */
    route();
    for (unsigned round = 0; round < 4 * STREAM_MAX; round++) {
        bool moved = false;
        for (unsigned i = 0; i < s.count; i++) {
            uint32_t length = serial_queue_length(&s.clients[i].end);
            client_read(i, MAX_CAPACITY);
            moved = moved || length != 0;
        }
        notice_read();
        bool signalled = false;
        for (unsigned i = 0; i < s.count; i++) {
            signalled = serial_queue_take_space_signal(&s.clients[i].end) || signalled;
        }
        if (signalled) {
            route();
        } else if (!moved) {
            break;
        }
    }
    if (s.hostile >= 0) {
        return 0;
    }
    FUZZ_CHECK(s.taken == s.typed_length, "%u typed characters never left the driver queue", s.typed_length - s.taken);
    if (!s.dropping_allowed) {
        for (unsigned i = 0; i < s.count; i++) {
            FUZZ_CHECK(s.received[i] == s.expected_length[i], "client %u got %u of the %u characters typed for it",
                       i + 1, s.received[i], s.expected_length[i]);
        }
    }
    return 0;
}
