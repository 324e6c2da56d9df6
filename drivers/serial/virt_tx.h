/*
 * The TX virtualiser's multiplexer (SPEC section 3): every client's output goes to the one UART
 * queue in pieces, each piece wrapped in the client's colour and a reset, so the terminal is
 * always back to normal after a piece. A piece never ends inside a client's own escape sequence
 * or UTF-8 character: a cut there would let the next client's colour land inside it. What a
 * client writes can never hold the console: a malformed character ends where it breaks, an
 * endless sequence is given up on, and a queue full of one unfinished sequence goes as it is.
 * When the UART queue is short of room the clients wait (back-pressure), they are never dropped.
 * Portable: the PD glue does the notifications this code asks for.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "queue.h"
#include "serial.h"

/* Every client, and the RX virtualiser's notice stream (added last, with no colour). */
#define SERIAL_TX_MAX_STREAMS  (SERIAL_MAX_CLIENTS + 1)
#define SERIAL_TX_COLOUR_MAX   16
#define SERIAL_TX_RESET        "\033[0m"
#define SERIAL_TX_RESET_LENGTH 4
/* An escape sequence this long is not one a terminal knows: cutting after it is allowed, so a
 * client that never ends its sequence cannot stall its own output. A UTF-8 character is at most 4
 * bytes, so from a cut point the next SERIAL_TX_MAX_SEQUENCE bytes always hold another: a driver
 * queue with that much room (besides a colour and a reset) always takes a piece. */
#define SERIAL_TX_MAX_SEQUENCE 64

struct serial_tx_client {
    struct serial_queue_handle queue; /* this client's output, we consume */
    char colour[SERIAL_TX_COLOUR_MAX];
    unsigned colour_length; /* 0: no colour and no reset (the system's own notices) */
    uint64_t bytes;         /* forwarded so far */
};

struct serial_tx_virt {
    struct serial_queue_handle driver; /* toward the UART driver, we produce */
    struct serial_tx_client clients[SERIAL_TX_MAX_STREAMS];
    unsigned client_count;
    unsigned next; /* the client served first in the next round: fairness under back-pressure */
};

/* What the caller must notify after serial_tx_process. */
struct serial_tx_actions {
    bool notify_driver;
    uint32_t notify_clients; /* bit i: client i (0-based) has space again and asked to hear of it */
};

void serial_tx_init(struct serial_tx_virt *v);
/* Add a client; `sgr` is its colour as an SGR parameter string ("32" green), NULL or "" for
 * none. Returns its index, or -1 if the table (SERIAL_TX_MAX_STREAMS) is full or the queue is
 * unusable. */
int serial_tx_add_client(struct serial_tx_virt *v, struct serial_queue *queue, char *data, uint32_t capacity,
                         const char *sgr);
/* Move what can move now, at most one driver queue's worth (so a peer that always has more, on
 * another core, cannot hold this call); ask for signals where it must wait. */
void serial_tx_process(struct serial_tx_virt *v, struct serial_tx_actions *actions);
