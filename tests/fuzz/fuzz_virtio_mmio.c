/*
 * Fuzz harness of the virtio-mmio transport (vmm/src/virtio_mmio.c): a device of fuzzed shape
 * (queue count and size, features, configuration space) behind it, and a guest that reads and
 * writes any register with any width, offset and value, in any order, while the device now and
 * then reports used buffers, a broken queue or a configuration change.
 *
 * Invariants, after every access:
 * - Status is always a step of section 3.1.1 (plus FAILED and NEEDS_RESET); NEEDS_RESET only
 *   after the device asked for it; FEATURES_OK only with features the device offered, VERSION_1
 *   among them;
 * - a ready queue was made ready after FEATURES_OK, fits guest RAM with its alignments and a size
 *   the device offers, and its registers never change while it is ready;
 * - the device hears queue_notify only while DRIVER_OK holds, for a ready queue it has;
 *   driver_ok once per transition to DRIVER_OK; config_write only inside its space, aligned;
 * - a reset forgets everything the driver set; the interrupt line rises only with a reason, and
 *   never for used buffers before DRIVER_OK;
 * - identification and the configuration space read back exactly what the device says.
 */
#include <string.h>
#include <vmm/virtio_mmio.h>
#include "fuzz.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x100000ULL

static const struct guest_ram ram = {RAM_BASE, RAM_SIZE, 0x10000000};

static const uint32_t registers[] = {
    VIRTIO_MMIO_MAGIC_VALUE,       VIRTIO_MMIO_VERSION,
    VIRTIO_MMIO_DEVICE_ID,         VIRTIO_MMIO_VENDOR_ID,
    VIRTIO_MMIO_DEVICE_FEATURES,   VIRTIO_MMIO_DEVICE_FEATURES_SEL,
    VIRTIO_MMIO_DRIVER_FEATURES,   VIRTIO_MMIO_DRIVER_FEATURES_SEL,
    VIRTIO_MMIO_QUEUE_SEL,         VIRTIO_MMIO_QUEUE_NUM_MAX,
    VIRTIO_MMIO_QUEUE_NUM,         VIRTIO_MMIO_QUEUE_READY,
    VIRTIO_MMIO_QUEUE_NOTIFY,      VIRTIO_MMIO_INTERRUPT_STATUS,
    VIRTIO_MMIO_INTERRUPT_ACK,     VIRTIO_MMIO_STATUS,
    VIRTIO_MMIO_QUEUE_DESC_LOW,    VIRTIO_MMIO_QUEUE_DESC_HIGH,
    VIRTIO_MMIO_QUEUE_DRIVER_LOW,  VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
    VIRTIO_MMIO_QUEUE_DEVICE_LOW,  VIRTIO_MMIO_QUEUE_DEVICE_HIGH,
    VIRTIO_MMIO_CONFIG_GENERATION, VIRTIO_MMIO_CONFIG,
};

static const uint32_t steps[] = {
    0,
    VIRTIO_STATUS_ACKNOWLEDGE,
    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER,
    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK,
    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK,
};

static struct {
    struct virtio_mmio t;
    struct virtio_device_info info;
    uint8_t config[VIRTIO_MMIO_CONFIG_SIZE];
    /* what the harness knows the device and driver did */
    bool needs_reset_asked;
    bool in_call; /* a transport call is running: callbacks are expected only then */
    bool was_driver_ok;
    unsigned driver_ok_calls;
    unsigned resets;
    struct virtio_queue_config ready_as[VIRTIO_MMIO_MAX_QUEUES]; /* each ready queue, when it became so */
    bool ready[VIRTIO_MMIO_MAX_QUEUES];
} s;

static int step_of(uint32_t status)
{
    status &= ~(uint32_t)(VIRTIO_STATUS_FAILED | VIRTIO_STATUS_NEEDS_RESET);
    for (int i = 0; i < 5; i++) {
        if (steps[i] == status) {
            return i;
        }
    }
    return -1;
}

