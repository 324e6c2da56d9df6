/*
 * Fuzz harness of the TX serial virtualiser's multiplexer (drivers/serial/virt_tx.c): up to
 * nine output streams (eight coloured clients and the uncoloured notice stream) into one UART
 * queue. Clients write text made of the pieces that matter to the cut rule (escape sequences
 * whole or cut short, OSC strings, UTF-8 characters whole, cut short or malformed, newlines,
 * plain bytes, raw bytes), at any pace; the UART driver drains at any pace; between any two loads
 * the TX virtualiser makes, a client may write more or the driver drain more (another core). In
 * some runs one client is hostile: it rewrites its own tail between the virtualiser's loads.
 *
 * Invariants:
 * - the UART stream is a sequence of pieces, each the colour of one client, then the next bytes
 *   of that client's output, then the reset (no colour and no reset for the notice stream): per
 *   client, nothing lost, duplicated, reordered or invented; each piece ends where a cut is
 *   allowed (not inside the client's escape sequence or UTF-8 character, an overlong sequence
 *   aside);
 * - a hostile client spoils only its own stream: every honest client's is still exact;
 * - liveness: once everyone stops, following the signals alone, each client is left holding at
 *   most an unfinished sequence (SERIAL_TX_MAX_SEQUENCE bytes, after at most 3 bytes of an
 *   unfinished character): one client's output never holds its own or anyone else's;
 * - every call is bounded: its loads of shared memory are counted against what it moved.
 */
#include <string.h>
#include "../../drivers/serial/virt_tx.h"
#include "fuzz.h"
#include "fuzz_race.h"
#undef __atomic_load_n

#define STREAMS       SERIAL_TX_MAX_STREAMS
#define MAX_CAPACITY  1024u
#define STREAM_MAX    32768u
#define DRIVER_STREAM 262144u

struct client {
    struct serial_queue shared;
    char data[MAX_CAPACITY];
    struct serial_queue_handle end; /* the client's, producer */
    uint32_t capacity;
    char colour[SERIAL_TX_COLOUR_MAX];
    unsigned colour_length;
    uint8_t written[STREAM_MAX]; /* everything it put in its queue */
    uint32_t written_length;
    uint32_t delivered; /* of it, found in the UART stream */
    bool hostile;
};

static struct serial_tx_virt v;
static struct serial_queue driver_shared;
static char driver_data[MAX_CAPACITY];

static struct {
    struct fuzz_input *race; /* a peer's choices between two loads (fuzz_split) */
    struct client clients[STREAMS];
    unsigned count;
    struct serial_queue_handle driver; /* the UART driver's end, consumer */
    uint32_t driver_capacity;
    uint8_t uart[DRIVER_STREAM]; /* what the driver took and has not matched to pieces yet */
    uint32_t uart_length;
    bool racing;
    unsigned raced;
    bool owe_process; /* a racing peer made progress the virtualiser asked to hear of */
    bool spoiled;     /* a hostile client broke its own stream: only the honest ones are checked */
} s;

/* ---- the cut rule, as the TX virtualiser's header states it ---- */

enum cut_state { GROUND, ESCAPE, CSI, STRING, STRING_ESCAPE, UTF8 };

struct cut_scan {
    enum cut_state state;
    unsigned utf8_left;
    unsigned length;
};

