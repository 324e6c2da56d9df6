/*
 * The block PDs' typed configurations (drivers/blk/blk_config.c): what the generated C must hold
 * before the virtualiser or a block client uses a single address of it. Each bad field is named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "../../drivers/blk/blk_config.h"

#define UNIT 0x1000u

/* Channels 1 (driver), 2 and 3 (clients) and 4 (the driver's stop) are this PD's. */
static bool has_channel(unsigned id)
{
    return id >= 1 && id <= 4;
}

static struct blk_connection connection(uint64_t base, uint32_t channel)
{
    return (struct blk_connection){base, base + 0x1000, 0x3000, base + 0x4000, 0x3000, channel};
}

static struct blk_virt_config good_virt(void)
{
    struct blk_virt_config c = {
        .magic = BLK_VIRT_CONFIG_MAGIC,
        .version = BLK_CONFIG_VERSION,
        .driver = connection(0x100000, 1),
        .driver_data_size = 2 * 16 * UNIT + UNIT,
        .scratch = 0x200000,
        .scratch_offset = 2 * 16 * UNIT,
        .driver_stop_channel = 4,
        .client_count = 2,
    };
    c.clients[0] = (struct blk_virt_client_config){connection(0x300000, 2), 16 * UNIT, 0};
    c.clients[1] = (struct blk_virt_client_config){connection(0x400000, 3), 16 * UNIT, 16 * UNIT};
    return c;
}

static void expect_virt(const struct blk_virt_config *c, const char *array, unsigned index, const char *field)
{
    struct tessera_config_error e;
    assert_false(blk_config_check_virt(c, has_channel, &e));
    if (array == NULL) {
        assert_null(e.array);
    } else {
        assert_string_equal(e.array, array);
        assert_int_equal(e.index, index);
    }
    assert_string_equal(e.field, field);
}

static void a_good_virtualiser_configuration_passes(void **state)
{
    (void)state;
    struct blk_virt_config c = good_virt();
    struct tessera_config_error e;
    assert_true(blk_config_check_virt(&c, has_channel, &e));
    c.driver_stop_channel = BLK_CONFIG_NO_CHANNEL; /* a driver nobody watches: allowed */
    assert_true(blk_config_check_virt(&c, has_channel, &e));
}

static void bad_virtualiser_fields_are_named(void **state)
{
    (void)state;
    struct blk_virt_config c = good_virt();
    c.magic++;
    expect_virt(&c, NULL, 0, "magic");
    c = good_virt();
    c.version = BLK_CONFIG_VERSION + 1;
    expect_virt(&c, NULL, 0, "version");
    c = good_virt();
    c.driver.channel = 9;
    expect_virt(&c, NULL, 0, "driver.channel");
    c = good_virt();
    c.scratch_offset = c.driver_data_size; /* past the driver's space */
    expect_virt(&c, NULL, 0, "scratch_offset");
    c = good_virt();
    c.scratch_offset = UINT64_MAX - UNIT + 1; /* the unit's end wraps */
    expect_virt(&c, NULL, 0, "scratch_offset");
    c = good_virt();
    c.driver_stop_channel = 9;
    expect_virt(&c, NULL, 0, "driver_stop_channel");
    c = good_virt();
    c.driver_stop_channel = c.driver.channel; /* a doorbell would read as the driver's death */
    expect_virt(&c, NULL, 0, "driver_stop_channel");
    c = good_virt();
    c.client_count = BLK_CONFIG_MAX_CLIENTS + 1;
    expect_virt(&c, NULL, 0, "client_count");
    c = good_virt();
    c.clients[1].driver_data_offset = 16 * UNIT + 8; /* not whole units */
    expect_virt(&c, "clients", 1, "driver_data_offset");
    c = good_virt();
    c.clients[1].driver_data_offset = UINT64_MAX - UNIT + 1; /* wraps */
    expect_virt(&c, "clients", 1, "driver_data_offset");
    c = good_virt();
    c.clients[0].driver_data_offset = UNIT; /* runs into the scratch unit */
    c.clients[0].data_size = 32 * UNIT;
    expect_virt(&c, "clients", 0, "driver_data_offset");
}

static void a_client_configuration_is_checked(void **state)
{
    (void)state;
    struct blk_client_config c = {
        .magic = BLK_CLIENT_CONFIG_MAGIC,
        .version = BLK_CONFIG_VERSION,
        .virt = connection(0x100000, 2),
        .data = 0x600000,
        .data_size = 16 * UNIT,
    };
    struct tessera_config_error e;
    assert_true(blk_config_check_client(&c, has_channel, &e));
    c.magic = BLK_VIRT_CONFIG_MAGIC; /* the virtualiser's, linked into a client */
    assert_false(blk_config_check_client(&c, has_channel, &e));
    assert_string_equal(e.field, "magic");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_good_virtualiser_configuration_passes),
        cmocka_unit_test(bad_virtualiser_fields_are_named),
        cmocka_unit_test(a_client_configuration_is_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