static bool driver_ok_now(void)
{
    return (s.t.status & VIRTIO_STATUS_DRIVER_OK) != 0 && (s.t.status & VIRTIO_STATUS_FAILED) == 0;
}

static void queue_notify(void *device, unsigned queue)
{
    (void)device;
    FUZZ_CHECK(s.in_call, "queue_notify outside a guest access");
    FUZZ_CHECK(driver_ok_now(), "queue_notify of queue %u without DRIVER_OK (status %#x)", queue, s.t.status);
    FUZZ_CHECK(queue < s.info.queue_count && s.t.queues[queue].ready, "queue_notify of queue %u, not ready", queue);
}

static void driver_ok(void *device)
{
    (void)device;
    FUZZ_CHECK(driver_ok_now() && !s.was_driver_ok, "driver_ok without a transition to DRIVER_OK");
    s.driver_ok_calls++;
}

static void device_reset(void *device)
{
    (void)device;
    s.resets++;
}

static void config_write(void *device, uint32_t offset, unsigned size, uint32_t value)
{
    (void)device;
    FUZZ_CHECK((size == 1 || size == 2 || size == 4) && offset % size == 0 && offset + size <= s.info.config_size,
               "config_write of %u bytes at %u in a space of %u", size, offset, s.info.config_size);
    for (unsigned i = 0; i < size; i++) {
        s.config[offset + i] = (uint8_t)(value >> (8 * i));
    }
}

static void interrupt(void *context)
{
    (void)context;
    FUZZ_CHECK(s.t.interrupt_status != 0, "interrupt raised with InterruptStatus 0");
}

static bool fits(const struct virtio_queue_config *q)
{
    uint64_t num = q->num;
    uint64_t end;
    if (num == 0 || (num & (num - 1)) != 0 || num > s.info.queue_num_max) {
        return false;
    }
    if ((q->desc & 15) != 0 || (q->driver & 1) != 0 || (q->device & 3) != 0) {
        return false;
    }
    const uint64_t starts[3] = {q->desc, q->driver, q->device};
    const uint64_t sizes[3] = {16 * num, 6 + 2 * num, 6 + 8 * num};
    for (unsigned i = 0; i < 3; i++) {
        if (starts[i] < RAM_BASE || __builtin_add_overflow(starts[i], sizes[i], &end) || end > RAM_BASE + RAM_SIZE) {
            return false;
        }
    }
    return true;
}

static void check_state(void)
{
    const struct virtio_mmio *t = &s.t;
    int step = step_of(t->status);
    FUZZ_CHECK(step >= 0 && (t->status & ~0xffu) == 0 && (t->status & 0x30) == 0, "status %#x is not a step",
               t->status);
    FUZZ_CHECK((t->status & VIRTIO_STATUS_NEEDS_RESET) == 0 || s.needs_reset_asked, "NEEDS_RESET nobody asked for");
    if (t->status & VIRTIO_STATUS_FEATURES_OK) {
        FUZZ_CHECK((t->driver_features & ~s.info.features) == 0 && !t->unoffered_features &&
                       (t->driver_features & VIRTIO_F_VERSION_1) != 0,
                   "FEATURES_OK with features %#llx of %#llx offered", (unsigned long long)t->driver_features,
                   (unsigned long long)s.info.features);
    }
    FUZZ_CHECK((t->interrupt_status & ~(uint32_t)(VIRTIO_INT_USED_BUFFER | VIRTIO_INT_CONFIG_CHANGE)) == 0,
               "InterruptStatus %#x", t->interrupt_status);
    for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
        const struct virtio_queue_config *c = &t->queues[q];
        if (q >= s.info.queue_count) {
            FUZZ_CHECK(!c->ready && c->num == 0 && c->desc == 0, "queue %u, which the device has not, was set", q);
            continue;
        }
        if (!c->ready) {
            s.ready[q] = false;
            continue;
        }
        FUZZ_CHECK(step >= 3, "queue %u ready before FEATURES_OK", q);
        FUZZ_CHECK(fits(c), "queue %u ready but does not fit guest RAM or its size", q);
        if (!s.ready[q]) {
            s.ready[q] = true;
            s.ready_as[q] = *c;
        }
        FUZZ_CHECK(memcmp(&s.ready_as[q], c, sizeof(*c)) == 0, "queue %u changed while ready", q);
    }
    s.was_driver_ok = driver_ok_now();
}

