/*
 * The TX virtualiser PD: every client's output, coloured, onto the UART driver's queue. The
 * clients and the RX virtualiser's notices come from the .system file (config.h); the colours
 * are SGR codes, client 1 first (SERIAL_TX_COLOURS, a build setting: green, red, yellow, ...).
 */
#include <microkit.h>
#include <tessera/printf.h>
#include "../virt_tx.h"
#include "config.h"

#ifndef SERIAL_TX_COLOURS
#define SERIAL_TX_COLOURS "32,31,33,34,35,36,92,91"
#endif

static struct serial_tx_virt virt;
static int notice_index = -1;
static bool ready;

/* The n-th (0-based) comma-separated entry of SERIAL_TX_COLOURS, into `out`. */
static void colour_of(unsigned n, char *out, unsigned size)
{
    const char *p = SERIAL_TX_COLOURS;
    while (n > 0 && *p != '\0') {
        if (*p++ == ',') {
            n--;
        }
    }
    unsigned i = 0;
    while (*p != '\0' && *p != ',' && i + 1 < size) {
        out[i++] = *p++;
    }
    out[i] = '\0';
}

void init(void)
{
    serial_tx_init(&virt);
    if (!serial_config_driver_queue(&virt.driver)) {
        return;
    }
    unsigned client_count = serial_config_client_count();
    for (unsigned i = 0; i < client_count; i++) {
        char colour[SERIAL_TX_COLOUR_MAX];
        colour_of(i, colour, sizeof(colour));
        if (!serial_config_has_channel(i + 1) ||
            serial_tx_add_client(&virt, (struct serial_queue *)client_queue[i], (char *)client_data[i],
                                 (uint32_t)client_data_size[i], colour) != (int)i) {
            tessera_printf("%s: error: client %u: needs channel %u, a data region a power of two in size and a "
                           "colour of digits and ';' (\"%s\")\n",
                           microkit_name, i + 1, i + 1, colour);
            return;
        }
    }
    if (notice_queue != 0 && serial_config_has_channel(SERIAL_NOTICE_CH)) {
        notice_index = serial_tx_add_client(&virt, (struct serial_queue *)notice_queue, (char *)notice_data,
                                            (uint32_t)notice_data_size, 0);
    }
    ready = true;
}

void notified(microkit_channel ch)
{
    (void)ch; /* any signal means the same: something may move now */
    if (!ready) {
        return;
    }
    struct serial_tx_actions actions;
    serial_tx_process(&virt, &actions);
    if (actions.notify_driver) {
        microkit_notify(SERIAL_DRIVER_CH);
    }
    for (unsigned i = 0; i < virt.client_count; i++) {
        if (actions.notify_clients & (1u << i)) {
            microkit_notify((int)i == notice_index ? SERIAL_NOTICE_CH : i + 1);
        }
    }
}
