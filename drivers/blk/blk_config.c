/* The block PDs' configuration checks: everything a PD relies on, before it touches memory. */
#include "blk_config.h"
#include "queue.h"

struct connection_fields {
    const char *storage_info, *request_queue, *response_queue, *channel;
};

static const struct connection_fields driver_fields = {"driver.storage_info", "driver.request_queue",
                                                       "driver.response_queue", "driver.channel"};
static const struct connection_fields virt_fields = {"virt.storage_info", "virt.request_queue", "virt.response_queue",
                                                     "virt.channel"};
static const struct connection_fields element_fields = {"connection.storage_info", "connection.request_queue",
                                                        "connection.response_queue", "connection.channel"};

static bool check_connection(const struct blk_connection *c, const struct connection_fields *names, const char *array,
                             unsigned index, tessera_has_channel_fn has_channel, struct tessera_config_error *error)
{
    if (c->storage_info == 0) {
        return tessera_config_fail(error, array, index, names->storage_info, "is 0: the region is not mapped");
    }
    if (c->request_queue == 0 || blk_queue_capacity(c->request_queue_size, sizeof(struct blk_request)) == 0) {
        return tessera_config_fail(error, array, index, names->request_queue, "is not a mapped queue region");
    }
    if (c->response_queue == 0 || blk_queue_capacity(c->response_queue_size, sizeof(struct blk_response)) == 0) {
        return tessera_config_fail(error, array, index, names->response_queue, "is not a mapped queue region");
    }
    if (!has_channel(c->channel)) {
        return tessera_config_fail(error, array, index, names->channel, "is not a channel of this PD");
    }
    return true;
}

static bool units(uint64_t n)
{
    return n != 0 && n % BLK_TRANSFER_SIZE == 0;
}

bool blk_config_check_virt(const struct blk_virt_config *c, tessera_has_channel_fn has_channel,
                           struct tessera_config_error *error)
{
    uint64_t end;
    if (c->magic != BLK_VIRT_CONFIG_MAGIC) {
        return tessera_config_fail(error, 0, 0, "magic", "is not a block virtualiser's (built for another PD?)");
    }
    if (c->version != BLK_CONFIG_VERSION) {
        return tessera_config_fail(error, 0, 0, "version", "differs from the version this PD was built for");
    }
    if (!check_connection(&c->driver, &driver_fields, 0, 0, has_channel, error)) {
        return false;
    }
    if (c->scratch == 0 || c->scratch_offset % BLK_TRANSFER_SIZE != 0 ||
        __builtin_add_overflow(c->scratch_offset, BLK_TRANSFER_SIZE, &end) || end > c->driver_data_size) {
        return tessera_config_fail(error, 0, 0, "scratch_offset", "is not a mapped unit of the driver's data space");
    }
    if (c->driver_stop_channel != BLK_CONFIG_NO_CHANNEL &&
        (!has_channel(c->driver_stop_channel) || c->driver_stop_channel == c->driver.channel)) {
        return tessera_config_fail(error, 0, 0, "driver_stop_channel",
                                   "is not a channel of this PD apart from the driver's doorbell");
    }
    if (c->client_count == 0 || c->client_count > BLK_CONFIG_MAX_CLIENTS) {
        return tessera_config_fail(error, 0, 0, "client_count", "must be 1 to BLK_CONFIG_MAX_CLIENTS");
    }
    for (unsigned i = 0; i < c->client_count; i++) {
        const struct blk_virt_client_config *client = &c->clients[i];
        if (!check_connection(&client->connection, &element_fields, "clients", i, has_channel, error)) {
            return false;
        }
        if (!units(client->data_size) || client->driver_data_offset % BLK_TRANSFER_SIZE != 0 ||
            __builtin_add_overflow(client->driver_data_offset, client->data_size, &end) || end > c->driver_data_size) {
            return tessera_config_fail(error, "clients", i, "driver_data_offset",
                                       "does not place whole units inside the driver's data space");
        }
        if (client->driver_data_offset < c->scratch_offset + BLK_TRANSFER_SIZE && c->scratch_offset < end) {
            return tessera_config_fail(error, "clients", i, "driver_data_offset", "overlaps the scratch unit");
        }
    }
    return true;
}

bool blk_config_check_client(const struct blk_client_config *c, tessera_has_channel_fn has_channel,
                             struct tessera_config_error *error)
{
    uint64_t end;
    if (c->magic != BLK_CLIENT_CONFIG_MAGIC) {
        return tessera_config_fail(error, 0, 0, "magic", "is not a block client's (built for another PD?)");
    }
    if (c->version != BLK_CONFIG_VERSION) {
        return tessera_config_fail(error, 0, 0, "version", "differs from the version this PD was built for");
    }
    if (!check_connection(&c->virt, &virt_fields, 0, 0, has_channel, error)) {
        return false;
    }
    if (c->data == 0 || !units(c->data_size) || __builtin_add_overflow(c->data, c->data_size, &end)) {
        return tessera_config_fail(error, 0, 0, "data_size", "must be whole units of a mapped data region");
    }
    return true;
}
