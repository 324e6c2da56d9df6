/* The virtio-mmio transport and the device lifecycle it owns (virtio 1.2 sections 2.1, 2.4,
 * 3.1.1, 4.2.2), driven as a driver (and a malicious guest) would drive it, with a fake device
 * that records what the transport asks of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <vmm/guest_ram.h>
#include <vmm/virtio_mmio.h>
#include "fake_virtio_driver.h"

#define A  VIRTIO_STATUS_ACKNOWLEDGE
#define D  VIRTIO_STATUS_DRIVER
#define F  VIRTIO_STATUS_FEATURES_OK
#define OK VIRTIO_STATUS_DRIVER_OK
#define NR VIRTIO_STATUS_NEEDS_RESET
#define X  VIRTIO_STATUS_FAILED

#define FEATURE_OFFERED (1ULL << 1)

struct fake_device {
    unsigned notifies[VIRTIO_MMIO_MAX_QUEUES];
    unsigned driver_oks;
    unsigned resets;
    unsigned config_writes;
    uint32_t last_config_offset;
    unsigned last_config_size;
    uint32_t last_config_value;
    uint8_t config[12];
};

static struct virtio_mmio t;
static struct fake_device dev;
static struct fake_driver drv;
static unsigned interrupts;

static void queue_notify(void *device, unsigned queue)
{
    ((struct fake_device *)device)->notifies[queue]++;
}

static void driver_ok(void *device)
{
    ((struct fake_device *)device)->driver_oks++;
}

static void device_reset(void *device)
{
    ((struct fake_device *)device)->resets++;
}

static void config_write(void *device, uint32_t offset, unsigned size, uint32_t value)
{
    struct fake_device *d = device;
    d->config_writes++;
    d->last_config_offset = offset;
    d->last_config_size = size;
    d->last_config_value = value;
}

static void count_interrupt(void *context)
{
    assert_ptr_equal(context, &t);
    assert_true(virtio_mmio_irq_level(&t));
    interrupts++;
}

static const struct virtio_device_ops ops = {queue_notify, driver_ok, device_reset, config_write};

static struct virtio_device_info info(void)
{
    return (struct virtio_device_info){
        .device_id = 42,
        .features = FEATURE_OFFERED,
        .queue_count = 2,
        .queue_num_max = 64,
        .config = dev.config,
        .config_size = sizeof(dev.config),
    };
}

static int setup(void **state)
{
    (void)state;
    memset(&dev, 0, sizeof(dev));
    for (unsigned i = 0; i < sizeof(dev.config); i++) {
        dev.config[i] = (uint8_t)(0xc0 + i);
    }
    interrupts = 0;
    struct virtio_device_info i = info();
    assert_true(virtio_mmio_init(&t, &i, &ops, &dev, &fake_ram));
    assert_int_equal(dev.resets, 1); /* the device's state is set up by its reset */
    dev.resets = 0;
    virtio_mmio_set_interrupt(&t, count_interrupt, &t);
    fake_driver_init(&drv, &t);
    return 0;
}

static uint32_t r(uint64_t offset)
{
    return fake_read(&drv, offset);
}

static void w(uint64_t offset, uint32_t value)
{
    fake_write(&drv, offset, value);
}

static uint32_t status(void)
{
    return r(VIRTIO_MMIO_STATUS);
}

