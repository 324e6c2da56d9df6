/*
 * The RX virtualiser's input switch (SPEC section 3): all input goes to client 1 at first;
 * the switch character (default '@') followed by a client number (1-based) sends input to that
 * client; "@@" sends a literal '@'; '@' followed by anything that is not a valid client number
 * passes every character through unchanged. An explicit state machine, fed one character at a
 * time; what it decides comes back as output, so nothing here touches a queue or a device.
 */
#pragma once

#include <stdbool.h>

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
