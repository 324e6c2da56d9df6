#include "virt_tx.h"

/* Where a scan of client output stands (ECMA-48 section 5: ESC, CSI parameters and final byte;
 * OSC strings end with BEL or ST; RFC 3629 for UTF-8 continuation bytes). */
enum scan_state {
    SCAN_GROUND,
    SCAN_ESCAPE, /* after ESC */
    SCAN_CSI,    /* after ESC [ : parameters until a final byte 0x40..0x7e */
    SCAN_STRING, /* after ESC ] (OSC) or ESC P (DCS): until BEL or ESC \ */
    SCAN_STRING_ESCAPE,
    SCAN_UTF8, /* inside a multi-byte character */
};

struct scan {
    enum scan_state state;
    unsigned utf8_left;
    unsigned sequence_length;
};

void serial_tx_init(struct serial_tx_virt *v)
{
    v->client_count = 0;
    v->next = 0;
}

int serial_tx_add_client(struct serial_tx_virt *v, struct serial_queue *queue, char *data, uint32_t capacity,
                         const char *sgr)
{
    if (v->client_count >= SERIAL_TX_MAX_STREAMS) {
        return -1;
    }
    struct serial_tx_client *c = &v->clients[v->client_count];
    if (!serial_queue_init(&c->queue, queue, data, capacity)) {
        return -1;
    }
    c->colour_length = 0;
    c->bytes = 0;
    if (sgr != 0 && sgr[0] != '\0') {
        unsigned n = 0;
        c->colour[n++] = '\033';
        c->colour[n++] = '[';
        for (unsigned i = 0; sgr[i] != '\0'; i++) {
            bool allowed = (sgr[i] >= '0' && sgr[i] <= '9') || sgr[i] == ';';
            if (!allowed || n + 2 > SERIAL_TX_COLOUR_MAX) {
                return -1;
            }
            c->colour[n++] = sgr[i];
        }
        c->colour[n++] = 'm';
        c->colour_length = n;
    }
    return (int)v->client_count++;
}

/* Where a piece may end, relative to the byte just scanned: both can hold (a byte that shows the
 * character before it was malformed may itself be complete). */
enum {
    CUT_BEFORE = 1u << 0,
    CUT_AFTER = 1u << 1,
};

/* The number of continuation bytes a UTF-8 lead byte announces (RFC 3629 section 4), or 0 if the
 * byte starts no multi-byte character. */
static unsigned utf8_continuations(unsigned char b)
{
    if (b >= 0xc2 && b <= 0xdf) {
        return 1;
    }
    if (b >= 0xe0 && b <= 0xef) {
        return 2;
    }
    if (b >= 0xf0 && b <= 0xf4) {
        return 3;
    }
    return 0;
}

static unsigned scan_ground(struct scan *s, unsigned char b)
{
    if (b == 0x1b) {
        s->state = SCAN_ESCAPE;
        s->sequence_length = 1;
        return 0;
    }
    unsigned continuations = utf8_continuations(b);
    if (continuations > 0) {
        s->state = SCAN_UTF8;
        s->utf8_left = continuations;
        return 0;
    }
    return CUT_AFTER;
}

static unsigned scan_escape(struct scan *s, unsigned char b)
{
    if (b == '[') {
        s->state = SCAN_CSI;
        return 0;
    }
    if (b == ']' || b == 'P') {
        s->state = SCAN_STRING;
        return 0;
    }
    if (b >= 0x20 && b <= 0x2f) {
        return 0; /* intermediate bytes (ESC ( B and the like) */
    }
    s->state = SCAN_GROUND;
    return CUT_AFTER;
}

/* Inside a multi-byte character: a continuation byte brings it nearer its end; any other byte
 * shows that it was malformed and has ended already, so a piece may end before that byte, which
 * then starts afresh. A character is at most 4 bytes, so a cut is never further away than that:
 * lead bytes that are never completed cannot hold the output. */
static unsigned scan_utf8(struct scan *s, unsigned char b)
{
    if ((b & 0xc0) != 0x80) {
        s->state = SCAN_GROUND;
        return CUT_BEFORE | scan_ground(s, b);
    }
    if (--s->utf8_left == 0) {
        s->state = SCAN_GROUND;
        return CUT_AFTER;
    }
    return 0;
}

/* Advance the scan over one byte; say where a piece may end (CUT_BEFORE, CUT_AFTER). From ground,
 * every SERIAL_TX_MAX_SEQUENCE bytes hold a cut point. */
static unsigned scan_byte(struct scan *s, unsigned char b)
{
    bool in_sequence = s->state != SCAN_GROUND && s->state != SCAN_UTF8;
    if (in_sequence && ++s->sequence_length >= SERIAL_TX_MAX_SEQUENCE) {
        s->state = SCAN_GROUND; /* not a sequence any terminal knows: give up on it */
        return CUT_AFTER;
    }
    switch (s->state) {
    case SCAN_GROUND:
        return scan_ground(s, b);
    case SCAN_ESCAPE:
        return scan_escape(s, b);
    case SCAN_CSI:
        if (b >= 0x40 && b <= 0x7e) {
            s->state = SCAN_GROUND;
            return CUT_AFTER;
        }
        return 0;
    case SCAN_STRING:
        if (b == 0x07) {
            s->state = SCAN_GROUND;
            return CUT_AFTER;
        }
        if (b == 0x1b) {
            s->state = SCAN_STRING_ESCAPE;
        }
        return 0;
    case SCAN_STRING_ESCAPE:
        s->state = b == '\\' ? SCAN_GROUND : SCAN_STRING;
        return s->state == SCAN_GROUND ? CUT_AFTER : 0;
    case SCAN_UTF8:
        return scan_utf8(s, b);
    }
    return CUT_AFTER;
}