static void write_features(uint64_t features)
{
    w(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    w(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    w(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    w(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
}

/* ---- identification and initialisation ---- */

static void identification_registers(void **state)
{
    (void)state;
    assert_int_equal(r(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    assert_int_equal(r(VIRTIO_MMIO_VERSION), 2);
    assert_int_equal(r(VIRTIO_MMIO_DEVICE_ID), 42);
    assert_int_equal(r(VIRTIO_MMIO_VENDOR_ID), 0x53534554);
    w(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_int_equal(r(VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 is bit 32 */
    w(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(r(VIRTIO_MMIO_DEVICE_FEATURES), FEATURE_OFFERED);
    w(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
    assert_int_equal(r(VIRTIO_MMIO_DEVICE_FEATURES), 0);
    w(VIRTIO_MMIO_QUEUE_SEL, 1);
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
    w(VIRTIO_MMIO_QUEUE_SEL, 2); /* no such queue */
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    assert_int_equal(status(), 0);
    assert_int_equal(r(VIRTIO_MMIO_CONFIG_GENERATION), 0);
    assert_int_equal(t.bad_accesses, 0);
}

static void init_refuses_bad_descriptions(void **state)
{
    (void)state;
    static struct virtio_mmio other;
    struct virtio_device_info i = info();
    i.queue_count = 0;
    assert_false(virtio_mmio_init(&other, &i, &ops, &dev, &fake_ram));
    i = info();
    i.queue_count = VIRTIO_MMIO_MAX_QUEUES + 1;
    assert_false(virtio_mmio_init(&other, &i, &ops, &dev, &fake_ram));
    i = info();
    i.queue_num_max = 48; /* not a power of two */
    assert_false(virtio_mmio_init(&other, &i, &ops, &dev, &fake_ram));
    i.queue_num_max = 65536; /* larger than a split ring can be */
    assert_false(virtio_mmio_init(&other, &i, &ops, &dev, &fake_ram));
    i = info();
    i.config_size = VIRTIO_MMIO_CONFIG_SIZE + 1;
    assert_false(virtio_mmio_init(&other, &i, &ops, &dev, &fake_ram));
    i = info();
    i.config = NULL;
    assert_false(virtio_mmio_init(&other, &i, &ops, &dev, &fake_ram));
    i = info();
    struct virtio_device_ops no_notify = ops;
    no_notify.queue_notify = NULL;
    assert_false(virtio_mmio_init(&other, &i, &no_notify, &dev, &fake_ram));
    assert_null(other.ops.queue_notify); /* nothing usable is left behind */
    i.config_size = VIRTIO_MMIO_CONFIG_SIZE;
    i.config = fake_gpa(FAKE_BUFFERS);
    struct virtio_device_ops minimal = {queue_notify, NULL, NULL, NULL};
    assert_true(virtio_mmio_init(&other, &i, &minimal, &dev, &fake_ram));
}

/* ---- the status sequence (section 3.1.1) ---- */

static void the_legal_sequence_step_by_step(void **state)
{
    (void)state;
    w(VIRTIO_MMIO_STATUS, A);
    assert_int_equal(status(), A);
    w(VIRTIO_MMIO_STATUS, A | D);
    assert_int_equal(status(), A | D);
    write_features(VIRTIO_F_VERSION_1 | FEATURE_OFFERED);
    w(VIRTIO_MMIO_STATUS, A | D | F);
    assert_int_equal(status(), A | D | F);
    assert_int_equal(dev.driver_oks, 0);
    assert_false(virtio_mmio_driver_ok(&t));
    w(VIRTIO_MMIO_STATUS, A | D | F | OK);
    assert_int_equal(status(), A | D | F | OK);
    assert_int_equal(dev.driver_oks, 1);
    assert_true(virtio_mmio_driver_ok(&t));
    w(VIRTIO_MMIO_STATUS, A | D | F | OK); /* the same again: allowed, no second edge */
    assert_int_equal(dev.driver_oks, 1);
    assert_int_equal(t.driver_features, VIRTIO_F_VERSION_1 | FEATURE_OFFERED);
    assert_int_equal(t.bad_status_writes, 0);
    assert_int_equal(t.refused_features, 0);
}

/* The five steps, and what the transport must make of a write of `value` in step `from`:
 * an independent statement of section 3.1.1 to hold the transport against. */
static const uint32_t steps[] = {0, A, A | D, A | D | F, A | D | F | OK};

static int step_index(uint32_t value)
{
    for (int i = 0; i < 5; i++) {
        if (steps[i] == value) {
            return i;
        }
    }
    return -1;
}

static uint32_t expected_after(int from, bool from_failed, uint32_t value)
{
    uint32_t current = steps[from] | (from_failed ? X : 0);
    if (value == 0) {
        return 0;
    }
    uint32_t written = value & ~(uint32_t)NR;
    int to = step_index(written & ~(uint32_t)X);
    if (from_failed) {
        return current; /* nothing but a reset changes it */
    }
    if ((written & ~(uint32_t)(A | D | F | OK | X)) != 0 || to < 0 || to < from || to > from + 1) {
        return current;
    }
    return written;
}

static void drive_to(int step, bool with_failed)
{
    w(VIRTIO_MMIO_STATUS, 0);
    for (int i = 1; i <= step; i++) {
        w(VIRTIO_MMIO_STATUS, steps[i]);
        if (i == 2) {
            write_features(VIRTIO_F_VERSION_1); /* so that FEATURES_OK can be accepted next */
        }
    }
    if (with_failed) {
        w(VIRTIO_MMIO_STATUS, steps[step] | X);
    }
    assert_int_equal(status(), steps[step] | (with_failed ? X : 0));
}

/* Every status value written in every reachable state. */
static void every_transition(void **state)
{
    (void)state;
    for (int from = 0; from < 5; from++) {
        for (int failed = 0; failed < 2; failed++) {
            for (uint32_t value = 0; value < 0x200; value++) {
                drive_to(from, failed);
                unsigned bad = t.bad_status_writes;
                unsigned oks = dev.driver_oks;
                unsigned resets = dev.resets;
                uint32_t expected = expected_after(from, failed, value);
                w(VIRTIO_MMIO_STATUS, value);
                assert_int_equal(status(), expected);
                uint32_t before = steps[from] | (failed ? X : 0);
                bool refused = value != 0 && expected == before && (value & ~(uint32_t)NR) != before;
                assert_int_equal(t.bad_status_writes, bad + (refused ? 1 : 0));
                assert_int_equal(dev.resets, resets + (value == 0 ? 1 : 0));
                /* the device hears of DRIVER_OK exactly when it is newly set without FAILED */
                bool edge = from == 3 && !failed && expected == (A | D | F | OK);
                assert_int_equal(dev.driver_oks, oks + (edge ? 1 : 0));
            }
        }
    }
}

static void skipping_a_step_is_refused(void **state)
{
    (void)state;
    w(VIRTIO_MMIO_STATUS, D); /* DRIVER without ACKNOWLEDGE */
    assert_int_equal(status(), 0);
    w(VIRTIO_MMIO_STATUS, A | D); /* two steps in one write */
    assert_int_equal(status(), 0);
    w(VIRTIO_MMIO_STATUS, A);
    w(VIRTIO_MMIO_STATUS, A | F); /* FEATURES_OK without DRIVER */
    assert_int_equal(status(), A);
    w(VIRTIO_MMIO_STATUS, A | D);
    write_features(VIRTIO_F_VERSION_1);
    w(VIRTIO_MMIO_STATUS, A | D | OK); /* DRIVER_OK without FEATURES_OK */
    assert_int_equal(status(), A | D);
    w(VIRTIO_MMIO_STATUS, A | D | F | OK); /* FEATURES_OK and DRIVER_OK at once */
    assert_int_equal(status(), A | D);
    assert_int_equal(dev.driver_oks, 0);
    assert_int_equal(t.bad_status_writes, 5);
    w(VIRTIO_MMIO_STATUS, A | D | F); /* the sequence goes on from where it was */
    assert_int_equal(status(), A | D | F);
}

static void clearing_a_bit_is_refused(void **state)
{
    (void)state;
    drive_to(4, false);
    w(VIRTIO_MMIO_STATUS, A | D | F); /* DRIVER_OK taken back */
    assert_int_equal(status(), A | D | F | OK);
    w(VIRTIO_MMIO_STATUS, A); /* back to the start, without a reset */
    assert_int_equal(status(), A | D | F | OK);
    w(VIRTIO_MMIO_STATUS, D | F | OK); /* ACKNOWLEDGE cleared */
    assert_int_equal(status(), A | D | F | OK);
    assert_int_equal(t.bad_status_writes, 3);
    assert_true(virtio_mmio_driver_ok(&t)); /* the device keeps working */
    assert_int_equal(dev.resets, 1);        /* drive_to's only */
}

static void reserved_bits_are_refused(void **state)
{
    (void)state;
    w(VIRTIO_MMIO_STATUS, A | 16);
    w(VIRTIO_MMIO_STATUS, A | 32);
    w(VIRTIO_MMIO_STATUS, A | 0x100);
    w(VIRTIO_MMIO_STATUS, 0x80000000u | A);
    assert_int_equal(status(), 0);
    assert_int_equal(t.bad_status_writes, 4);
}

static void failed_at_any_step_then_only_reset(void **state)
{
    (void)state;
    w(VIRTIO_MMIO_STATUS, A);
    w(VIRTIO_MMIO_STATUS, A | D);
    w(VIRTIO_MMIO_STATUS, A | D | X); /* the driver gives up (Linux: probe failed) */
    assert_int_equal(status(), A | D | X);
    write_features(VIRTIO_F_VERSION_1);
    assert_int_equal(t.driver_features, 0); /* no more negotiation */
    w(VIRTIO_MMIO_STATUS, A | D | F | X);
    assert_int_equal(status(), A | D | X);
    w(VIRTIO_MMIO_QUEUE_SEL, 0);
    w(VIRTIO_MMIO_QUEUE_NUM, 16);
    w(VIRTIO_MMIO_QUEUE_READY, 1);
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 0);
    w(VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(status(), 0);
    assert_int_equal(dev.resets, 1);
    fake_start(&drv, 0, 1); /* and a fresh start works */
    assert_int_equal(dev.driver_oks, 1);
}

static void failed_after_driver_ok_stops_the_device(void **state)
{
    (void)state;
    fake_start(&drv, 0, 2);
    assert_true(virtio_mmio_driver_ok(&t));
    fake_add_status(&drv, X);
    assert_false(virtio_mmio_driver_ok(&t));
    fake_kick(&drv, 0);
    assert_int_equal(dev.notifies[0], 0);
    virtio_mmio_used_buffer(&t);
    assert_int_equal(interrupts, 0);
    assert_false(virtio_mmio_irq_level(&t));
}

/* ---- feature negotiation (sections 2.2, 3.1.1 steps 4-6) ---- */

static void features_accepted_as_a_subset_with_version_1(void **state)
{
    (void)state;
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1));
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1 | FEATURE_OFFERED));
    assert_int_equal(t.refused_features, 0);
}

static void features_ok_refused_without_version_1(void **state)
{
    (void)state;
    assert_false(fake_negotiate(&drv, FEATURE_OFFERED)); /* a legacy driver */
    assert_int_equal(status(), A | D);                   /* clear when read back */
    assert_int_equal(t.refused_features, 1);
    /* DRIVER_OK cannot follow a refused FEATURES_OK */
    fake_driver_ok(&drv);
    assert_int_equal(status(), A | D);
    assert_int_equal(dev.driver_oks, 0);
    /* the driver may try again with an acceptable set */
    write_features(VIRTIO_F_VERSION_1);
    fake_add_status(&drv, F);
    assert_int_equal(status(), A | D | F);
}

static void features_ok_refused_for_features_not_offered(void **state)
{
    (void)state;
    assert_false(fake_negotiate(&drv, VIRTIO_F_VERSION_1 | (1ULL << 5)));
    assert_false(fake_negotiate(&drv, VIRTIO_F_VERSION_1 | (1ULL << 63)));
    /* bits above 63 (DriverFeaturesSel 2 and up) are never offered either */
    w(VIRTIO_MMIO_STATUS, 0);
    fake_add_status(&drv, A);
    fake_add_status(&drv, D);
    write_features(VIRTIO_F_VERSION_1);
    w(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
    w(VIRTIO_MMIO_DRIVER_FEATURES, 1);
    fake_add_status(&drv, F);
    assert_int_equal(status(), A | D);
    assert_int_equal(t.refused_features, 3);
    /* zeros there are fine */
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1));
}

static void driver_features_only_in_the_driver_step(void **state)
{
    (void)state;
    write_features(VIRTIO_F_VERSION_1); /* before DRIVER */
    assert_int_equal(t.driver_features, 0);
    assert_int_equal(t.bad_accesses, 2);
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1));
    write_features(VIRTIO_F_VERSION_1 | FEATURE_OFFERED); /* negotiation is over */
    assert_int_equal(t.driver_features, VIRTIO_F_VERSION_1);
    assert_int_equal(t.bad_accesses, 4);
}

/* ---- queues (section 4.2.3.2) ---- */

static void good_queue_becomes_ready_and_notifies(void **state)
{
    (void)state;
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1));
    assert_true(fake_queue_setup(&drv, 1, 16));
    assert_int_equal(t.queues[1].num, 16);
    assert_int_equal(t.queues[1].desc, drv.queues[1].desc);
    assert_int_equal(t.queues[1].driver, drv.queues[1].avail);
    assert_int_equal(t.queues[1].device, drv.queues[1].used);
    fake_kick(&drv, 1); /* before DRIVER_OK: ignored */
    assert_int_equal(dev.notifies[1], 0);
    fake_driver_ok(&drv);
    fake_kick(&drv, 1);
    assert_int_equal(dev.notifies[1], 1);
    fake_kick(&drv, 0); /* queue 0 not ready */
    fake_kick(&drv, 7); /* no such queue */
    fake_kick(&drv, 0xffffffff);
    assert_int_equal(dev.notifies[0], 0);
    assert_int_equal(t.ignored_notifies, 4);
}

static void queue_ready_refused_before_features_ok(void **state)
{
    (void)state;
    fake_add_status(&drv, A);
    fake_add_status(&drv, D);
    assert_false(fake_queue_setup(&drv, 0, 16));
    assert_int_equal(t.bad_queue_setups, 1);
    write_features(VIRTIO_F_VERSION_1);
    fake_add_status(&drv, F);
    assert_true(fake_queue_setup(&drv, 0, 16));
}

static void bad_queue_sizes_never_ready(void **state)
{
    (void)state;
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1));
    static const uint32_t bad[] = {0, 3, 128, 0x10000, 0xffffffff};
    w(VIRTIO_MMIO_QUEUE_SEL, 0);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        w(VIRTIO_MMIO_QUEUE_NUM, bad[i]);
        w(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)drv.queues[0].desc);
        w(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)drv.queues[0].avail);
        w(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)drv.queues[0].used);
        w(VIRTIO_MMIO_QUEUE_READY, 1);
        assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 0);
    }
    assert_int_equal(t.bad_queue_setups, 5);
}

