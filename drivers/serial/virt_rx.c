#include "virt_rx.h"

void serial_rx_init(struct serial_rx_virt *v, unsigned client_count, char switch_char)
{
    v->switch_char = switch_char;
    v->client_count = client_count;
    v->current = 1;
    v->state = RX_NORMAL;
    v->number = 0;
    v->held_count = 0;
}

static void emit(struct serial_rx_output *out, char c)
{
    if (out->count < SERIAL_RX_MAX_OUTPUT) {
        out->bytes[out->count++] = c;
    }
}

/* Give back everything held, unchanged, to the current client. */
static void release_held(struct serial_rx_virt *v, struct serial_rx_output *out)
{
    for (unsigned i = 0; i < v->held_count; i++) {
        emit(out, v->held[i]);
    }
    v->held_count = 0;
    v->state = RX_NORMAL;
    v->number = 0;
}

static void hold(struct serial_rx_virt *v, char c)
{
    if (v->held_count < SERIAL_RX_MAX_OUTPUT) {
        v->held[v->held_count++] = c;
    }
}

static void switch_to(struct serial_rx_virt *v, unsigned client, struct serial_rx_output *out)
{
    v->current = client;
    v->held_count = 0;
    v->state = RX_NORMAL;
    v->number = 0;
    out->switched = true;
    out->client = client;
}

void serial_rx_input(struct serial_rx_virt *v, char c, struct serial_rx_output *out)
{
    out->count = 0;
    out->switched = false;
    out->client = v->current;
    bool digit = c >= '0' && c <= '9';
    switch (v->state) {
    case RX_NORMAL:
        if (c == v->switch_char) {
            hold(v, c);
            v->state = RX_SWITCH_SEEN;
        } else {
            emit(out, c);
        }
        return;
    case RX_SWITCH_SEEN:
        if (c == v->switch_char) {
            /* "@@": one literal switch character */
            v->held_count = 0;
            v->state = RX_NORMAL;
            emit(out, c);
        } else if (digit && c != '0') {
            hold(v, c);
            v->number = (unsigned)(c - '0');
            v->state = RX_DIGITS;
            if (v->number <= v->client_count && v->number * 10 > v->client_count) {
                switch_to(v, v->number, out); /* no longer number could be valid: decide now */
            } else if (v->number > v->client_count) {
                release_held(v, out);
            }
        } else {
            hold(v, c);
            release_held(v, out);
        }
        return;
    case RX_DIGITS:
        if (digit) {
            unsigned next = v->number * 10 + (unsigned)(c - '0');
            hold(v, c);
            if (next > v->client_count || v->held_count >= SERIAL_RX_MAX_OUTPUT) {
                if (v->number >= 1 && v->number <= v->client_count) {
                    /* the longest valid number ended before this digit, which goes to it */
                    switch_to(v, v->number, out);
                    emit(out, c);
                } else {
                    release_held(v, out);
                }
            } else {
                v->number = next;
                if (next * 10 > v->client_count) {
                    switch_to(v, next, out);
                }
            }
        } else {
            /* A non-digit ends the number: switch if valid and hand the character over. */
            if (v->number >= 1 && v->number <= v->client_count) {
                switch_to(v, v->number, out);
                if (c == v->switch_char) {
                    hold(v, c);
                    v->state = RX_SWITCH_SEEN;
                } else {
                    emit(out, c);
                }
            } else {
                hold(v, c);
                release_held(v, out);
            }
        }
        return;
    }
}

void serial_rx_router_init(struct serial_rx_router *r, char switch_char)
{
    serial_rx_init(&r->input, 0, switch_char);
    r->client_count = 0;
    r->have_notice = false;
    r->waiting_for = 0;
    r->waiting_since_ms = 0;
    r->read_during_wait = false;
    r->patience_ms = SERIAL_RX_PATIENCE_DEFAULT;
    r->notices_dropped = 0;
}

bool serial_rx_router_add_client(struct serial_rx_router *r, struct serial_queue *queue, char *data, uint32_t capacity)
{
    if (r->client_count >= SERIAL_MAX_CLIENTS ||
        !serial_queue_init(&r->clients[r->client_count], queue, data, capacity)) {
        return false;
    }
    r->delivered[r->client_count] = 0;
    r->dropping[r->client_count] = false;
    r->dropped[r->client_count] = 0;
    r->client_count++;
    r->input.client_count = r->client_count;
    return true;
}

struct notice_text {
    char line[160];
    unsigned length;
};

