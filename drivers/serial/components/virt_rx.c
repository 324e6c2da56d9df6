/*
 * The RX virtualiser PD: typed input from the UART driver to the selected client (SPEC section
 * 3: '@N' switches, '@@' is a literal '@'). The clients, the switch character, the patience and
 * the notice stream to the TX virtualiser come from its generated configuration.
 */
#include <microkit.h>
#include <tessera/printf.h>
#include "../virt_rx.h"
#include "../serial_config.h"

extern const struct serial_virt_rx_config serial_virt_rx_config;
static const struct serial_virt_rx_config *const config = &serial_virt_rx_config;

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
        microkit_notify(config->driver.channel);
    }
    for (unsigned i = 0; i < router.client_count; i++) {
        if (actions->notify_clients & (1u << i)) {
            microkit_notify(config->clients[i].channel);
        }
    }
    if (actions->notify_notice) {
        microkit_notify(config->notice.channel);
    }
}

static bool queue_of(struct serial_queue_handle *h, const struct serial_connection *c)
{
    return serial_queue_init(h, (struct serial_queue *)c->queue, (char *)c->data, (uint32_t)c->data_size);
}

void init(void)
{
    struct tessera_config_error error;
    if (!serial_config_check_virt_rx(config, tessera_has_channel, &error)) {
        tessera_config_report("serial_virt_rx_config", &error);
        return;
    }
    serial_rx_router_init(&router, (char)config->switch_char);
    router.patience_ms = config->patience_ms;
    if (!queue_of(&router.driver, &config->driver)) {
        return; /* not reached: the check holds the same conditions */
    }
    for (unsigned i = 0; i < config->client_count; i++) {
        const struct serial_connection *c = &config->clients[i];
        if (!serial_rx_router_add_client(&router, (struct serial_queue *)c->queue, (char *)c->data,
                                         (uint32_t)c->data_size)) {
            tessera_printf("%s: error: client %u cannot be added (more than the router's table holds)\n", microkit_name,
                           i + 1);
            return;
        }
    }
    router.have_notice = config->notice.queue != 0 && queue_of(&router.notice, &config->notice);
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
