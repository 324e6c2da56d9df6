/*
 * virtio-mmio transport (virtio 1.2 section 4.2) and the device lifecycle (sections 2.1, 2.4,
 * 3.1), in the order a driver meets them: identification, reset, the status sequence with
 * feature negotiation, queue setup, notifications and interrupts, configuration space.
 */
#include <stddef.h>
#include <vmm/virtio_mmio.h>

#define MAGIC 0x74726976u /* "virt" */

#define DRIVER_BITS                                                                                           \
    (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK | \
     VIRTIO_STATUS_FAILED)

/* Section 3.1.1: the steps of initialisation, each status the previous plus one bit. */
static const uint32_t steps[] = {
    0,
    VIRTIO_STATUS_ACKNOWLEDGE,
    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER,
    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK,
    VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK,
};
#define STEP_DRIVER      2
#define STEP_FEATURES_OK 3
#define STEP_DRIVER_OK   4
#define NO_STEP          (-1)

/* Which step a status (FAILED and NEEDS_RESET aside) is, or NO_STEP if it is none. */
static int step_of(uint32_t status)
{
    status &= ~(uint32_t)(VIRTIO_STATUS_FAILED | VIRTIO_STATUS_NEEDS_RESET);
    for (int i = 0; i < (int)(sizeof(steps) / sizeof(steps[0])); i++) {
        if (steps[i] == status) {
            return i;
        }
    }
    return NO_STEP;
}

static bool failed(const struct virtio_mmio *t)
{
    return (t->status & VIRTIO_STATUS_FAILED) != 0;
}

static void raise_interrupt(struct virtio_mmio *t, uint32_t bits)
{
    t->interrupt_status |= bits;
    if (t->interrupt != NULL) {
        t->interrupt(t->interrupt_context);
    }
}

/* Section 2.4.1: status back to 0; section 4.2.2.1: InterruptStatus and every QueueReady
 * cleared. Feature negotiation starts over (section 3.1.1), so the driver's features and every
 * selector go too. ConfigGeneration is left alone: section 2.5.1 asks only that it change when
 * the configuration space may have changed, and a reset changes none of it. */
void virtio_mmio_reset(struct virtio_mmio *t)
{
    t->driver_features = 0;
    t->unoffered_features = false;
    t->device_features_sel = 0;
    t->driver_features_sel = 0;
    t->queue_sel = 0;
    t->status = 0;
    t->interrupt_status = 0;
    t->config_change_owed = false; /* the driver reads the space afresh after a reset */
    for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
        t->queues[q] = (struct virtio_queue_config){0};
    }
    if (t->ops.reset != NULL) {
        t->ops.reset(t->device);
    }
}

static bool power_of_two(uint64_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

bool virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_info *info, const struct virtio_device_ops *ops,
                      void *device, const struct guest_ram *ram)
{
    *t = (struct virtio_mmio){0};
    if (info->queue_count == 0 || info->queue_count > VIRTIO_MMIO_MAX_QUEUES || !power_of_two(info->queue_num_max) ||
        info->queue_num_max > 32768 || info->config_size > VIRTIO_MMIO_CONFIG_SIZE ||
        (info->config_size != 0 && info->config == NULL) || ops == NULL || ops->queue_notify == NULL || ram == NULL) {
        return false;
    }
    t->info = *info;
    t->info.features |= VIRTIO_F_VERSION_1;
    t->vendor_id = 0x53534554u; /* "TESS" */
    t->ram = ram;
    t->ops = *ops;
    t->device = device;
    virtio_mmio_reset(t); /* the device's reset callback sets up the rest of its state */
    return true;
}

void virtio_mmio_set_interrupt(struct virtio_mmio *t, void (*interrupt)(void *context), void *context)
{
    t->interrupt = interrupt;
    t->interrupt_context = context;
}

bool virtio_mmio_driver_ok(const struct virtio_mmio *t)
{
    return (t->status & VIRTIO_STATUS_DRIVER_OK) != 0 && !failed(t);
}

/* Section 2.2.2: the device accepts only features it offered; this transport speaks only the
 * modern interface, so VERSION_1 must be among them (section 6.1). */
static bool features_acceptable(const struct virtio_mmio *t)
{
    return (t->driver_features & ~t->info.features) == 0 && !t->unoffered_features &&
           (t->driver_features & VIRTIO_F_VERSION_1) != 0;
}