static uint32_t pick_offset(struct fuzz_input *in)
{
    uint8_t c = fuzz_u8(in);
    if (c < 0xe0) {
        uint32_t r = registers[c % (sizeof(registers) / sizeof(registers[0]))];
        if (r == VIRTIO_MMIO_CONFIG) {
            r += fuzz_below(in, VIRTIO_MMIO_CONFIG_SIZE);
        }
        return r;
    }
    return c < 0xf0 ? fuzz_below(in, VIRTIO_MMIO_SIZE + 8) : fuzz_u32(in);
}

static uint32_t pick_value(struct fuzz_input *in, uint32_t offset)
{
    uint8_t c = fuzz_u8(in);
    if (offset == VIRTIO_MMIO_STATUS && c < 0xc0) {
        /* Mostly the next step, sometimes with FAILED or NEEDS_RESET, or a step back. */
        uint32_t v = steps[c % 5];
        if (c & 0x20) {
            v |= VIRTIO_STATUS_FAILED;
        }
        if (c & 0x40) {
            v |= VIRTIO_STATUS_NEEDS_RESET;
        }
        return v;
    }
    if (offset == VIRTIO_MMIO_DRIVER_FEATURES && c < 0xc0) {
        uint64_t f = c & 1 ? s.info.features : s.info.features | fuzz_u64(in);
        return s.t.driver_features_sel == 1 ? (uint32_t)(f >> 32) : (uint32_t)f;
    }
    if ((offset == VIRTIO_MMIO_QUEUE_DESC_LOW || offset == VIRTIO_MMIO_QUEUE_DRIVER_LOW ||
         offset == VIRTIO_MMIO_QUEUE_DEVICE_LOW) &&
        c < 0xc0) {
        return (uint32_t)(RAM_BASE + (fuzz_below(in, 0x1000) << 4) + (c & 0x40 ? fuzz_below(in, 16) : 0));
    }
    if (offset == VIRTIO_MMIO_QUEUE_NUM && c < 0xc0) {
        return 1u << (c % 17);
    }
    if (c < 0xe0) {
        return c % 16;
    }
    return fuzz_u32(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = fuzz_input(data, size);
    memset(&s, 0, sizeof(s));
    s.info.device_id = fuzz_u8(&in);
    s.info.features = fuzz_u64(&in) & ~VIRTIO_F_VERSION_1;
    s.info.queue_count = fuzz_below(&in, VIRTIO_MMIO_MAX_QUEUES + 1);
    s.info.queue_num_max = 1u << fuzz_below(&in, 17);
    s.info.config_size = fuzz_below(&in, VIRTIO_MMIO_CONFIG_SIZE + 2);
    s.info.config = s.config;
    fuzz_bytes(&in, s.config, s.info.config_size < 16 ? s.info.config_size : 16);
    bool writable_config = fuzz_bool(&in);
    const struct virtio_device_ops ops = {queue_notify, driver_ok, device_reset, writable_config ? config_write : NULL};
    bool usable =
        s.info.queue_count >= 1 && s.info.config_size <= VIRTIO_MMIO_CONFIG_SIZE && s.info.queue_num_max <= 32768;
    FUZZ_CHECK(virtio_mmio_init(&s.t, &s.info, &ops, NULL, &ram) == usable, "init of a %s device",
               usable ? "usable" : "unusable");
    if (!usable) {
        return 0;
    }
    s.info.features |= VIRTIO_F_VERSION_1;
    virtio_mmio_set_interrupt(&s.t, interrupt, NULL);
    uint32_t generation = s.t.config_generation;
    for (unsigned n = 0; n < 1000 && fuzz_more(&in); n++) {
        uint8_t op = fuzz_u8(&in);
        uint32_t offset = pick_offset(&in);
        unsigned width = (op & 0x30) == 0 ? 1u << fuzz_below(&in, 4) : 4;
        s.in_call = true;
        if (op < 0x50) {
            uint32_t v = virtio_mmio_read(&s.t, offset, width);
            bool aligned = width == 4 && (offset & 3) == 0;
            if (offset == VIRTIO_MMIO_MAGIC_VALUE && aligned) {
                FUZZ_CHECK(v == 0x74726976, "magic %#x", v);
            } else if (offset == VIRTIO_MMIO_VERSION && aligned) {
                FUZZ_CHECK(v == 2, "version %u", v);
            } else if (offset == VIRTIO_MMIO_DEVICE_ID && aligned) {
                FUZZ_CHECK(v == s.info.device_id, "device id %u", v);
            } else if (offset == VIRTIO_MMIO_CONFIG_GENERATION && aligned) {
                FUZZ_CHECK(v == generation, "generation %u, expected %u", v, generation);
            } else if (offset >= VIRTIO_MMIO_CONFIG && offset < VIRTIO_MMIO_SIZE) {
                uint32_t at = offset - VIRTIO_MMIO_CONFIG;
                uint32_t expected = 0;
                if ((width == 1 || width == 2 || width == 4) && at % width == 0 && at + width <= s.info.config_size) {
                    for (unsigned i = 0; i < width; i++) {
                        expected |= (uint32_t)s.config[at + i] << (8 * i);
                    }
                }
                FUZZ_CHECK(v == expected, "config read of %u bytes at %u gave %#x, not %#x", width, at, v, expected);
            }
        } else if (op < 0xf0) {
            uint32_t value = pick_value(&in, offset);
            bool was_ok = driver_ok_now();
            unsigned resets = s.resets;
            unsigned calls = s.driver_ok_calls;
            virtio_mmio_write(&s.t, offset, width, value);
            if (offset == VIRTIO_MMIO_STATUS && width == 4 && value == 0) {
                FUZZ_CHECK(s.resets == resets + 1, "writing 0 to Status did not reset the device");
                s.needs_reset_asked = false;
                s.was_driver_ok = false;
            }
            if (s.resets != resets) {
                struct virtio_queue_config zero = {0};
                FUZZ_CHECK(s.t.status == 0 && s.t.interrupt_status == 0 && s.t.driver_features == 0,
                           "a reset left status %#x, interrupt %#x, features %#llx", s.t.status, s.t.interrupt_status,
                           (unsigned long long)s.t.driver_features);
                for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
                    FUZZ_CHECK(memcmp(&s.t.queues[q], &zero, sizeof(zero)) == 0, "a reset left queue %u set", q);
                    s.ready[q] = false;
                }
            }
            bool now_ok = driver_ok_now();
            FUZZ_CHECK(s.driver_ok_calls == calls + (!was_ok && now_ok && s.resets == resets),
                       "driver_ok called %u times for a transition %d -> %d", s.driver_ok_calls - calls, was_ok,
                       now_ok);
        } else {
            /* The device's side. */
            uint32_t before = s.t.interrupt_status;
            switch (op % 4) {
            case 0:
                virtio_mmio_used_buffer(&s.t);
                FUZZ_CHECK(driver_ok_now() || s.t.interrupt_status == before, "used-buffer interrupt before DRIVER_OK");
                break;
            case 1:
                s.needs_reset_asked = true;
                virtio_mmio_needs_reset(&s.t);
                FUZZ_CHECK((s.t.status & VIRTIO_STATUS_NEEDS_RESET) != 0, "NEEDS_RESET asked and not set");
                break;
            case 2:
                virtio_mmio_config_changed(&s.t);
                generation++;
                break;
            case 3:
                virtio_mmio_reset(&s.t);
                s.needs_reset_asked = false;
                s.was_driver_ok = false;
                memset(s.ready, 0, sizeof(s.ready));
                break;
            }
        }
        s.in_call = false;
        check_state();
    }
    return 0;
}
