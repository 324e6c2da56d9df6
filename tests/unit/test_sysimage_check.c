/* The kernel's validation of the system image, run on the host: a good image passes, and each
 * kind of corruption is refused with a message, before the kernel would use any of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <kernel/sysimage_check.h>

static const uint64_t devices[][2] = {{0x09000000, 0x09001000}};
static const struct sysimage_board board = {
    .board_id = 1,
    .ram_base = 0x40000000,
    .ram_size = 0x80000000,
    .kernel_base = 0x70000000,
    .kernel_size = 0x800000,
    .sysimage_base = 0x70800000,
    .sysimage_size = 0x100000,
    .device_ranges = devices,
    .device_range_count = 1,
    .max_intid = 287,
};

static struct sysimage *image;
static char error[128];

/* Two PDs with a channel (a may ppcall b), an IRQ, three maps each way, a VM owned by a. */
static int setup(void **state)
{
    (void)state;
    image = calloc(1, sizeof(*image));
    image->magic = SYSIMAGE_MAGIC;
    image->version = SYSIMAGE_VERSION;
    image->board_id = 1;
    image->pd_count = 2;
    image->map_count = 3;
    image->maps[0] = (struct sysimage_map){0x200000, 0x60000000, 0x1000, SYSIMAGE_MAP_R | SYSIMAGE_MAP_X | 8, 0};
    image->maps[1] = (struct sysimage_map){0x300000, 0x60001000, 0x1000, SYSIMAGE_MAP_R | SYSIMAGE_MAP_W | 8, 0};
    image->maps[2] = (struct sysimage_map){0x2000000, 0x09000000, 0x1000, SYSIMAGE_MAP_R | SYSIMAGE_MAP_W, 0};
    for (unsigned i = 0; i < 2; i++) {
        struct sysimage_pd *pd = &image->pds[i];
        strcpy(pd->name, i == 0 ? "a" : "b");
        pd->priority = (uint8_t)(100 + i);
        pd->parent = SYSIMAGE_NONE;
        pd->budget_us = pd->period_us = 1000;
        pd->ipc_buffer = 0xfffffff000UL;
        pd->ipc_buffer_paddr = 0x60010000UL + i * 0x1000;
        pd->map_first = 0;
        pd->map_count = 3;
    }
    image->pds[0].ids[1] = (struct sysimage_id){SYSIMAGE_ID_CHANNEL, 1, 4, SYSIMAGE_CH_NOTIFY | SYSIMAGE_CH_PPC, 0, 0};
    image->pds[1].ids[4] = (struct sysimage_id){SYSIMAGE_ID_CHANNEL, 0, 1, SYSIMAGE_CH_NOTIFY, 0, 0};
    image->pds[1].ids[7] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, 0, 33, 0};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(image);
    return 0;
}

static void assert_refused(const char *fragment)
{
    assert_false(sysimage_check(image, &board, error, sizeof(error)));
    if (strstr(error, fragment) == NULL) {
        fail_msg("error '%s' does not mention '%s'", error, fragment);
    }
}

static void good_image_passes(void **state)
{
    (void)state;
    bool ok = sysimage_check(image, &board, error, sizeof(error));
    if (!ok) {
        fail_msg("refused: %s", error);
    }
}

static void bad_magic(void **state)
{
    (void)state;
    image->magic ^= 1;
    assert_refused("bad magic");
}

static void other_board(void **state)
{
    (void)state;
    image->board_id = 2;
    assert_refused("another board");
}

static void too_many_maps(void **state)
{
    (void)state;
    image->map_count = SYSIMAGE_MAX_MAPS + 1;
    assert_refused("maximum");
}

static void map_over_kernel(void **state)
{
    (void)state;
    image->maps[1].paddr = 0x70000000;
    assert_refused("over the kernel");
}

static void map_outside_ram_and_devices(void **state)
{
    (void)state;
    image->maps[2].paddr = 0x0a000000;
    assert_refused("outside RAM");
}

static void map_wrapping_physical_range(void **state)
{
    (void)state;
    image->maps[1].paddr = 0xfffffffffffff000UL;
    image->maps[1].size = 0x2000;
    assert_refused("map 1");
}

static void map_unaligned(void **state)
{
    (void)state;
    image->maps[0].vaddr = 0x200800;
    assert_refused("page-aligned");
}