/* True if a piece may end after byte b. */
static bool cut_after(struct cut_scan *c, uint8_t b)
{
    if (c->state != GROUND && c->state != UTF8 && ++c->length > SERIAL_TX_MAX_SEQUENCE) {
        c->state = GROUND; /* no terminal knows a sequence this long */
        return true;
    }
    switch (c->state) {
    case GROUND:
        if (b == 0x1b) {
            c->state = ESCAPE;
            c->length = 1;
            return false;
        }
        if (b >= 0xc2 && b <= 0xf4) {
            c->state = UTF8;
            c->utf8_left = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
            return false;
        }
        return true;
    case ESCAPE:
        c->state = b == '[' ? CSI : (b == ']' || b == 'P') ? STRING : (b >= 0x20 && b <= 0x2f) ? ESCAPE : GROUND;
        return c->state == GROUND;
    case CSI:
        if (b >= 0x40 && b <= 0x7e) {
            c->state = GROUND;
            return true;
        }
        return false;
    case STRING:
        if (b == 0x07) {
            c->state = GROUND;
            return true;
        }
        c->state = b == 0x1b ? STRING_ESCAPE : STRING;
        return false;
    case STRING_ESCAPE:
        c->state = b == '\\' ? GROUND : STRING;
        return c->state == GROUND;
    case UTF8:
        if ((b & 0xc0) != 0x80) {
            c->state = GROUND; /* malformed: this byte starts afresh */
            return cut_after(c, b);
        }
        c->state = --c->utf8_left == 0 ? GROUND : UTF8;
        return c->state == GROUND;
    }
    return true;
}

/* ---- the UART stream, matched to pieces ---- */

/* Match the UART bytes taken so far to pieces, depth first where a client's own bytes could end a
 * piece in two places; what is left unmatched is the start of a piece still coming. Returns
 * false if no reading of the bytes is a sequence of pieces. */
static unsigned search_steps;
static unsigned cut_refusals; /* readings refused because a piece would end inside a sequence */

static bool is_reset(const uint8_t *p, uint32_t left)
{
    return left >= SERIAL_TX_RESET_LENGTH && memcmp(p, SERIAL_TX_RESET, SERIAL_TX_RESET_LENGTH) == 0;
}

/* The reading found: the pieces on its path (where each starts, whose, how many bytes). */
#define MAX_DEPTH 8192
static uint32_t path_at[MAX_DEPTH], path_k[MAX_DEPTH];
static unsigned path_client[MAX_DEPTH];
static unsigned path_depth;

static bool match(uint32_t at, unsigned depth, uint32_t *matched)
{
    if (++search_steps > 100000 || depth == MAX_DEPTH) {
        *matched = at; /* too ambiguous to decide: take it as read (never a false alarm) */
        path_depth = depth;
        return true;
    }
    if (at == s.uart_length) {
        *matched = at;
        path_depth = depth;
        return true;
    }
    const uint8_t *p = s.uart + at;
    uint32_t left = s.uart_length - at;
    for (unsigned i = 0; i < s.count; i++) {
        struct client *c = &s.clients[i];
        uint32_t have = c->written_length - c->delivered;
        if (c->colour_length == 0) {
            /* The notice stream has no ESC (its text is plain): its piece runs to the next ESC. */
            if (p[0] == 0x1b) {
                continue;
            }
            uint32_t k = 0;
            while (k < left && p[k] != 0x1b) {
                k++;
            }
            if (k > have || memcmp(p, c->written + c->delivered, k) != 0) {
                continue;
            }
            c->delivered += k;
            path_at[depth] = at, path_k[depth] = k, path_client[depth] = i;
            if (match(at + k, depth + 1, matched)) {
                return true;
            }
            c->delivered -= k;
            continue;
        }
        if (left < c->colour_length) {
            if (memcmp(p, c->colour, left) == 0) {
                *matched = at; /* a piece whose colour is all that arrived yet */
                path_depth = depth;
                return true;
            }
            continue;
        }
        if (memcmp(p, c->colour, c->colour_length) != 0) {
            continue;
        }
        const uint8_t *body = p + c->colour_length;
        uint32_t body_left = left - c->colour_length;
        const uint8_t *next = c->written + c->delivered;
        /* After each k bytes of the client's own (a piece has at least one): the reset, whole or
         * cut short by the end of what arrived, may follow, where a cut is allowed. */
        struct cut_scan scan = {GROUND, 0, 0};
        bool cut = false;
        for (uint32_t k = 0; k <= body_left && k <= have; k++) {
            if (k > 0) {
                cut = cut_after(&scan, next[k - 1]);
                /* A UTF-8 character that the next byte breaks (no continuation byte) may be cut
                 * before that byte: malformed text never holds the console (issue 13 item 1). */
                if (!cut && scan.state == UTF8 && k < have && (next[k] & 0xc0) != 0x80) {
                    cut = true;
                }
            }
            if (k > 0 && k < body_left && body_left - k < SERIAL_TX_RESET_LENGTH &&
                memcmp(body + k, SERIAL_TX_RESET, body_left - k) == 0 && cut) {
                *matched = at; /* the rest of its reset is still coming */
                path_depth = depth;
                return true;
            }
            if (k > 0 && is_reset(body + k, body_left - k)) {
                /* The client's own bytes may hold a reset too: a piece ends here only if it may. */
                if (!cut) {
                    cut_refusals++;
                } else {
                    c->delivered += k;
                    path_at[depth] = at, path_k[depth] = k, path_client[depth] = i;
                    if (match(at + c->colour_length + k + SERIAL_TX_RESET_LENGTH, depth + 1, matched)) {
                        return true;
                    }
                    c->delivered -= k;
                }
            }
            if (k == body_left) {
                *matched = at; /* the rest of this piece is still coming */
                path_depth = depth;
                return true;
            }
            if (k == have || body[k] != next[k]) {
                break;
            }
        }
    }
    return false;
}

