/* The serial PDs' configuration checks: a good configuration passes, and each kind of mistake a
 * description (or a stale build) could make is refused naming the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "../../drivers/serial/serial_config.h"

static uint64_t owned_channels;

static bool has_channel(unsigned id)
{
    return id < 64 && ((owned_channels >> id) & 1);
}

static struct serial_connection connection(uint64_t base, uint32_t channel)
{
    owned_channels |= 1ull << channel;
    return (struct serial_connection){base, base + 0x1000, 0x2000, channel};
}

static struct serial_virt_tx_config tx_config(unsigned clients)
{
    struct serial_virt_tx_config c = {.magic = SERIAL_VIRT_TX_CONFIG_MAGIC, .version = SERIAL_CONFIG_VERSION};
    c.driver = connection(0x10000000, 0);
    c.notice = connection(0x10010000, 1);
    c.client_count = clients;
    for (unsigned i = 0; i < clients && i < SERIAL_MAX_CLIENTS; i++) {
        c.clients[i].connection = connection(0x10100000 + 0x10000 * i, 2 + i);
        strcpy(c.clients[i].colour, "32");
    }
    return c;
}

static int reset(void **state)
{
    (void)state;
    owned_channels = 0;
    return 0;
}

static void good_tx_config_passes(void **state)
{
    (void)state;
    struct serial_virt_tx_config c = tx_config(SERIAL_MAX_CLIENTS);
    struct tessera_config_error e;
    assert_true(serial_config_check_virt_tx(&c, has_channel, &e));
}

static void expect_error(bool ok, const struct tessera_config_error *e, const char *array, unsigned index,
                         const char *field)
{
    assert_false(ok);
    assert_string_equal(e->field, field);
    if (array == NULL) {
        assert_null(e->array);
    } else {
        assert_non_null(e->array);
        assert_string_equal(e->array, array);
        assert_int_equal(e->index, index);
    }
    assert_non_null(e->problem);
}

static void wrong_magic_and_version_are_named(void **state)
{
    (void)state;
    struct tessera_config_error e;
    struct serial_virt_tx_config c = tx_config(2);
    c.magic = SERIAL_VIRT_RX_CONFIG_MAGIC; /* another PD's configuration */
    expect_error(serial_config_check_virt_tx(&c, has_channel, &e), &e, NULL, 0, "magic");
    c = tx_config(2);
    c.version = SERIAL_CONFIG_VERSION + 1;
    expect_error(serial_config_check_virt_tx(&c, has_channel, &e), &e, NULL, 0, "version");
}

static void client_fields_are_named_with_their_index(void **state)
{
    (void)state;
    struct tessera_config_error e;
    struct serial_virt_tx_config c = tx_config(3);
    c.clients[2].connection.data_size = 0x3000;
    expect_error(serial_config_check_virt_tx(&c, has_channel, &e), &e, "clients", 2, "data_size");
    c = tx_config(3);
    c.clients[1].connection.queue = 0;
    expect_error(serial_config_check_virt_tx(&c, has_channel, &e), &e, "clients", 1, "queue");
    c = tx_config(3);
    strcpy(c.clients[0].colour, "3x");
    expect_error(serial_config_check_virt_tx(&c, has_channel, &e), &e, "clients", 0, "colour");
}

static void channels_the_pd_does_not_own_are_refused(void **state)
{
    (void)state;
    struct tessera_config_error e;
    struct serial_virt_tx_config c = tx_config(2);
    owned_channels &= ~(1ull << c.clients[1].connection.channel);
    expect_error(serial_config_check_virt_tx(&c, has_channel, &e), &e, "clients", 1, "channel");
    c = tx_config(2);
    c.driver.channel = 63;
    expect_error(serial_config_check_virt_tx(&c, has_channel, &e), &e, NULL, 0, "driver.channel");
}

