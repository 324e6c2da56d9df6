/*
 * The RX virtualiser PD: typed input from the UART driver to the selected client (SPEC section
 * 3: '@N' switches, '@@' is a literal '@'; the switch character is SERIAL_SWITCH_CHAR, a build
 * setting). The clients come from the .system file (config.h); the switch notices go to the TX
 * virtualiser on SERIAL_NOTICE_CH.
 */
#include <microkit.h>
#include <tessera/printf.h>
#include "../virt_rx.h"
#include "config.h"

#ifndef SERIAL_SWITCH_CHAR
#define SERIAL_SWITCH_CHAR '@'
#endif
#ifndef SERIAL_RX_PATIENCE_MS
#define SERIAL_RX_PATIENCE_MS SERIAL_RX_PATIENCE_DEFAULT
#endif

static struct serial_rx_router router;
static bool ready;

/* The kernel's clock (the physical counter): the virtual count a PD could read itself carries
 * the offset of whichever vCPU ran last. */
static uint64_t now_ms(void)
{
    return tessera_time_now_ns() / 1000000;
}

static void act(const struct serial_rx_actions *actions)
{
    if (actions->notify_driver) {
        microkit_notify(SERIAL_DRIVER_CH);
    }
    for (unsigned i = 0; i < router.client_count; i++) {
        if (actions->notify_clients & (1u << i)) {
            microkit_notify(i + 1);
        }
    }
    if (actions->notify_notice) {
        microkit_notify(SERIAL_NOTICE_CH);
    }
}

void init(void)
{
    serial_rx_router_init(&router, SERIAL_SWITCH_CHAR);
    router.patience_ms = SERIAL_RX_PATIENCE_MS;
    if (!serial_config_driver_queue(&router.driver)) {
        return;
    }
    unsigned count = serial_config_client_count();
    for (unsigned i = 0; i < count; i++) {
        if (!serial_config_has_channel(i + 1) ||
            !serial_rx_router_add_client(&router, (struct serial_queue *)client_queue[i], (char *)client_data[i],
                                         (uint32_t)client_data_size[i])) {
            tessera_printf("%s: error: client %u: needs channel %u and a data region a power of two in size\n",
                           microkit_name, i + 1, i + 1);
            return;
        }
    }
    router.have_notice = notice_queue != 0 && serial_config_has_channel(SERIAL_NOTICE_CH) &&
                         serial_queue_init(&router.notice, (struct serial_queue *)notice_queue, (char *)notice_data,
                                           (uint32_t)notice_data_size);
    ready = true;
    struct serial_rx_actions actions;
    serial_rx_router_start(&router, &actions);
    act(&actions);
}

void notified(microkit_channel ch)
{
    (void)ch; /* input arrived, or a client made room: either way, route what can go */
    if (!ready) {
        return;
    }
    struct serial_rx_actions actions;
    serial_rx_route(&router, now_ms(), &actions);
    act(&actions);
}