static void append_text(struct notice_text *t, const char *text)
{
    for (const char *p = text; *p != '\0' && t->length < sizeof(t->line); p++) {
        t->line[t->length++] = *p;
    }
}

static void append_number(struct notice_text *t, uint64_t number)
{
    char digits[20];
    unsigned d = 0;
    do {
        digits[d++] = (char)('0' + number % 10);
        number /= 10;
    } while (number != 0 && d < sizeof(digits));
    while (d > 0 && t->length < sizeof(t->line)) {
        t->line[t->length++] = digits[--d];
    }
}

static void send_notice(struct serial_rx_router *r, const struct notice_text *t, struct serial_rx_actions *actions)
{
    /* One look at the queue decides and writes: a notice goes whole or not at all. */
    struct spsc_window space = serial_queue_space(&r->notice);
    if (space.count < t->length) {
        r->notices_dropped++; /* counted; the TX virtualiser is far behind */
        return;
    }
    serial_window_write(&r->notice, space, 0, t->line, t->length);
    serial_queue_produce_window(&r->notice, space, t->length);
    if (serial_queue_take_data_signal(&r->notice)) {
        actions->notify_notice = true;
    }
}

/* A notice "<prefix><number><suffix>", built without a printf. */
static void notice(struct serial_rx_router *r, const char *prefix, unsigned number, const char *suffix,
                   struct serial_rx_actions *actions)
{
    if (!r->have_notice) {
        return;
    }
    struct notice_text t = {.length = 0};
    append_text(&t, prefix);
    append_number(&t, number);
    append_text(&t, suffix);
    send_notice(r, &t, actions);
}

static void notice_reads_again(struct serial_rx_router *r, unsigned client, struct serial_rx_actions *actions)
{
    if (!r->have_notice) {
        return;
    }
    struct notice_text t = {.length = 0};
    append_text(&t, "\r\nserial: client ");
    append_number(&t, client);
    append_text(&t, " reads again; ");
    append_number(&t, r->dropped[client - 1]);
    append_text(&t, " characters typed for it meanwhile were dropped\r\n");
    send_notice(r, &t, actions);
}

static void clear_actions(struct serial_rx_actions *actions)
{
    actions->notify_driver = false;
    actions->notify_clients = 0;
    actions->notify_notice = false;
}

void serial_rx_router_start(struct serial_rx_router *r, struct serial_rx_actions *actions)
{
    clear_actions(actions);
    char hint[] = "\r\nserial: input goes to client 1; type ?N to switch to client N (1-";
    char tail[] = "), ?? for a literal ?\r\n";
    for (unsigned i = 0; hint[i] != '\0'; i++) {
        hint[i] = hint[i] == '?' ? r->input.switch_char : hint[i];
    }
    for (unsigned i = 0; tail[i] != '\0'; i++) {
        tail[i] = tail[i] == '?' ? r->input.switch_char : tail[i];
    }
    notice(r, hint, r->client_count, tail, actions);
}

/* True if the switch character was typed after the character at `offset` of the typed window:
 * the person may be on the way to another client, behind input held for this one. */
static bool switch_typed_after(const struct serial_rx_router *r, struct spsc_window typed, uint32_t offset)
{
    for (uint32_t i = offset + 1; i < typed.count; i++) {
        if (r->driver.data[spsc_slot(&r->driver.ring, typed, i)] == r->input.switch_char) {
            return true;
        }
    }
    return false;
}

/*
 * Input for `client` does not fit in its queue: true if it waits for the client, false if the
 * client has used up its patience and is taken as not reading. One wait lasts while input is held
 * back for the same client; it ends when the held input is all routed, or at a switch. Its clock
 * starts again only when the client has read since and no switch character waits behind the held
 * input: a client that keeps reading is not one that reads nothing (SPEC 4), but the patience is
 * spent at most once before a switch the person typed, however slowly the client reads.
 */
static bool keep_waiting(struct serial_rx_router *r, unsigned client, struct spsc_window typed, uint32_t offset,
                         uint64_t now_ms, struct serial_rx_actions *actions)
{
    if (r->waiting_for != client) {
        notice(r, "\r\nserial: client ", client, " is not taking input; typing waits for it\r\n", actions);
        r->waiting_for = client;
        r->waiting_since_ms = now_ms;
        r->read_during_wait = false;
        return true;
    }
    bool clock_went_back = now_ms < r->waiting_since_ms;
    if (clock_went_back || (r->read_during_wait && !switch_typed_after(r, typed, offset))) {
        r->waiting_since_ms = now_ms;
        r->read_during_wait = false;
        return true;
    }
    return now_ms - r->waiting_since_ms < r->patience_ms;
}