static void driver_take(uint32_t max)
{
    uint8_t bytes[MAX_CAPACITY];
    uint32_t n = serial_dequeue_batch(&s.driver, (char *)bytes, max < sizeof(bytes) ? max : sizeof(bytes));
    if (s.uart_length + n > DRIVER_STREAM) {
        s.spoiled = true; /* more than the harness keeps: stop matching */
    }
    if (s.spoiled) {
        return;
    }
    memcpy(s.uart + s.uart_length, bytes, n);
    s.uart_length += n;
}

/* Match what arrived. The last piece of the reading is not kept unless `final`: where it ends may
 * only be known from what follows (a client's own reset inside it reads as its end). */
static void match_pieces(bool final)
{
    if (s.spoiled || s.uart_length == 0) {
        return;
    }
    uint32_t matched = 0;
    search_steps = 0;
    cut_refusals = 0;
    bool ok = match(0, 0, &matched);
    if (!ok && fuzz_tracing()) {
        fprintf(stderr, "uart:");
        for (uint32_t t = 0; t < s.uart_length; t++) {
            fprintf(stderr, " %02x", s.uart[t]);
        }
        fprintf(stderr, "\n");
        for (unsigned i = 0; i < s.count; i++) {
            fprintf(stderr, "client %u (colour %u) from %u:", i + 1, s.clients[i].colour_length,
                    s.clients[i].delivered);
            for (uint32_t t = s.clients[i].delivered; t < s.clients[i].written_length; t++) {
                fprintf(stderr, " %02x", s.clients[i].written[t]);
            }
            fprintf(stderr, "\n");
        }
    }
    FUZZ_CHECK(ok || cut_refusals == 0, "the UART stream has a piece that ends inside an escape sequence or a UTF-8 "
                                        "character");
    FUZZ_CHECK(ok, "the UART stream is no sequence of pieces of what the clients wrote");
    if (fuzz_tracing() && ok) {
        fprintf(stderr, "match of %u bytes:", s.uart_length);
        for (unsigned d = 0; d < path_depth && d < MAX_DEPTH; d++) {
            fprintf(stderr, " [client %u at %u, %u bytes]", path_client[d] + 1, path_at[d], path_k[d]);
        }
        fprintf(stderr, " -> %u%s\n", matched, final ? " (final)" : "");
    }
    if (!final && path_depth > 0 && path_depth < MAX_DEPTH) {
        unsigned last = path_depth - 1;
        s.clients[path_client[last]].delivered -= path_k[last];
        matched = path_at[last];
    }
    memmove(s.uart, s.uart + matched, s.uart_length - matched);
    s.uart_length -= matched;
}

