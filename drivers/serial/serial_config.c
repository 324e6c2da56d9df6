/* The serial PDs' configuration checks: everything a PD relies on, before it touches memory. */
#include "serial_config.h"

static bool is_power_of_two(uint64_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

static bool check_header(uint64_t magic, uint64_t expected, uint32_t version, struct tessera_config_error *error)
{
    if (magic != expected) {
        return tessera_config_fail(error, 0, 0, "magic",
                                   "is not this PD's kind of configuration (built for another PD?)");
    }
    if (version != SERIAL_CONFIG_VERSION) {
        return tessera_config_fail(error, 0, 0, "version", "differs from the version this PD was built for");
    }
    return true;
}

/* The names of a connection's fields in an error message. */
struct connection_fields {
    const char *queue, *data, *data_size, *channel;
};

static const struct connection_fields tx_fields = {"tx.queue", "tx.data", "tx.data_size", "tx.channel"};
static const struct connection_fields rx_fields = {"rx.queue", "rx.data", "rx.data_size", "rx.channel"};
static const struct connection_fields driver_fields = {"driver.queue", "driver.data", "driver.data_size",
                                                       "driver.channel"};
static const struct connection_fields notice_fields = {"notice.queue", "notice.data", "notice.data_size",
                                                       "notice.channel"};
static const struct connection_fields element_fields = {"queue", "data", "data_size", "channel"};

/* A connection's regions and channel; `array` and `index` name the element it is, if any. */
static bool check_connection(const struct serial_connection *c, const struct connection_fields *names,
                             const char *array, unsigned index, tessera_has_channel_fn has_channel,
                             struct tessera_config_error *error)
{
    if (c->queue == 0) {
        return tessera_config_fail(error, array, index, names->queue, "is 0: the queue region is not mapped");
    }
    if (c->data == 0) {
        return tessera_config_fail(error, array, index, names->data, "is 0: the data region is not mapped");
    }
    if (!is_power_of_two(c->data_size) || c->data_size > UINT32_MAX) {
        return tessera_config_fail(error, array, index, names->data_size, "must be a power of two below 4 GiB");
    }
    if (c->data + c->data_size < c->data) {
        return tessera_config_fail(error, array, index, names->data_size, "runs past the end of the address space");
    }
    if (!has_channel(c->channel)) {
        return tessera_config_fail(error, array, index, names->channel, "is not a channel of this PD");
    }
    return true;
}

bool serial_config_check_driver(const struct serial_driver_config *c, tessera_has_channel_fn has_channel,
                                struct tessera_config_error *error)
{
    if (!check_header(c->magic, SERIAL_DRIVER_CONFIG_MAGIC, c->version, error)) {
        return false;
    }
    if (c->uart_base == 0) {
        return tessera_config_fail(error, 0, 0, "uart_base", "is 0: the UART's registers are not mapped");
    }
    if (!has_channel(c->irq_channel)) {
        return tessera_config_fail(error, 0, 0, "irq_channel", "is not an IRQ of this PD");
    }
    if (c->baud == 0 || c->clock_hz == 0) {
        return tessera_config_fail(error, 0, 0, c->baud == 0 ? "baud" : "clock_hz", "is 0");
    }
    return check_connection(&c->tx, &tx_fields, 0, 0, has_channel, error) &&
           check_connection(&c->rx, &rx_fields, 0, 0, has_channel, error);
}

static bool check_notice(const struct serial_connection *notice, tessera_has_channel_fn has_channel,
                         struct tessera_config_error *error)
{
    /* The notice stream is optional (a system without an RX virtualiser has none). */
    return notice->queue == 0 || check_connection(notice, &notice_fields, 0, 0, has_channel, error);
}

static bool check_colour(const char *colour)
{
    unsigned n = 0;
    while (n < SERIAL_COLOUR_CONFIG_MAX && colour[n] != '\0') {
        if (!((colour[n] >= '0' && colour[n] <= '9') || colour[n] == ';')) {
            return false;
        }
        n++;
    }
    return n < SERIAL_COLOUR_CONFIG_MAX;
}

bool serial_config_check_virt_tx(const struct serial_virt_tx_config *c, tessera_has_channel_fn has_channel,
                                 struct tessera_config_error *error)
{
    if (!check_header(c->magic, SERIAL_VIRT_TX_CONFIG_MAGIC, c->version, error) ||
        !check_connection(&c->driver, &driver_fields, 0, 0, has_channel, error) ||
        !check_notice(&c->notice, has_channel, error)) {
        return false;
    }
    if (c->client_count == 0 || c->client_count > SERIAL_MAX_CLIENTS) {
        return tessera_config_fail(error, 0, 0, "client_count", "must be 1 to SERIAL_MAX_CLIENTS");
    }
    for (unsigned i = 0; i < c->client_count; i++) {
        if (!check_connection(&c->clients[i].connection, &element_fields, "clients", i, has_channel, error)) {
            return false;
        }
        if (!check_colour(c->clients[i].colour)) {
            return tessera_config_fail(error, "clients", i, "colour", "must be SGR digits and ';', NUL-terminated");
        }
    }
    return true;
}

bool serial_config_check_virt_rx(const struct serial_virt_rx_config *c, tessera_has_channel_fn has_channel,
                                 struct tessera_config_error *error)
{
    if (!check_header(c->magic, SERIAL_VIRT_RX_CONFIG_MAGIC, c->version, error) ||
        !check_connection(&c->driver, &driver_fields, 0, 0, has_channel, error) ||
        !check_notice(&c->notice, has_channel, error)) {
        return false;
    }
    if (c->switch_char == 0 || c->switch_char > 0x7e || c->switch_char < 0x21) {
        return tessera_config_fail(error, 0, 0, "switch_char", "must be a printable ASCII character other than space");
    }
    if (c->client_count == 0 || c->client_count > SERIAL_MAX_CLIENTS) {
        return tessera_config_fail(error, 0, 0, "client_count", "must be 1 to SERIAL_MAX_CLIENTS");
    }
    for (unsigned i = 0; i < c->client_count; i++) {
        if (!check_connection(&c->clients[i], &element_fields, "clients", i, has_channel, error)) {
            return false;
        }
    }
    return true;
}

bool serial_config_check_client(const struct serial_client_config *c, tessera_has_channel_fn has_channel,
                                struct tessera_config_error *error)
{
    return check_header(c->magic, SERIAL_CLIENT_CONFIG_MAGIC, c->version, error) &&
           check_connection(&c->tx, &tx_fields, 0, 0, has_channel, error) &&
           check_connection(&c->rx, &rx_fields, 0, 0, has_channel, error);
}
