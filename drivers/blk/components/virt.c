/*
 * The block virtualiser PD: the disk behind the driver's queues, split by MBR partition among
 * its clients (drivers/blk/virt.h has the state machine and the request path). Its regions and
 * channels come from its generated configuration; it prints one line per client once the
 * partition table is read (the disk each client has, or why it has none).
 */
#include <microkit.h>
#include <tessera/printf.h>
#include "../blk_config.h"
#include "../virt.h"

extern const struct blk_virt_config blk_virt_config;
static const struct blk_virt_config *const config = &blk_virt_config;

static struct blk_virt virt;
static bool ready;

static bool queue_of(struct blk_queue_handle *h, const struct blk_connection *c)
{
    return blk_queue_init(h, (void *)c->request_queue, c->request_queue_size, (void *)c->response_queue,
                          c->response_queue_size);
}

static void act(const struct blk_virt_actions *actions)
{
    if (actions->notify_driver) {
        microkit_notify(config->driver.channel);
    }
    for (unsigned i = 0; i < virt.client_count; i++) {
        if (actions->notify_clients & (1u << i)) {
            microkit_notify(config->clients[i].connection.channel);
        }
    }
    if (actions->report) {
        if (virt.state == BLK_VIRT_NO_DISK) {
            tessera_printf("%s: no disk: %s\n", microkit_name, virt.reason);
        }
        for (unsigned i = 0; i < virt.client_count; i++) {
            char line[BLK_VIRT_REASON_MAX + 64];
            blk_virt_describe_client(&virt, i, line, sizeof(line));
            tessera_printf("%s: %s\n", microkit_name, line);
        }
    }
}

void init(void)
{
    struct tessera_config_error error;
    if (!blk_config_check_virt(config, tessera_has_channel, &error)) {
        tessera_config_report("blk_virt_config", &error);
        return;
    }
    struct blk_queue_handle driver;
    if (!queue_of(&driver, &config->driver)) {
        return; /* not reached: the check holds the same conditions */
    }
    blk_virt_init(&virt, driver, (const struct blk_storage_info *)config->driver.storage_info, config->driver_data_size,
                  config->scratch_offset, (const uint8_t *)config->scratch);
    for (unsigned i = 0; i < config->client_count; i++) {
        const struct blk_virt_client_config *c = &config->clients[i];
        struct blk_queue_handle queue;
        if (!queue_of(&queue, &c->connection) ||
            !blk_virt_add_client(&virt, queue, (struct blk_storage_info *)c->connection.storage_info, c->data_size,
                                 c->driver_data_offset)) {
            tessera_printf("%s: error: client %u cannot be added\n", microkit_name, i + 1);
            return;
        }
    }
    ready = true;
    tessera_printf("%s: waiting for the disk driver\n", microkit_name);
    struct blk_virt_actions actions;
    blk_virt_process(&virt, &actions);
    act(&actions);
}

void notified(microkit_channel ch)
{
    if (!ready) {
        return;
    }
    struct blk_virt_actions actions;
    if (config->driver_stop_channel != BLK_CONFIG_NO_CHANNEL && ch == config->driver_stop_channel) {
        blk_virt_driver_stopped(&virt, &actions);
        act(&actions);
    }
    /* The driver or a client moved: either way, move what can move. */
    blk_virt_process(&virt, &actions);
    act(&actions);
}