/* ---- the clients ---- */

static const char *const words[] = {
    "a",
    "hello",
    " ",
    "\n",
    "\r\n",
    "\033[1;31m",
    "\033[0m",
    "\033[",
    "\033]0;title\007",
    "\033]0;t",
    "\033P",
    "\033\\",
    "\033(B",
    "\033",
    "[",
    "m",
    "7",
    ";",
    "\007",
    "\xc3\xa9",
    "\xe2\x82\xac",
    "\xf0\x9f\x98\x80",
    "\xc3",
    "\xe2\x82",
    "\x80",
    "\xe5",
    "\xff",
    "\xf0\x9f",
    "@",
    "0",
};

static uint32_t client_write(unsigned i, struct fuzz_input *in, unsigned pieces)
{
    struct client *c = &s.clients[i];
    uint8_t text[512];
    uint32_t n = 0;
    for (unsigned k = 0; k < pieces && n < 256; k++) {
        uint8_t w = fuzz_u8(in);
        if (w >= 0xf0) {
            text[n++] = fuzz_u8(in); /* any byte */
            continue;
        }
        const char *word = words[w % (sizeof(words) / sizeof(words[0]))];
        size_t length = strlen(word);
        for (size_t j = 0; j < length; j++) {
            text[n++] = (uint8_t)word[j];
        }
    }
    if (c->colour_length == 0) {
        /* The notice stream is plain text, in characters no client's words have, so that its
         * pieces (which have no colour to say whose they are) are not mistaken for a client's. */
        static const char plain[] = "#$%&*+-=<>|";
        for (uint32_t k = 0; k < n; k++) {
            text[k] = (uint8_t)plain[text[k] % (sizeof(plain) - 1)];
        }
    }
    if (c->written_length + n > STREAM_MAX) {
        return 0;
    }
    uint32_t put = serial_enqueue_batch(&c->end, (const char *)text, n);
    memcpy(c->written + c->written_length, text, put);
    c->written_length += put;
    return put;
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
    if (s.clients[i].hostile && address == &s.clients[i].shared.tail) {
        /* It moves its tail anywhere, right after the virtualiser looked. */
        s.clients[i].shared.tail += (uint32_t)(int8_t)fuzz_u8(s.race);
        s.spoiled = true;
    } else if (b & 0x80) {
        uint32_t length = serial_queue_length(&s.driver);
        driver_take(fuzz_below(s.race, MAX_CAPACITY) + 1);
        s.owe_process =
            s.owe_process || (serial_queue_length(&s.driver) != length && serial_queue_take_space_signal(&s.driver));
    } else if (client_write(i, s.race, 1) != 0 && serial_queue_take_data_signal(&s.clients[i].end)) {
        s.owe_process = true;
    }
}

static void process_once(void)
{
    struct serial_tx_actions actions;
    s.racing = true;
    s.raced = 0;
    /* One call moves at most the driver's queue: a few loads per client per piece, and a look at
     * every client when nothing moves. */
    unsigned long bound = 16ul * (STREAMS + 1) * (s.driver_capacity + 2);
    fuzz_race_arm(race, NULL, 0, "serial_tx_process");
    serial_tx_process(&v, &actions);
    unsigned long loads = fuzz_race_loads();
    fuzz_race_disarm();
    s.racing = false;
    FUZZ_CHECK(loads <= bound + 64ul * s.raced, "serial_tx_process: %lu loads, %u peer actions (bound %lu)", loads,
               s.raced, bound);
    FUZZ_CHECK((actions.notify_clients >> s.count) == 0, "notified clients %#x of %u", actions.notify_clients, s.count);
}