/* Section 3.1.1: one step forward per write, nothing cleared, FAILED at any time. */
static void write_status(struct virtio_mmio *t, uint32_t value)
{
    if (value == 0) {
        virtio_mmio_reset(t);
        return;
    }
    /* Section 2.1: NEEDS_RESET is the device's to set; the driver's copy of it means nothing. */
    uint32_t written = value & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET;
    uint32_t current = t->status & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET;
    int from = step_of(current);
    int to = step_of(written);
    bool keeps_bits = (written & current) == current;
    bool legal = (written & ~(uint32_t)DRIVER_BITS) == 0 && to != NO_STEP && keeps_bits && to <= from + 1;
    /* Section 2.1.1: after FAILED the driver must reset before anything else. */
    if (failed(t) && written != current) {
        legal = false;
    }
    if (!legal) {
        t->bad_status_writes++;
        return;
    }
    if (to == STEP_FEATURES_OK && from == STEP_DRIVER && !features_acceptable(t)) {
        /* Section 2.2.2: the device MUST fail to set FEATURES_OK; the driver finds it clear when
         * it reads Status back (section 3.1.1 step 6). */
        written &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
        t->refused_features++;
    }
    t->status = written | (t->status & VIRTIO_STATUS_NEEDS_RESET);
    if (from != STEP_DRIVER_OK && step_of(t->status) == STEP_DRIVER_OK && virtio_mmio_driver_ok(t)) {
        if (t->config_change_owed) {
            /* The space changed after the driver may have read it (virtio_mmio_config_changed). */
            t->config_change_owed = false;
            raise_interrupt(t, VIRTIO_INT_CONFIG_CHANGE);
        }
        if (t->ops.driver_ok != NULL) {
            t->ops.driver_ok(t->device);
        }
    }
}

/* Section 3.1.1 step 4: features are written after DRIVER and before FEATURES_OK. */
static void write_driver_features(struct virtio_mmio *t, uint32_t value)
{
    if (step_of(t->status) != STEP_DRIVER || failed(t)) {
        t->bad_accesses++;
        return;
    }
    if (t->driver_features_sel == 0) {
        t->driver_features = (t->driver_features & ~0xffffffffULL) | value;
    } else if (t->driver_features_sel == 1) {
        t->driver_features = (t->driver_features & 0xffffffffULL) | (uint64_t)value << 32;
    } else if (value != 0) {
        t->unoffered_features = true; /* no bit above 63 is offered */
    }
}

static struct virtio_queue_config *selected(struct virtio_mmio *t)
{
    return t->queue_sel < t->info.queue_count ? &t->queues[t->queue_sel] : NULL;
}

/* Section 2.7: the three parts of a split virtqueue, their alignment and size for `num`. */
static bool queue_fits(const struct virtio_mmio *t, const struct virtio_queue_config *q)
{
    void *p;
    uint64_t num = q->num;
    if (!power_of_two(num) || num > t->info.queue_num_max) {
        return false;
    }
    if ((q->desc & 15) != 0 || (q->driver & 1) != 0 || (q->device & 3) != 0) {
        return false;
    }
    return guest_ram_range(t->ram, q->desc, 16 * num, &p) && guest_ram_range(t->ram, q->driver, 6 + 2 * num, &p) &&
           guest_ram_range(t->ram, q->device, 6 + 8 * num, &p);
}

/* Section 4.2.2.2: queue registers may change only while the queue is not ready. */
static bool queue_writable(struct virtio_mmio *t, struct virtio_queue_config *q)
{
    if (q == NULL || q->ready) {
        t->bad_accesses++;
        return false;
    }
    return true;
}

/* Section 3.1.1 step 7: queues are set up once the features are agreed (the ring layout depends
 * on them), and not by a driver that gave up. */
static void write_queue_ready(struct virtio_mmio *t, struct virtio_queue_config *q, uint32_t value)
{
    if (q == NULL) {
        t->bad_accesses++;
    } else if (value == 0) {
        q->ready = false;
    } else if (step_of(t->status) >= STEP_FEATURES_OK && !failed(t) && queue_fits(t, q)) {
        q->ready = true;
    } else {
        t->bad_queue_setups++; /* too early, or bad size or addresses: the queue stays not ready */
    }
}

static void write_queue_address(struct virtio_mmio *t, struct virtio_queue_config *q, uint64_t offset, uint32_t value)
{
    if (!queue_writable(t, q)) {
        return;
    }
    uint64_t *field = offset < VIRTIO_MMIO_QUEUE_DRIVER_LOW   ? &q->desc
                      : offset < VIRTIO_MMIO_QUEUE_DEVICE_LOW ? &q->driver
                                                              : &q->device;
    if (offset & 4) {
        *field = (*field & 0xffffffffULL) | (uint64_t)value << 32;
    } else {
        *field = (*field & ~0xffffffffULL) | value;
    }
}

/* Section 2.9: a notification means something only to a running device, for a ready queue. */
static void write_queue_notify(struct virtio_mmio *t, uint32_t value)
{
    if (value >= t->info.queue_count || !t->queues[value].ready || !virtio_mmio_driver_ok(t)) {
        t->ignored_notifies++;
        return;
    }
    t->ops.queue_notify(t->device, value);
}

void virtio_mmio_used_buffer(struct virtio_mmio *t)
{
    /* Section 2.1.2: no used buffer notification before DRIVER_OK (nor after FAILED). */
    if (virtio_mmio_driver_ok(t)) {
        raise_interrupt(t, VIRTIO_INT_USED_BUFFER);
    }
}

