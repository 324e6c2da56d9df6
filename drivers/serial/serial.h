/*
 * What every part of the serial framework agrees on, portable (PDs, the VMM library, host tests):
 * how many client guests can share the console. The virtualisers' tables, the PDs' client tables
 * and the bit masks of clients to notify are all sized from this one number.
 */
#pragma once

#define SERIAL_MAX_CLIENTS 8

/* Masks of clients to notify are 32 bits wide; the TX virtualiser also reads the RX virtualiser's
 * notice stream, one bit past the clients. */
_Static_assert(SERIAL_MAX_CLIENTS >= 1 && SERIAL_MAX_CLIENTS + 1 <= 32, "client masks are 32 bits");