static void client_counts_outside_the_table_are_refused(void **state)
{
    (void)state;
    struct tessera_config_error e;
    struct serial_virt_tx_config c = tx_config(2);
    c.client_count = SERIAL_MAX_CLIENTS + 1;
    expect_error(serial_config_check_virt_tx(&c, has_channel, &e), &e, NULL, 0, "client_count");
    c.client_count = 0;
    expect_error(serial_config_check_virt_tx(&c, has_channel, &e), &e, NULL, 0, "client_count");
}

static void a_data_region_that_wraps_is_refused(void **state)
{
    (void)state;
    struct tessera_config_error e;
    struct serial_virt_tx_config c = tx_config(1);
    c.driver.data = UINT64_MAX - 0xfff;
    expect_error(serial_config_check_virt_tx(&c, has_channel, &e), &e, NULL, 0, "driver.data_size");
}

static void notice_stream_is_optional(void **state)
{
    (void)state;
    struct tessera_config_error e;
    struct serial_virt_tx_config c = tx_config(1);
    c.notice = (struct serial_connection){0};
    assert_true(serial_config_check_virt_tx(&c, has_channel, &e));
}

static void rx_switch_character_must_be_printable(void **state)
{
    (void)state;
    struct tessera_config_error e;
    struct serial_virt_rx_config c = {.magic = SERIAL_VIRT_RX_CONFIG_MAGIC, .version = SERIAL_CONFIG_VERSION};
    c.driver = connection(0x10000000, 0);
    c.client_count = 1;
    c.clients[0] = connection(0x10100000, 1);
    c.switch_char = '@';
    assert_true(serial_config_check_virt_rx(&c, has_channel, &e));
    c.switch_char = ' ';
    expect_error(serial_config_check_virt_rx(&c, has_channel, &e), &e, NULL, 0, "switch_char");
    c.switch_char = 0x100 + '@'; /* would alias '@' if narrowed */
    expect_error(serial_config_check_virt_rx(&c, has_channel, &e), &e, NULL, 0, "switch_char");
}

static void driver_and_client_configs(void **state)
{
    (void)state;
    struct tessera_config_error e;
    struct serial_driver_config d = {.magic = SERIAL_DRIVER_CONFIG_MAGIC,
                                     .version = SERIAL_CONFIG_VERSION,
                                     .uart_base = 0x20000000,
                                     .irq_channel = 5,
                                     .clock_hz = 24000000,
                                     .baud = 115200};
    owned_channels |= 1ull << 5;
    d.tx = connection(0x10000000, 1);
    d.rx = connection(0x10010000, 2);
    assert_true(serial_config_check_driver(&d, has_channel, &e));
    d.uart_base = 0;
    expect_error(serial_config_check_driver(&d, has_channel, &e), &e, NULL, 0, "uart_base");
    d.uart_base = 0x20000000;
    d.baud = 0;
    expect_error(serial_config_check_driver(&d, has_channel, &e), &e, NULL, 0, "baud");

    struct serial_client_config c = {.magic = SERIAL_CLIENT_CONFIG_MAGIC, .version = SERIAL_CONFIG_VERSION};
    c.tx = connection(0x30000000, 7);
    c.rx = connection(0x30010000, 8);
    assert_true(serial_config_check_client(&c, has_channel, &e));
    c.rx.data = 0;
    expect_error(serial_config_check_client(&c, has_channel, &e), &e, NULL, 0, "rx.data");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(good_tx_config_passes, reset),
        cmocka_unit_test_setup(wrong_magic_and_version_are_named, reset),
        cmocka_unit_test_setup(client_fields_are_named_with_their_index, reset),
        cmocka_unit_test_setup(channels_the_pd_does_not_own_are_refused, reset),
        cmocka_unit_test_setup(client_counts_outside_the_table_are_refused, reset),
        cmocka_unit_test_setup(a_data_region_that_wraps_is_refused, reset),
        cmocka_unit_test_setup(notice_stream_is_optional, reset),
        cmocka_unit_test_setup(rx_switch_character_must_be_printable, reset),
        cmocka_unit_test_setup(driver_and_client_configs, reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