void virtio_mmio_needs_reset(struct virtio_mmio *t)
{
    if (t->status & VIRTIO_STATUS_NEEDS_RESET) {
        return;
    }
    t->status |= VIRTIO_STATUS_NEEDS_RESET;
    /* Section 2.1.2: with DRIVER_OK set, the driver hears of it by a configuration change
     * notification. */
    if (t->status & VIRTIO_STATUS_DRIVER_OK) {
        raise_interrupt(t, VIRTIO_INT_CONFIG_CHANGE);
    }
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
    /* Section 2.5.1: a driver reading a field in pieces (a 64-bit one through 32-bit registers)
     * compares ConfigGeneration before and after, and reads again if it moved. */
    t->config_generation++;
    if (virtio_mmio_driver_ok(t)) {
        raise_interrupt(t, VIRTIO_INT_CONFIG_CHANGE);
    } else if (t->status != 0 && !failed(t)) {
        /* The driver is still reading the space: it hears of the change once it is ready, at
         * DRIVER_OK, as it hears of used buffers (section 2.1.2). */
        t->config_change_owed = true;
    }
}

bool virtio_mmio_irq_level(const struct virtio_mmio *t)
{
    return t->interrupt_status != 0;
}

/* Section 4.2.2.2: the configuration space is accessed with the width of its fields, aligned
 * (1, 2 or 4 bytes; wider fields as 4-byte pieces). Little-endian (section 2.5). */
static bool config_access_ok(const struct virtio_mmio *t, uint64_t offset, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && (offset & (size - 1)) == 0 && offset < t->info.config_size &&
           size <= t->info.config_size - offset;
}

static uint32_t read_config(struct virtio_mmio *t, uint64_t offset, unsigned size)
{
    if (!config_access_ok(t, offset, size)) {
        t->bad_accesses++;
        return 0;
    }
    const uint8_t *bytes = (const uint8_t *)t->info.config + offset;
    uint32_t value = 0;
    for (unsigned i = 0; i < size; i++) {
        value |= (uint32_t)bytes[i] << (8 * i);
    }
    return value;
}

static void write_config(struct virtio_mmio *t, uint64_t offset, unsigned size, uint32_t value)
{
    if (!config_access_ok(t, offset, size) || t->ops.config_write == NULL) {
        t->bad_accesses++;
        return;
    }
    t->ops.config_write(t->device, (uint32_t)offset, size, value);
}

/* Section 4.2.2.2: control registers only as aligned 32-bit accesses, inside the window. */
static bool register_access_ok(uint64_t offset, unsigned size)
{
    return offset < VIRTIO_MMIO_SIZE && size <= VIRTIO_MMIO_SIZE - offset;
}

uint32_t virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, unsigned size)
{
    if (!register_access_ok(offset, size)) {
        t->bad_accesses++;
        return 0;
    }
    if (offset >= VIRTIO_MMIO_CONFIG) {
        return read_config(t, offset - VIRTIO_MMIO_CONFIG, size);
    }
    if (size != 4 || (offset & 3) != 0) {
        t->bad_accesses++;
        return 0;
    }
    struct virtio_queue_config *q = selected(t);
    switch (offset) {
    case VIRTIO_MMIO_MAGIC_VALUE:
        return MAGIC;
    case VIRTIO_MMIO_VERSION:
        return 2;
    case VIRTIO_MMIO_DEVICE_ID:
        return t->info.device_id;
    case VIRTIO_MMIO_VENDOR_ID:
        return t->vendor_id;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return t->device_features_sel == 0   ? (uint32_t)t->info.features
               : t->device_features_sel == 1 ? (uint32_t)(t->info.features >> 32)
                                             : 0;
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return q != NULL ? t->info.queue_num_max : 0; /* 0: no such queue */
    case VIRTIO_MMIO_QUEUE_READY:
        return q != NULL && q->ready;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        return t->interrupt_status;
    case VIRTIO_MMIO_STATUS:
        return t->status;
    case VIRTIO_MMIO_CONFIG_GENERATION:
        return t->config_generation;
    default:
        t->bad_accesses++; /* write-only or reserved */
        return 0;
    }
}

void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, unsigned size, uint32_t value)
{
    if (!register_access_ok(offset, size)) {
        t->bad_accesses++;
        return;
    }
    if (offset >= VIRTIO_MMIO_CONFIG) {
        write_config(t, offset - VIRTIO_MMIO_CONFIG, size, value);
        return;
    }
    if (size != 4 || (offset & 3) != 0) {
        t->bad_accesses++;
        return;
    }
    struct virtio_queue_config *q = selected(t);
    switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        t->device_features_sel = value;
        return;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        write_driver_features(t, value);
        return;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        t->driver_features_sel = value;
        return;
    case VIRTIO_MMIO_QUEUE_SEL:
        t->queue_sel = value;
        return;
    case VIRTIO_MMIO_QUEUE_NUM:
        if (queue_writable(t, q)) {
            q->num = value;
        }
        return;
    case VIRTIO_MMIO_QUEUE_READY:
        write_queue_ready(t, q, value);
        return;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        write_queue_notify(t, value);
        return;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        t->interrupt_status &= ~value;
        return;
    case VIRTIO_MMIO_STATUS:
        write_status(t, value);
        return;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        write_queue_address(t, q, offset, value);
        return;
    default:
        t->bad_accesses++; /* read-only or reserved */
        return;
    }
}