/*
 * The next piece of a client's output: its waiting bytes are scanned and copied into the driver's
 * window at `at`, in one pass, so the piece sent is exactly what was scanned even if the client
 * rewrites its data meanwhile. Returns the piece's length, a cut point; what was copied past it is
 * not published, and the caller writes the reset over it. The head of a client's queue is always
 * at a cut point, so the scan starts from ground. When room is the limit, prefer to end the piece
 * after a newline, so lines of different clients interleave whole where they can.
 */
static uint32_t copy_piece(struct serial_tx_client *c, struct spsc_window waiting, struct serial_queue_handle *driver,
                           struct spsc_window space, uint32_t at, uint32_t room)
{
    struct scan s = {SCAN_GROUND, 0, 0};
    uint32_t limit = waiting.count < room ? waiting.count : room;
    uint32_t cut = 0, cut_after_newline = 0;
    for (uint32_t i = 0; i < limit; i++) {
        char b = c->queue.data[spsc_slot(&c->queue.ring, waiting, i)];
        driver->data[spsc_slot(&driver->ring, space, at + i)] = b;
        unsigned where = scan_byte(&s, (unsigned char)b);
        if (where & CUT_BEFORE) {
            cut = i;
        }
        if (where & CUT_AFTER) {
            cut = i + 1;
            if (b == '\n') {
                cut_after_newline = i + 1;
            }
        }
    }
    if (waiting.count > room && cut_after_newline > 0) {
        return cut_after_newline;
    }
    return cut;
}

enum serve_result {
    SERVE_IDLE,    /* nothing (more) to send now */
    SERVE_SENT,    /* a piece went out */
    SERVE_NO_ROOM, /* the driver's queue is too full */
};

/* One piece of client `index`, from one look at each queue; *sent grows by what the driver's queue
 * received. */
static enum serve_result serve(struct serial_tx_virt *v, unsigned index, uint32_t *sent,
                               struct serial_tx_actions *actions)
{
    struct serial_tx_client *c = &v->clients[index];
    struct spsc_window waiting = serial_queue_filled(&c->queue);
    if (waiting.count == 0) {
        serial_queue_request_data_signal(&c->queue);
        waiting = serial_queue_filled(&c->queue);
        if (waiting.count == 0) {
            return SERVE_IDLE;
        }
    }
    uint32_t reset_length = c->colour_length == 0 ? 0 : SERIAL_TX_RESET_LENGTH;
    uint32_t overhead = c->colour_length + reset_length;
    struct spsc_window space = serial_queue_space(&v->driver);
    uint32_t room = space.count > overhead ? space.count - overhead : 0;
    uint32_t n = room == 0 ? 0 : copy_piece(c, waiting, &v->driver, space, c->colour_length, room);
    if (n == 0 && waiting.count <= room && waiting.count == c->queue.capacity) {
        /* The client's whole queue is one unfinished sequence: with no room left it can never
         * finish it, so waiting would stall it for good. It was all copied; it goes as it is. */
        n = waiting.count;
    }
    if (n == 0) {
        if (waiting.count <= room) {
            /* The data ends inside a sequence: the rest is on its way. */
            serial_queue_request_data_signal(&c->queue);
            return SERVE_IDLE;
        }
        return SERVE_NO_ROOM;
    }
    /* n + overhead <= space.count: the colour and the reset fit around the piece. */
    serial_window_write(&v->driver, space, 0, c->colour, c->colour_length);
    serial_window_write(&v->driver, space, c->colour_length + n, SERIAL_TX_RESET, reset_length);
    serial_queue_produce_window(&v->driver, space, n + overhead);
    serial_queue_consume_window(&c->queue, waiting, n);
    c->bytes += n;
    *sent += n + overhead;
    if (serial_queue_take_space_signal(&c->queue)) {
        actions->notify_clients |= 1u << index;
    }
    return SERVE_SENT;
}

void serial_tx_process(struct serial_tx_virt *v, struct serial_tx_actions *actions)
{
    actions->notify_driver = false;
    actions->notify_clients = 0;
    /* On one core the driver's free space only shrinks during a call, so an honest system never
     * sends more than this; only a driver draining on another core as fast as clients fill gets
     * here, and it signals when it has consumed what was sent. */
    uint32_t limit = v->driver.capacity;
    uint32_t sent = 0;
    bool progress = true;
    bool blocked = false;
    while (progress && !blocked) {
        progress = false;
        for (unsigned k = 0; k < v->client_count && !blocked; k++) {
            unsigned index = (v->next + k) % v->client_count;
            if (sent >= limit) {
                serial_queue_request_space_signal(&v->driver);
                v->next = index;
                blocked = true;
                break;
            }
            enum serve_result r = serve(v, index, &sent, actions);
            if (r == SERVE_NO_ROOM) {
                /* Ask the driver for a signal, then look once more: it may have made room since. */
                serial_queue_request_space_signal(&v->driver);
                r = serve(v, index, &sent, actions);
            }
            if (r == SERVE_SENT) {
                progress = true;
            } else if (r == SERVE_NO_ROOM) {
                /* Everyone waits for the driver; this client goes first when there is room. */
                v->next = index;
                blocked = true;
            }
        }
    }
    if (!blocked && v->client_count > 0) {
        v->next = (v->next + 1) % v->client_count;
    }
    actions->notify_driver = sent > 0 && serial_queue_take_data_signal(&v->driver);
}
