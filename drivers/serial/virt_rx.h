/*
 * The RX virtualiser's input switch (SPEC section 3): all input goes to client 1 at first;
 * the switch character (default '@') followed by a client number (1-based) sends input to that
 * client; "@@" sends a literal '@'; '@' followed by anything that is not a valid client number
 * passes every character through unchanged. An explicit state machine, fed one character at a
 * time; what it decides comes back as output, so nothing here touches a queue or a device.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "queue.h"
#include "serial.h"

#define SERIAL_RX_MAX_OUTPUT 8

enum serial_rx_state {
    RX_NORMAL,      /* characters go to the current client */
    RX_SWITCH_SEEN, /* the switch character, held back */
    RX_DIGITS,      /* the switch character and digits of a client number, held back */
};

struct serial_rx_virt {
    char switch_char;
    unsigned client_count;
    unsigned current; /* 1-based */
    enum serial_rx_state state;
    unsigned number; /* the digits so far */
    char held[SERIAL_RX_MAX_OUTPUT];
    unsigned held_count;
};

struct serial_rx_output {
    char bytes[SERIAL_RX_MAX_OUTPUT];
    unsigned count;  /* bytes for `client` */
    unsigned client; /* 1-based */
    bool switched;   /* input now goes to `client`: print the one-line notice */
};

void serial_rx_init(struct serial_rx_virt *v, unsigned client_count, char switch_char);
/* Feed one typed character. The output can hold bytes for the client that was current before a
 * switch (held-back characters passed through) — see `client`. */
void serial_rx_input(struct serial_rx_virt *v, char c, struct serial_rx_output *out);

/*
 * The RX virtualiser's router: typed input from the UART driver's queue, through the switch, into
 * the selected client's queue. A character leaves the driver's queue only once everything it
 * produces fits in its client's queue: a full client holds input back (the driver then holds it
 * in the UART, and the UART holds back the sender), nothing is sent elsewhere.
 * A client that reads nothing for `patience_ms` while input waits for it is taken as not reading
 * (SPEC section 4): from then on what is typed for it is dropped and counted, so that the switch
 * character still works and the person can move to another client, until it reads again. A client
 * that reads, but slowly, has its clock started again each time it reads, except when a switch
 * character was typed behind the input it holds: the person is leaving, so that wait spends the
 * patience at most once, not once per held character.
 * Each switch, each wait on a full client (once, however long it lasts), the start and the end of
 * dropping are announced on `notice` (one line each).
 */
#define SERIAL_RX_PATIENCE_DEFAULT 5000 /* ms; the PD takes SERIAL_RX_PATIENCE_MS */

struct serial_rx_router {
    struct serial_rx_virt input;
    struct serial_queue_handle driver; /* from the UART driver, we consume */
    struct serial_queue_handle clients[SERIAL_MAX_CLIENTS];
    unsigned client_count;
    struct serial_queue_handle notice; /* to the TX virtualiser; capacity 0: no notices */
    bool have_notice;
    unsigned waiting_for;      /* 1-based client whose full queue holds input back, or 0 */
    uint64_t waiting_since_ms; /* when the wait's clock started */
    bool read_during_wait;     /* waiting_for took input since then */
    uint64_t patience_ms;
    uint64_t delivered[SERIAL_MAX_CLIENTS];
    bool dropping[SERIAL_MAX_CLIENTS];    /* the client is taken as not reading */
    uint64_t dropped[SERIAL_MAX_CLIENTS]; /* characters dropped since it stopped reading */
    unsigned notices_dropped;             /* the notice queue was full */
};

struct serial_rx_actions {
    bool notify_driver;      /* space freed in the driver's queue and it asked to hear of it */
    uint32_t notify_clients; /* bit i: client i + 1 got input and asked to hear of it */
    bool notify_notice;      /* a notice was written and the TX virtualiser asked to hear of it */
};

/* The caller then sets up `driver` (and `notice`, setting have_notice) with serial_queue_init. */
void serial_rx_router_init(struct serial_rx_router *r, char switch_char);
/* False if the table is full or the queue unusable. Clients are numbered 1, 2, ... in order. */
bool serial_rx_router_add_client(struct serial_rx_router *r, struct serial_queue *queue, char *data, uint32_t capacity);
/* Print the start-up line that says how to switch (after every client is added). */
void serial_rx_router_start(struct serial_rx_router *r, struct serial_rx_actions *actions);
/* Route what can go, at most one driver queue's worth (so a driver that always has more, on another
 * core, cannot hold this call). now_ms: a clock in milliseconds (any origin), for the patience
 * rule. */
void serial_rx_route(struct serial_rx_router *r, uint64_t now_ms, struct serial_rx_actions *actions);
