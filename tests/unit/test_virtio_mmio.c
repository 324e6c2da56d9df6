/* The virtio-mmio transport's register state machine against a fake guest RAM, as a driver
 * (and a malicious guest) would drive it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <vmm/guest_ram.h>
#include <vmm/virtio_mmio.h>

static uint8_t ram_bytes[0x10000] __attribute__((aligned(16)));
static const struct guest_ram ram = {0x40000000, sizeof(ram_bytes), (uintptr_t)ram_bytes};

struct fake_device {
    unsigned notifies[8];
    unsigned resets;
    uint32_t last_config_write;
};

static uint32_t config_read(void *device, uint32_t offset, unsigned size)
{
    (void)device;
    (void)size;
    return 0xc0 + offset;
}

static void config_write(void *device, uint32_t offset, unsigned size, uint32_t value)
{
    (void)offset;
    (void)size;
    ((struct fake_device *)device)->last_config_write = value;
}

static void queue_notify(void *device, unsigned queue)
{
    ((struct fake_device *)device)->notifies[queue]++;
}

static void device_reset(void *device)
{
    ((struct fake_device *)device)->resets++;
}

static struct virtio_mmio t;
static struct fake_device dev;

static int setup(void **state)
{
    (void)state;
    memset(&dev, 0, sizeof(dev));
    struct virtio_device_hooks hooks = {config_read, config_write, queue_notify, device_reset};
    virtio_mmio_init(&t, 3, 1ULL << 1, 2, 64, &ram, &hooks, &dev);
    return 0;
}

static void w(uint64_t offset, uint32_t value)
{
    virtio_mmio_write(&t, offset, 4, value);
}

static uint32_t r(uint64_t offset)
{
    return virtio_mmio_read(&t, offset, 4);
}

/* The driver start-up sequence of virtio 1.2 section 3.1.1, up to FEATURES_OK. */
static void negotiate(uint64_t features)
{
    w(0x070, 0);
    w(0x070, VIRTIO_STATUS_ACKNOWLEDGE);
    w(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    w(0x024, 0);
    w(0x020, (uint32_t)features);
    w(0x024, 1);
    w(0x020, (uint32_t)(features >> 32));
    w(0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

static void setup_queue(unsigned index, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
    w(0x030, index);
    w(0x038, num);
    w(0x080, (uint32_t)desc);
    w(0x084, (uint32_t)(desc >> 32));
    w(0x090, (uint32_t)avail);
    w(0x094, (uint32_t)(avail >> 32));
    w(0x0a0, (uint32_t)used);
    w(0x0a4, (uint32_t)(used >> 32));
    w(0x044, 1);
}

static void identification_registers(void **state)
{
    (void)state;
    assert_int_equal(r(0x000), 0x74726976);
    assert_int_equal(r(0x004), 2);
    assert_int_equal(r(0x008), 3);
    w(0x014, 1);
    assert_int_equal(r(0x010), 1); /* VERSION_1 is bit 32 */
    w(0x014, 0);
    assert_int_equal(r(0x010), 2);
    w(0x030, 0);
    assert_int_equal(r(0x034), 64);
    w(0x030, 5); /* no such queue */
    assert_int_equal(r(0x034), 0);
    assert_int_equal(virtio_mmio_read(&t, 0x104, 1), 0xc4); /* config space goes to the device */
    virtio_mmio_write(&t, 0x108, 2, 0x55);
    assert_int_equal(dev.last_config_write, 0x55);
}

static void features_accepted_as_a_subset_with_version_1(void **state)
{
    (void)state;
    negotiate(VIRTIO_F_VERSION_1);
    assert_true(r(0x070) & VIRTIO_STATUS_FEATURES_OK);
    negotiate(VIRTIO_F_VERSION_1 | (1ULL << 1));
    assert_true(r(0x070) & VIRTIO_STATUS_FEATURES_OK);
}

static void features_refused_without_version_1_or_unknown(void **state)
{
    (void)state;
    negotiate(1ULL << 1); /* legacy driver */
    assert_false(r(0x070) & VIRTIO_STATUS_FEATURES_OK);
    negotiate(VIRTIO_F_VERSION_1 | (1ULL << 5)); /* a feature the device does not offer */
    assert_false(r(0x070) & VIRTIO_STATUS_FEATURES_OK);
}

static void good_queue_becomes_ready_and_notifies(void **state)
{
    (void)state;
    negotiate(VIRTIO_F_VERSION_1);
    setup_queue(1, 16, 0x40001000, 0x40002000, 0x40003000);
    assert_int_equal(r(0x044), 1);
    w(0x050, 1); /* before DRIVER_OK: ignored */
    assert_int_equal(dev.notifies[1], 0);
    w(0x070, r(0x070) | VIRTIO_STATUS_DRIVER_OK);
    w(0x050, 1);
    assert_int_equal(dev.notifies[1], 1);
    w(0x050, 0); /* queue 0 not ready */
    w(0x050, 7); /* no such queue */
    w(0x050, 0xffffffff);
    assert_int_equal(dev.notifies[0], 0);
    assert_int_equal(t.ignored_notifies, 4);
}

static void bad_queue_sizes_never_ready(void **state)
{
    (void)state;
    negotiate(VIRTIO_F_VERSION_1);
    static const uint32_t bad[] = {0, 3, 128, 0x10000, 0xffffffff};
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setup_queue(0, bad[i], 0x40001000, 0x40002000, 0x40003000);
        assert_int_equal(r(0x044), 0);
    }
    assert_int_equal(t.bad_queue_setups, 5);
}

static void queue_addresses_outside_ram_or_unaligned(void **state)
{
    (void)state;
    negotiate(VIRTIO_F_VERSION_1);
    setup_queue(0, 16, 0x3ffff000, 0x40002000, 0x40003000); /* below RAM */
    assert_int_equal(r(0x044), 0);
    setup_queue(0, 16, 0x40001000, 0x4000fffc, 0x40003000); /* runs past the end */
    assert_int_equal(r(0x044), 0);
    setup_queue(0, 16, 0x40001008, 0x40002000, 0x40003000); /* descriptors not 16-aligned */
    assert_int_equal(r(0x044), 0);
    setup_queue(0, 16, 0x40001000, 0x40002000, 0x40003002); /* used ring not 4-aligned */
    assert_int_equal(r(0x044), 0);
    setup_queue(0, 16, 0xfffffffffffffff0ULL, 0x40002000, 0x40003000); /* wraps */
    assert_int_equal(r(0x044), 0);
    assert_int_equal(t.bad_queue_setups, 5);
}

static void queue_registers_frozen_while_ready(void **state)
{
    (void)state;
    negotiate(VIRTIO_F_VERSION_1);
    setup_queue(0, 16, 0x40001000, 0x40002000, 0x40003000);
    w(0x038, 32);
    w(0x080, 0x40005000);
    assert_int_equal(t.queues[0].num, 16);
    assert_int_equal(t.queues[0].desc, 0x40001000);
}

static void reset_clears_everything(void **state)
{
    (void)state;
    negotiate(VIRTIO_F_VERSION_1);
    setup_queue(0, 16, 0x40001000, 0x40002000, 0x40003000);
    virtio_mmio_used_buffer(&t);
    assert_true(virtio_mmio_irq_level(&t));
    assert_int_equal(r(0x060), VIRTIO_INT_USED_BUFFER);
    unsigned resets = dev.resets;
    w(0x070, 0);
    assert_int_equal(r(0x070), 0);
    assert_int_equal(r(0x044), 0);
    assert_false(virtio_mmio_irq_level(&t));
    assert_int_equal(dev.resets, resets + 1);
}

static void interrupt_ack_lowers_the_line(void **state)
{
    (void)state;
    virtio_mmio_used_buffer(&t);
    assert_true(virtio_mmio_irq_level(&t));
    w(0x064, VIRTIO_INT_USED_BUFFER);
    assert_false(virtio_mmio_irq_level(&t));
}

static void wrong_widths_and_write_only_reads(void **state)
{
    (void)state;
    assert_int_equal(virtio_mmio_read(&t, 0x000, 2), 0);
    virtio_mmio_write(&t, 0x070, 1, 1);
    assert_int_equal(r(0x070), 0);
    assert_int_equal(r(0x050), 0); /* QueueNotify is write-only */
    w(0x000, 1);                   /* MagicValue is read-only */
    assert_int_equal(t.bad_accesses, 4);
}

static void guest_ram_bounds(void **state)
{
    (void)state;
    void *p;
    assert_true(guest_ram_range(&ram, 0x40000000, 1, &p));
    assert_ptr_equal(p, ram_bytes);
    assert_true(guest_ram_range(&ram, 0x4000ffff, 1, &p));
    assert_false(guest_ram_range(&ram, 0x4000ffff, 2, &p));
    assert_false(guest_ram_range(&ram, 0x3fffffff, 2, &p));
    assert_false(guest_ram_range(&ram, 0x40000000, 0, &p));
    assert_false(guest_ram_range(&ram, 0xffffffffffffff00ULL, 0x200, &p));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(identification_registers, setup),
        cmocka_unit_test_setup(features_accepted_as_a_subset_with_version_1, setup),
        cmocka_unit_test_setup(features_refused_without_version_1_or_unknown, setup),
        cmocka_unit_test_setup(good_queue_becomes_ready_and_notifies, setup),
        cmocka_unit_test_setup(bad_queue_sizes_never_ready, setup),
        cmocka_unit_test_setup(queue_addresses_outside_ram_or_unaligned, setup),
        cmocka_unit_test_setup(queue_registers_frozen_while_ready, setup),
        cmocka_unit_test_setup(reset_clears_everything, setup),
        cmocka_unit_test_setup(interrupt_ack_lowers_the_line, setup),
        cmocka_unit_test_setup(wrong_widths_and_write_only_reads, setup),
        cmocka_unit_test_setup(guest_ram_bounds, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
