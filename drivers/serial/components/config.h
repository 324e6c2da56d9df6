/*
 * The serial virtualisers' client tables, patched from the .system file: client i (0-based,
 * "client i + 1" to a person) talks on channel i + 1, its queue and data regions are mapped with
 * setvar_vaddr="client_queue[i]" / "client_data[i]" and setvar_size="client_data_size[i]". The
 * UART driver is on channel 0 (driver_queue, driver_data, driver_data_size); the RX
 * virtualiser's notices reach the TX virtualiser on channel SERIAL_NOTICE_CH of both.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "../queue.h"
#include "../serial.h"

#define SERIAL_DRIVER_CH 0
#define SERIAL_NOTICE_CH 9

/* Defined in config.c, linked into both virtualisers. */
extern uint64_t driver_queue, driver_data, driver_data_size;
extern uint64_t client_queue[SERIAL_MAX_CLIENTS], client_data[SERIAL_MAX_CLIENTS], client_data_size[SERIAL_MAX_CLIENTS];
extern uint64_t notice_queue, notice_data, notice_data_size;

/* How many clients the .system file gave (the first empty slot ends the table). */
unsigned serial_config_client_count(void);
/* Whether the .system file gave this PD channel `ch`. */
bool serial_config_has_channel(unsigned ch);
/* Set up the handle of the queue shared with the UART driver; false, with a message naming what
 * the .system file lacks, if it is unusable. */
bool serial_config_driver_queue(struct serial_queue_handle *h);