static void set_queue(uint64_t desc, uint64_t avail, uint64_t used)
{
    w(VIRTIO_MMIO_QUEUE_SEL, 0);
    w(VIRTIO_MMIO_QUEUE_NUM, 16);
    w(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    w(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    w(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    w(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    w(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    w(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    w(VIRTIO_MMIO_QUEUE_READY, 1);
}

static void queue_addresses_outside_ram_or_unaligned(void **state)
{
    (void)state;
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1));
    uint64_t base = FAKE_RAM_BASE;
    uint64_t end = FAKE_RAM_BASE + FAKE_RAM_SIZE;
    set_queue(base - 0x1000, base + 0x2000, base + 0x3000); /* below RAM */
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 0);
    set_queue(base + 0x1000, end - 36, base + 0x3000); /* avail ring runs 2 bytes past the end */
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 0);
    set_queue(base + 0x1008, base + 0x2000, base + 0x3000); /* descriptors not 16-aligned */
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 0);
    set_queue(base + 0x1000, base + 0x2001, base + 0x3000); /* avail ring not 2-aligned */
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 0);
    set_queue(base + 0x1000, base + 0x2000, base + 0x3002); /* used ring not 4-aligned */
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 0);
    set_queue(0xfffffffffffffff0ULL, base + 0x2000, base + 0x3000); /* wraps */
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 0);
    assert_int_equal(t.bad_queue_setups, 6);
    set_queue(base + 0x1000, end - (6 + 2 * 16), base + 0x3000); /* avail ring ends where RAM ends */
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 1);
}

