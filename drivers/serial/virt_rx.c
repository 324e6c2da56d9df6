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