/* Deliver `out` if it fits in its client's queue, else drop it if the client is not reading; false
 * if it must wait. */
static bool deliver(struct serial_rx_router *r, const struct serial_rx_output *out, struct spsc_window typed,
                    uint32_t offset, uint64_t now_ms, struct serial_rx_actions *actions, bool *delivered)
{
    unsigned index = out->client - 1;
    struct serial_queue_handle *q = &r->clients[index];
    /* What is delivered is what was found to fit: one look at the queue decides and writes. */
    struct spsc_window space = serial_queue_space(q);
    bool fits = space.count >= out->count;
    if (!fits && !r->dropping[index]) {
        /* Ask the client's VMM for a signal when it frees space, then look once more. */
        serial_queue_request_space_signal(q);
        space = serial_queue_space(q);
        fits = space.count >= out->count;
    }
    if (fits) {
        if (r->dropping[index]) {
            r->dropping[index] = false;
            notice_reads_again(r, out->client, actions);
        }
        serial_window_write(q, space, 0, out->bytes, out->count);
        serial_queue_produce_window(q, space, out->count);
        r->delivered[index] += out->count;
        delivered[index] = true;
        r->read_during_wait = r->read_during_wait || r->waiting_for == out->client;
        return true;
    }
    if (r->dropping[index]) {
        r->dropped[index] += out->count;
        return true;
    }
    if (keep_waiting(r, out->client, typed, offset, now_ms, actions)) {
        return false;
    }
    r->dropping[index] = true;
    r->dropped[index] = out->count;
    notice(r, "\r\nserial: client ", out->client, " is not reading; what is typed for it is dropped until it reads\r\n",
           actions);
    return true;
}

/* Route the character at `offset` of the typed window if its output fits (or its client is not
 * reading); false if it must wait for its client. */
static bool route_one(struct serial_rx_router *r, struct spsc_window typed, uint32_t offset, uint64_t now_ms,
                      struct serial_rx_actions *actions, bool *delivered)
{
    char c = r->driver.data[spsc_slot(&r->driver.ring, typed, offset)];
    struct serial_rx_virt next = r->input;
    struct serial_rx_output out;
    serial_rx_input(&next, c, &out);
    if (out.count > 0 && !deliver(r, &out, typed, offset, now_ms, actions, delivered)) {
        return false;
    }
    r->input = next;
    if (out.switched) {
        r->waiting_for = 0; /* the wait, if any, was for the client left behind */
        notice(r, "\r\nserial: input goes to client ", out.client, "\r\n", actions);
    }
    return true;
}

void serial_rx_route(struct serial_rx_router *r, uint64_t now_ms, struct serial_rx_actions *actions)
{
    clear_actions(actions);
    bool delivered[SERIAL_MAX_CLIENTS] = {false};
    bool consumed = false;
    /* On one core the driver cannot add input during a call, so an honest system never routes more
     * than its queue holds; only a driver that always has more, on another core, reaches this,
     * and it signals us again as it adds input. */
    uint32_t budget = r->driver.capacity;
    while (budget > 0 && r->client_count > 0) {
        struct spsc_window typed = serial_queue_filled(&r->driver);
        if (typed.count == 0) {
            serial_queue_request_data_signal(&r->driver);
            typed = serial_queue_filled(&r->driver);
            if (typed.count == 0) {
                r->waiting_for = 0; /* all typed input is routed: nothing waits for anyone */
                break;
            }
        }
        uint32_t n = typed.count < budget ? typed.count : budget;
        uint32_t routed = 0;
        while (routed < n && route_one(r, typed, routed, now_ms, actions, delivered)) {
            routed++;
        }
        bool held = routed < n;
        serial_queue_consume_window(&r->driver, typed, routed);
        consumed = consumed || routed > 0;
        budget -= routed;
        if (held || budget == 0) {
            /* Held back: hear of more typing too, which is when the patience rule is looked at
             * again (a client that never reads would otherwise hold the switch character). */
            serial_queue_request_data_signal(&r->driver);
            break;
        }
    }
    for (unsigned i = 0; i < r->client_count; i++) {
        if (delivered[i] && serial_queue_take_data_signal(&r->clients[i])) {
            actions->notify_clients |= 1u << i;
        }
    }
    actions->notify_driver = consumed && serial_queue_take_space_signal(&r->driver);
}