static void queue_registers_frozen_while_ready(void **state)
{
    (void)state;
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1));
    assert_true(fake_queue_setup(&drv, 0, 16));
    w(VIRTIO_MMIO_QUEUE_NUM, 32);
    w(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)FAKE_BUFFERS);
    assert_int_equal(t.queues[0].num, 16);
    assert_int_equal(t.queues[0].desc, drv.queues[0].desc);
    assert_int_equal(t.bad_accesses, 2);
    w(VIRTIO_MMIO_QUEUE_READY, 0); /* stopped: writable again */
    w(VIRTIO_MMIO_QUEUE_NUM, 32);
    assert_int_equal(t.queues[0].num, 32);
}

/* ---- reset (sections 2.4, 4.2.2.1) ---- */

static void reset_clears_everything(void **state)
{
    (void)state;
    fake_start(&drv, FEATURE_OFFERED, 2);
    w(VIRTIO_MMIO_QUEUE_SEL, 1);
    w(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    virtio_mmio_used_buffer(&t);
    assert_true(virtio_mmio_irq_level(&t));
    assert_int_equal(r(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED_BUFFER);
    t.config_generation = 7; /* as if the configuration had changed before */
    unsigned resets = dev.resets;
    w(VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(status(), 0);
    assert_int_equal(dev.resets, resets + 1);
    assert_false(virtio_mmio_irq_level(&t));
    assert_int_equal(r(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    assert_int_equal(t.driver_features, 0);
    assert_int_equal(t.queue_sel, 0);
    assert_int_equal(t.device_features_sel, 0);
    assert_int_equal(t.driver_features_sel, 0);
    for (unsigned q = 0; q < 2; q++) {
        w(VIRTIO_MMIO_QUEUE_SEL, q);
        assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 0);
        assert_int_equal(t.queues[q].num, 0);
        assert_int_equal(t.queues[q].desc, 0);
        assert_int_equal(t.queues[q].driver, 0);
        assert_int_equal(t.queues[q].device, 0);
    }
    /* section 2.5.1: only a configuration change moves the generation */
    assert_int_equal(r(VIRTIO_MMIO_CONFIG_GENERATION), 7);
    assert_false(virtio_mmio_driver_ok(&t));
    fake_kick(&drv, 0);
    assert_int_equal(dev.notifies[0], 0);
    /* the driver starts again from scratch */
    fake_start(&drv, 0, 2);
    assert_int_equal(dev.driver_oks, 2);
}

static void reset_by_the_vmm_is_the_same(void **state)
{
    (void)state;
    fake_start(&drv, 0, 2);
    virtio_mmio_needs_reset(&t);
    unsigned resets = dev.resets;
    virtio_mmio_reset(&t);
    assert_int_equal(status(), 0);
    assert_int_equal(dev.resets, resets + 1);
    assert_false(virtio_mmio_irq_level(&t));
    w(VIRTIO_MMIO_QUEUE_SEL, 0);
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_READY), 0);
}

/* ---- NEEDS_RESET and interrupts (sections 2.1.2, 4.2.2) ---- */

static void needs_reset_raises_config_change_once(void **state)
{
    (void)state;
    fake_start(&drv, 0, 2);
    virtio_mmio_needs_reset(&t);
    assert_int_equal(status(), A | D | F | OK | NR);
    assert_int_equal(r(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_CONFIG_CHANGE);
    assert_int_equal(interrupts, 1);
    virtio_mmio_needs_reset(&t); /* once per reset */
    assert_int_equal(interrupts, 1);
    w(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_CONFIG_CHANGE);
    assert_false(virtio_mmio_irq_level(&t));
    /* the driver cannot clear it, with or without the bit in what it writes */
    w(VIRTIO_MMIO_STATUS, A | D | F | OK);
    assert_int_equal(status(), A | D | F | OK | NR);
    fake_add_status(&drv, X);
    assert_int_equal(status(), A | D | F | OK | NR | X);
    /* only a reset clears it */
    w(VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(status(), 0);
    fake_start(&drv, 0, 2);
    assert_int_equal(status(), A | D | F | OK);
}

static void needs_reset_before_driver_ok_sends_nothing(void **state)
{
    (void)state;
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1));
    virtio_mmio_needs_reset(&t);
    assert_int_equal(status(), A | D | F | NR);
    assert_int_equal(interrupts, 0);
    assert_false(virtio_mmio_irq_level(&t));
    fake_driver_ok(&drv); /* the driver may still go on; it sees the bit */
    assert_int_equal(status(), A | D | F | OK | NR);
}

static void driver_writing_needs_reset_sets_nothing(void **state)
{
    (void)state;
    w(VIRTIO_MMIO_STATUS, A | NR);
    assert_int_equal(status(), A);
    assert_int_equal(t.bad_status_writes, 0);
}

static void used_buffer_interrupt_only_after_driver_ok(void **state)
{
    (void)state;
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1));
    virtio_mmio_used_buffer(&t);
    assert_false(virtio_mmio_irq_level(&t));
    assert_int_equal(interrupts, 0);
    fake_driver_ok(&drv);
    virtio_mmio_used_buffer(&t);
    assert_true(virtio_mmio_irq_level(&t));
    assert_int_equal(interrupts, 1);
    assert_int_equal(r(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_INT_USED_BUFFER);
    w(VIRTIO_MMIO_INTERRUPT_ACK, 0); /* acknowledges nothing */
    assert_true(virtio_mmio_irq_level(&t));
    w(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
    assert_false(virtio_mmio_irq_level(&t));
}

/* ---- configuration space (sections 2.5, 4.2.2.2) ---- */

static void config_space_reads_little_endian(void **state)
{
    (void)state;
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 1, 1), 0xc1);
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 2, 2), 0xc3c2);
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 8, 4), 0xcbcac9c8);
    dev.config[8] = 0x11; /* the device changes it: the next read sees it */
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 8, 1), 0x11);
    assert_int_equal(t.bad_accesses, 0);
    virtio_mmio_write(&t, VIRTIO_MMIO_CONFIG + 4, 2, 0xbeef);
    assert_int_equal(dev.config_writes, 1);
    assert_int_equal(dev.last_config_offset, 4);
    assert_int_equal(dev.last_config_size, 2);
    assert_int_equal(dev.last_config_value, 0xbeef);
}