/* The virtualiser runs, then again for each signal the racing peers owe it. */
static void process(void)
{
    process_once();
    for (unsigned n = 0; n < 256 && s.owe_process; n++) {
        s.owe_process = false;
        process_once();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = fuzz_input(data, size);
    struct fuzz_input race_in = fuzz_split(&in);
    memset(&s, 0, sizeof(s));
    s.race = &race_in;
    memset(&driver_shared, 0, sizeof(driver_shared));
    serial_tx_init(&v);
    /* At least a long escape sequence with its colour and reset, as any real UART queue. */
    s.driver_capacity = 1u << (fuzz_below(&in, 4) + 7);
    FUZZ_CHECK(serial_queue_init(&v.driver, &driver_shared, driver_data, s.driver_capacity) &&
                   serial_queue_init(&s.driver, &driver_shared, driver_data, s.driver_capacity),
               "driver queue");
    s.count = fuzz_below(&in, STREAMS) + 1;
    bool notice = fuzz_bool(&in);
    int hostile = fuzz_u8(&in) >= 0xe0 ? (int)fuzz_below(&in, s.count) : -1;
    for (unsigned i = 0; i < s.count; i++) {
        struct client *c = &s.clients[i];
        char sgr[8];
        bool plain = notice && i + 1 == s.count;
        snprintf(sgr, sizeof(sgr), "3%u", i % 8); /* every colour apart: a piece says whose it is */
        if (i >= 8) {
            snprintf(sgr, sizeof(sgr), "1;3%u", i % 8);
        }
        c->capacity = 1u << (fuzz_below(&in, 7) + 4);
        c->shared.tail = c->shared.head = fuzz_u32(&in);
        FUZZ_CHECK(serial_tx_add_client(&v, &c->shared, c->data, c->capacity, plain ? NULL : sgr) == (int)i,
                   "client %u", i + 1);
        FUZZ_CHECK(serial_queue_init(&c->end, &c->shared, c->data, c->capacity), "client queue");
        if (!plain) {
            c->colour_length = (unsigned)snprintf(c->colour, sizeof(c->colour), "\033[%sm", sgr);
        }
        c->hostile = (int)i == hostile;
    }
    for (unsigned step = 0; step < 400 && fuzz_more(&in); step++) {
        uint8_t op = fuzz_u8(&in);
        switch (op % 4) {
        case 0:
        case 1:
            client_write((op >> 2) % s.count, &in, fuzz_below(&in, 16) + 1);
            break;
        case 2:
            driver_take(fuzz_below(&in, 2 * s.driver_capacity) + 1);
            break;
        case 3:
            process();
            break;
        }
        match_pieces(false);
    }
    /* The end: the driver drains whatever comes, the virtualiser runs when signalled (and once,
     * as after a client's last write). */
    process();
    for (unsigned round = 0; round < STREAM_MAX; round++) {
        uint32_t before = s.uart_length;
        driver_take(MAX_CAPACITY);
        match_pieces(false);
        bool took = s.uart_length != before || serial_queue_length(&s.driver) != 0;
        if (serial_queue_take_space_signal(&s.driver)) {
            process();
        } else if (!took) {
            break;
        }
    }
    match_pieces(true);
    if (s.spoiled) {
        return 0;
    }
    for (unsigned i = 0; i < s.count; i++) {
        const struct client *c = &s.clients[i];
        uint32_t held = c->written_length - c->delivered;
        if (fuzz_tracing()) {
            fprintf(stderr, "client %u holds:", i + 1);
            for (uint32_t t = c->delivered; t < c->written_length; t++) {
                fprintf(stderr, " %02x", c->written[t]);
            }
            fprintf(stderr, "\n");
        }
        /* At most an unfinished sequence, after the lead bytes of an unfinished character. */
        FUZZ_CHECK(held <= SERIAL_TX_MAX_SEQUENCE + 3, "client %u still holds %u bytes after everything drained", i + 1,
                   held);
    }
    return 0;
}
