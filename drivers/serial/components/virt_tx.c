/*
 * The TX virtualiser PD: every client's output, coloured, onto the UART driver's queue. The
 * clients, their colours and the RX virtualiser's notice stream come from its generated
 * configuration (serial_config.h).
 */
#include <microkit.h>
#include <tessera/printf.h>
#include "../virt_tx.h"
#include "../serial_config.h"

extern const struct serial_virt_tx_config serial_virt_tx_config;
static const struct serial_virt_tx_config *const config = &serial_virt_tx_config;

static struct serial_tx_virt virt;
static int notice_index = -1;
static bool ready;

static bool add_client(const struct serial_connection *c, const char *colour)
{
    return serial_tx_add_client(&virt, (struct serial_queue *)c->queue, (char *)c->data, (uint32_t)c->data_size,
                                colour) >= 0;
}

void init(void)
{
    struct tessera_config_error error;
    if (!serial_config_check_virt_tx(config, tessera_has_channel, &error)) {
        tessera_config_report("serial_virt_tx_config", &error);
        return;
    }
    serial_tx_init(&virt);
    if (!serial_queue_init(&virt.driver, (struct serial_queue *)config->driver.queue, (char *)config->driver.data,
                           (uint32_t)config->driver.data_size)) {
        return; /* not reached: the check holds the same conditions */
    }
    for (unsigned i = 0; i < config->client_count; i++) {
        if (!add_client(&config->clients[i].connection, config->clients[i].colour)) {
            tessera_printf("%s: error: client %u cannot be added (more than the virtualiser's table holds)\n",
                           microkit_name, i + 1);
            return;
        }
    }
    if (config->notice.queue != 0) {
        notice_index = (int)virt.client_count;
        if (!add_client(&config->notice, 0)) {
            tessera_printf("%s: error: no room for the RX virtualiser's notices: switch notices will not be "
                           "printed\n",
                           microkit_name);
            notice_index = -1;
        }
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
        microkit_notify(config->driver.channel);
    }
    for (unsigned i = 0; i < virt.client_count; i++) {
        if (actions.notify_clients & (1u << i)) {
            microkit_notify((int)i == notice_index ? config->notice.channel : config->clients[i].connection.channel);
        }
    }
}