static void config_space_bad_accesses(void **state)
{
    (void)state;
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 12, 1), 0); /* past config_size */
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 10, 4), 0); /* straddles its end */
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 1, 2), 0);  /* unaligned */
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 2, 4), 0);
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 0, 8), 0); /* no 64-bit accesses */
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + 0, 3), 0);
    virtio_mmio_write(&t, VIRTIO_MMIO_CONFIG + 12, 4, 1);
    virtio_mmio_write(&t, VIRTIO_MMIO_CONFIG + 3, 4, 1);
    assert_int_equal(t.bad_accesses, 8);
    assert_int_equal(dev.config_writes, 0);
    /* a device with no config_write has a read-only configuration space */
    t.ops.config_write = NULL;
    virtio_mmio_write(&t, VIRTIO_MMIO_CONFIG + 0, 4, 1);
    assert_int_equal(t.bad_accesses, 9);
    assert_int_equal(dev.config[0], 0xc0);
}

/* ---- register accesses (section 4.2.2.2) ---- */

static void wrong_widths_offsets_and_directions(void **state)
{
    (void)state;
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_MAGIC_VALUE, 2), 0);
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_MAGIC_VALUE, 8), 0);
    virtio_mmio_write(&t, VIRTIO_MMIO_STATUS, 1, A);
    assert_int_equal(status(), 0);
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_STATUS + 2, 4), 0); /* unaligned */
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_NOTIFY), 0);                     /* write-only */
    assert_int_equal(r(0x0f8), 0);                                        /* reserved */
    w(VIRTIO_MMIO_MAGIC_VALUE, 1);                                        /* read-only */
    w(VIRTIO_MMIO_INTERRUPT_STATUS, 1);
    assert_int_equal(t.bad_accesses, 8);
    /* outside the window, or running past its end */
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_SIZE, 4), 0);
    assert_int_equal(virtio_mmio_read(&t, VIRTIO_MMIO_SIZE - 2, 4), 0);
    virtio_mmio_write(&t, ~0ULL, 4, 0);
    virtio_mmio_write(&t, VIRTIO_MMIO_SIZE - 4, 8, 0);
    assert_int_equal(t.bad_accesses, 12);
    assert_int_equal(dev.config_writes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(identification_registers, setup),
        cmocka_unit_test_setup(init_refuses_bad_descriptions, setup),
        cmocka_unit_test_setup(the_legal_sequence_step_by_step, setup),
        cmocka_unit_test_setup(every_transition, setup),
        cmocka_unit_test_setup(skipping_a_step_is_refused, setup),
        cmocka_unit_test_setup(clearing_a_bit_is_refused, setup),
        cmocka_unit_test_setup(reserved_bits_are_refused, setup),
        cmocka_unit_test_setup(failed_at_any_step_then_only_reset, setup),
        cmocka_unit_test_setup(failed_after_driver_ok_stops_the_device, setup),
        cmocka_unit_test_setup(features_accepted_as_a_subset_with_version_1, setup),
        cmocka_unit_test_setup(features_ok_refused_without_version_1, setup),
        cmocka_unit_test_setup(features_ok_refused_for_features_not_offered, setup),
        cmocka_unit_test_setup(driver_features_only_in_the_driver_step, setup),
        cmocka_unit_test_setup(good_queue_becomes_ready_and_notifies, setup),
        cmocka_unit_test_setup(queue_ready_refused_before_features_ok, setup),
        cmocka_unit_test_setup(bad_queue_sizes_never_ready, setup),
        cmocka_unit_test_setup(queue_addresses_outside_ram_or_unaligned, setup),
        cmocka_unit_test_setup(queue_registers_frozen_while_ready, setup),
        cmocka_unit_test_setup(reset_clears_everything, setup),
        cmocka_unit_test_setup(reset_by_the_vmm_is_the_same, setup),
        cmocka_unit_test_setup(needs_reset_raises_config_change_once, setup),
        cmocka_unit_test_setup(needs_reset_before_driver_ok_sends_nothing, setup),
        cmocka_unit_test_setup(driver_writing_needs_reset_sets_nothing, setup),
        cmocka_unit_test_setup(used_buffer_interrupt_only_after_driver_ok, setup),
        cmocka_unit_test_setup(config_space_reads_little_endian, setup),
        cmocka_unit_test_setup(config_space_bad_accesses, setup),
        cmocka_unit_test_setup(wrong_widths_offsets_and_directions, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
