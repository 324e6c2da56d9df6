/* The VMM configuration check: what a VMM relies on before it touches guest memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <vmm/vmm_config.h>

static bool has_channel(unsigned id)
{
    return id == 3;
}

static struct vmm_config good(void)
{
    struct vmm_config c = {
        .magic = VMM_CONFIG_MAGIC,
        .version = VMM_CONFIG_VERSION,
        .guest_name = "client1",
        .bootargs = "console=hvc0",
        .ram_gpa = 0x40000000,
        .ram_size = 0x8000000,
        .ram_vaddr = 0x10000000,
        .gicd_gpa = 0x8000000,
        .gicr_gpa = 0x80a0000,
        .gicd_probe_vaddr = 0x18000000,
        .passthrough_count = 1,
        .passthrough = {{3, 33}},
        .virtio_count = 2,
        .virtio = {{3, 0xa000000, 0x200, 48}, {2, 0xa000200, 0x200, 49}},
    };
    return c;
}

static void expect(const struct vmm_config *c, const char *array, unsigned index, const char *field)
{
    struct tessera_config_error e;
    assert_false(vmm_config_check(c, has_channel, &e));
    assert_string_equal(e.field, field);
    if (array == NULL) {
        assert_null(e.array);
    } else {
        assert_string_equal(e.array, array);
        assert_int_equal(e.index, index);
    }
}

static void good_config_passes_and_finds_devices(void **state)
{
    (void)state;
    struct vmm_config c = good();
    struct tessera_config_error e;
    assert_true(vmm_config_check(&c, has_channel, &e));
    assert_ptr_equal(vmm_config_virtio(&c, 2), &c.virtio[1]);
    assert_ptr_equal(vmm_config_virtio(&c, 3), &c.virtio[0]);
    assert_null(vmm_config_virtio(&c, 1));
}

static void header_and_strings(void **state)
{
    (void)state;
    struct vmm_config c = good();
    c.magic++;
    expect(&c, NULL, 0, "magic");
    c = good();
    c.version = 0;
    expect(&c, NULL, 0, "version");
    c = good();
    memset(c.guest_name, 'x', sizeof(c.guest_name)); /* no NUL: would be read past */
    expect(&c, NULL, 0, "guest_name");
    c = good();
    memset(c.bootargs, 'x', sizeof(c.bootargs));
    expect(&c, NULL, 0, "bootargs");
}

static void guest_ram(void **state)
{
    (void)state;
    struct vmm_config c = good();
    c.ram_size = 0x100000; /* not 2 MiB pages */
    expect(&c, NULL, 0, "ram_size");
    c = good();
    c.ram_gpa = UINT64_MAX - 0x3fffff; /* aligned, but RAM would wrap */
    expect(&c, NULL, 0, "ram_gpa");
    c = good();
    c.ram_vaddr = 0;
    expect(&c, NULL, 0, "ram_vaddr");
    c = good();
    c.gicd_gpa = 0x41000000; /* inside RAM */
    expect(&c, NULL, 0, "gicd_gpa");
}

static void virtio_devices(void **state)
{
    (void)state;
    struct vmm_config c = good();
    c.virtio[1].gpa = 0xa000100; /* overlaps device 0 */
    expect(&c, "virtio", 1, "gpa");
    c = good();
    c.virtio[1].intid = 48; /* device 0's */
    expect(&c, "virtio", 1, "intid");
    c = good();
    c.virtio[0].intid = 33; /* the passthrough interrupt's */
    expect(&c, "virtio", 0, "intid");
    c = good();
    c.virtio[0].intid = 27; /* a PPI */
    expect(&c, "virtio", 0, "intid");
    c = good();
    c.virtio[1].gpa = 0x40000000; /* in RAM */
    expect(&c, "virtio", 1, "gpa");
    c = good();
    c.virtio[1].gpa = UINT64_MAX - 0x1ff; /* wraps */
    expect(&c, "virtio", 1, "gpa");
    c = good();
    c.virtio_count = VMM_CONFIG_MAX_VIRTIO + 1;
    expect(&c, NULL, 0, "virtio_count");
}

static void doorbells(void **state)
{
    (void)state;
    struct vmm_config c = good();
    c.doorbell_count = 1;
    c.doorbells[0] = (struct vmm_doorbell_config){50, 3};
    struct tessera_config_error e;
    assert_true(vmm_config_check(&c, has_channel, &e));
    c.doorbells[0].intid = 49; /* virtio device 1's */
    expect(&c, "doorbells", 0, "intid");
    c.doorbells[0].intid = 50;
    c.doorbells[0].channel = 9;
    expect(&c, "doorbells", 0, "channel");
    c.doorbell_count = VMM_CONFIG_MAX_DOORBELLS + 1;
    expect(&c, NULL, 0, "doorbell_count");
}

static void panic_device(void **state)
{
    (void)state;
    struct vmm_config c = good();
    struct tessera_config_error e;
    c.panic_gpa = c.virtio[c.virtio_count - 1].gpa + VMM_CONFIG_VIRTIO_ALIGN;
    assert_true(vmm_config_check(&c, has_channel, &e));
    c.panic_gpa = c.virtio[0].gpa + 0x10; /* inside a virtio window */
    expect(&c, NULL, 0, "panic_gpa");
    c.panic_gpa = c.ram_gpa + c.ram_size - 1; /* its first byte is RAM's last */
    expect(&c, NULL, 0, "panic_gpa");
    c.panic_gpa = UINT64_MAX; /* its end wraps */
    expect(&c, NULL, 0, "panic_gpa");
}

/* A peer told of the guest's stop must be reached on a channel the VMM has. */
static void stop_watchers(void **state)
{
    (void)state;
    struct vmm_config c = good();
    c.stop_watcher_count = 1;
    c.stop_watchers[0] = 3;
    struct tessera_config_error e;
    assert_true(vmm_config_check(&c, has_channel, &e));
    c.stop_watchers[0] = 9;
    expect(&c, NULL, 0, "stop_watchers");
    c.stop_watchers[0] = 3;
    c.stop_watcher_count = VMM_CONFIG_MAX_STOP_WATCHERS + 1;
    expect(&c, NULL, 0, "stop_watcher_count");
}

static void passthrough(void **state)
{
    (void)state;
    struct vmm_config c = good();
    c.passthrough[0].channel = 4; /* not an IRQ of this PD */
    expect(&c, "passthrough", 0, "channel");
    c = good();
    c.passthrough_count = VMM_CONFIG_MAX_PASSTHROUGH + 1;
    expect(&c, NULL, 0, "passthrough_count");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_config_passes_and_finds_devices),
        cmocka_unit_test(header_and_strings),
        cmocka_unit_test(guest_ram),
        cmocka_unit_test(virtio_devices),
        cmocka_unit_test(passthrough),
        cmocka_unit_test(doorbells),
        cmocka_unit_test(stop_watchers),
        cmocka_unit_test(panic_device),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
