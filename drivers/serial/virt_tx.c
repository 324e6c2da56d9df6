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
    if (v->client_count >= SERIAL_TX_MAX_CLIENTS) {
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

/* Advance the scan over one byte; true if a piece may end right after it. */
static bool scan_byte(struct scan *s, unsigned char b)
{
    if (s->state != SCAN_GROUND && s->state != SCAN_UTF8 && ++s->sequence_length > SERIAL_TX_MAX_SEQUENCE) {
        s->state = SCAN_GROUND; /* not a sequence any terminal knows: give up on it */
        return true;
    }
    switch (s->state) {
    case SCAN_GROUND:
        if (b == 0x1b) {
            s->state = SCAN_ESCAPE;
            s->sequence_length = 1;
            return false;
        }
        if (b >= 0xc2 && b <= 0xf4) {
            s->state = SCAN_UTF8;
            s->utf8_left = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
            return false;
        }
        return true;
    case SCAN_ESCAPE:
        if (b == '[') {
            s->state = SCAN_CSI;
            return false;
        }
        if (b == ']' || b == 'P') {
            s->state = SCAN_STRING;
            return false;
        }
        if (b >= 0x20 && b <= 0x2f) {
            return false; /* intermediate bytes (ESC ( B and the like) */
        }
        s->state = SCAN_GROUND;
        return true;
    case SCAN_CSI:
        if (b >= 0x40 && b <= 0x7e) {
            s->state = SCAN_GROUND;
            return true;
        }
        return false;
    case SCAN_STRING:
        if (b == 0x07) {
            s->state = SCAN_GROUND;
            return true;
        }
        if (b == 0x1b) {
            s->state = SCAN_STRING_ESCAPE;
        }
        return false;
    case SCAN_STRING_ESCAPE:
        s->state = b == '\\' ? SCAN_GROUND : SCAN_STRING;
        return s->state == SCAN_GROUND;
    case SCAN_UTF8:
        if ((b & 0xc0) != 0x80) {
            /* Not a continuation: the character was malformed; rescan this byte afresh. */
            s->state = SCAN_GROUND;
            return scan_byte(s, b);
        }
        if (--s->utf8_left == 0) {
            s->state = SCAN_GROUND;
            return true;
        }
        return false;
    }
    return true;
}

/*
 * How many of the client's waiting bytes form the next piece, given `room` bytes for them. The
 * head of a client's queue is always at a cut point, so the scan starts from ground. When room
 * is the limit, prefer to end the piece after a newline, so lines of different clients
 * interleave whole where they can.
 */
static uint32_t piece_length(struct serial_tx_client *c, uint32_t available, uint32_t room)
{
    struct scan s = {SCAN_GROUND, 0, 0};
    uint32_t limit = available < room ? available : room;
    uint32_t cut = 0, cut_after_newline = 0;
    uint32_t head = c->queue.queue->head; /* limit <= the checked length, so every index is in range */
    uint32_t mask = c->queue.capacity - 1;
    for (uint32_t i = 0; i < limit; i++) {
        char b = c->queue.data[(head + i) & mask];
        if (scan_byte(&s, (unsigned char)b)) {
            cut = i + 1;
            if (b == '\n') {
                cut_after_newline = i + 1;
            }
        }
    }
    if (available > room && cut_after_newline > 0) {
        return cut_after_newline;
    }
    return cut;
}

/* Copy n bytes from the client's queue to the driver's, in contiguous spans. */
static void move_bytes(struct serial_tx_client *c, struct serial_queue_handle *driver, uint32_t n)
{
    while (n > 0) {
        const char *bytes;
        uint32_t span = serial_queue_read_span(&c->queue, &bytes);
        if (span > n) {
            span = n;
        }
        serial_enqueue_batch(driver, bytes, span);
        serial_queue_consume(&c->queue, span);
        n -= span;
    }
}

enum serve_result {
    SERVE_IDLE,    /* nothing (more) to send now */
    SERVE_SENT,    /* a piece went out */
    SERVE_NO_ROOM, /* the driver's queue is too full */
};

static enum serve_result serve(struct serial_tx_virt *v, unsigned index, struct serial_tx_actions *actions)
{
    struct serial_tx_client *c = &v->clients[index];
    uint32_t available = serial_queue_length(&c->queue);
    if (available == 0) {
        serial_queue_request_data_signal(&c->queue);
        available = serial_queue_length(&c->queue);
        if (available == 0) {
            return SERVE_IDLE;
        }
    }
    uint32_t overhead = c->colour_length == 0 ? 0 : c->colour_length + SERIAL_TX_RESET_LENGTH;
    uint32_t free_space = serial_queue_free(&v->driver);
    uint32_t room = free_space > overhead ? free_space - overhead : 0;
    uint32_t n = room == 0 ? 0 : piece_length(c, available, room);
    if (n == 0) {
        if (available <= room) {
            /* The data ends inside a sequence: the rest is on its way. */
            serial_queue_request_data_signal(&c->queue);
            return SERVE_IDLE;
        }
        return SERVE_NO_ROOM;
    }
    serial_enqueue_batch(&v->driver, c->colour, c->colour_length);
    move_bytes(c, &v->driver, n);
    if (c->colour_length != 0) {
        serial_enqueue_batch(&v->driver, SERIAL_TX_RESET, SERIAL_TX_RESET_LENGTH);
    }
    c->bytes += n;
    if (serial_queue_take_space_signal(&c->queue)) {
        actions->notify_clients |= 1u << index;
    }
    return SERVE_SENT;
}

void serial_tx_process(struct serial_tx_virt *v, struct serial_tx_actions *actions)
{
    actions->notify_driver = false;
    actions->notify_clients = 0;
    bool sent_any = false;
    bool progress = true;
    bool blocked = false;
    while (progress && !blocked) {
        progress = false;
        for (unsigned k = 0; k < v->client_count && !blocked; k++) {
            unsigned index = (v->next + k) % v->client_count;
            enum serve_result r = serve(v, index, actions);
            if (r == SERVE_NO_ROOM) {
                /* Ask the driver for a signal, then look once more: it may have made room since. */
                serial_queue_request_space_signal(&v->driver);
                r = serve(v, index, actions);
            }
            if (r == SERVE_SENT) {
                progress = true;
                sent_any = true;
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
    actions->notify_driver = sent_any && serial_queue_take_data_signal(&v->driver);
}