static void map_slice_out_of_table(void **state)
{
    (void)state;
    image->pds[1].map_first = 2;
    image->pds[1].map_count = 0xffffffffu;
    assert_refused("map slice");
}

static void channel_to_missing_pd(void **state)
{
    (void)state;
    image->pds[0].ids[1].peer_pd = 9;
    assert_refused("unknown PD");
}

static void channel_ends_disagree(void **state)
{
    (void)state;
    image->pds[1].ids[4].peer_id = 2;
    assert_refused("do not match");
}

static void ppc_to_lower_priority(void **state)
{
    (void)state;
    image->pds[1].priority = 90;
    assert_refused("pp channel");
}

static void irq_not_an_spi(void **state)
{
    (void)state;
    image->pds[1].ids[7].intid = 27;
    assert_refused("SPI");
}

/* The kernel routes an INTID to one PD id: a second owner would trip IRQ registration. */
static void irq_in_two_pds(void **state)
{
    (void)state;
    image->pds[0].ids[5] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, 0, 33, 0};
    assert_refused("PD 1: IRQ 33 (id 7) is already given to PD 0 (id 5)");
}

static void irq_twice_in_one_pd(void **state)
{
    (void)state;
    image->pds[1].ids[9] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, SYSIMAGE_IRQ_EDGE, 33, 0};
    assert_refused("PD 1: IRQ 33 (id 9) is already given to PD 1 (id 7)");
}

static void distinct_irqs_pass(void **state)
{
    (void)state;
    image->pds[0].ids[5] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, 0, 34, 0};
    image->pds[1].ids[9] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, 0, 287, 0};
    bool ok = sysimage_check(image, &board, error, sizeof(error));
    if (!ok) {
        fail_msg("refused: %s", error);
    }
}

static void ipc_buffer_not_in_ram(void **state)
{
    (void)state;
    image->pds[0].ipc_buffer_paddr = 0x09000000;
    assert_refused("IPC buffer");
}

static void name_not_terminated(void **state)
{
    (void)state;
    memset(image->pds[0].name, 'x', SYSIMAGE_NAME_LEN);
    assert_refused("NUL");
}

static void budget_above_period(void **state)
{
    (void)state;
    image->pds[0].budget_us = 2000;
    assert_refused("budget");
}

static void vcpu_of_missing_vm(void **state)
{
    (void)state;
    image->vcpu_count = 1;
    image->vcpus[0].vm = 3;
    assert_refused("vCPU 0");
}

static void zero_range_over_sysimage(void **state)
{
    (void)state;
    image->zero_count = 1;
    image->zeros[0] = (struct sysimage_zero){0x70800000, 0x1000};
    assert_refused("zero range");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(good_image_passes, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_magic, setup, teardown),
        cmocka_unit_test_setup_teardown(other_board, setup, teardown),
        cmocka_unit_test_setup_teardown(too_many_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(map_over_kernel, setup, teardown),
        cmocka_unit_test_setup_teardown(map_outside_ram_and_devices, setup, teardown),
        cmocka_unit_test_setup_teardown(map_wrapping_physical_range, setup, teardown),
        cmocka_unit_test_setup_teardown(map_unaligned, setup, teardown),
        cmocka_unit_test_setup_teardown(map_slice_out_of_table, setup, teardown),
        cmocka_unit_test_setup_teardown(channel_to_missing_pd, setup, teardown),
        cmocka_unit_test_setup_teardown(channel_ends_disagree, setup, teardown),
        cmocka_unit_test_setup_teardown(ppc_to_lower_priority, setup, teardown),
        cmocka_unit_test_setup_teardown(irq_not_an_spi, setup, teardown),
        cmocka_unit_test_setup_teardown(irq_in_two_pds, setup, teardown),
        cmocka_unit_test_setup_teardown(irq_twice_in_one_pd, setup, teardown),
        cmocka_unit_test_setup_teardown(distinct_irqs_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(ipc_buffer_not_in_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(name_not_terminated, setup, teardown),
        cmocka_unit_test_setup_teardown(budget_above_period, setup, teardown),
        cmocka_unit_test_setup_teardown(vcpu_of_missing_vm, setup, teardown),
        cmocka_unit_test_setup_teardown(zero_range_over_sysimage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
