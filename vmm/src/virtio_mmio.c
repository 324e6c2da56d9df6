#include <vmm/virtio_mmio.h>

#define MAGIC 0x74726976u /* "virt" */

static void reset(struct virtio_mmio *t)
{
    t->driver_features = 0;
    t->device_features_sel = 0;
    t->driver_features_sel = 0;
    t->queue_sel = 0;
    t->status = 0;
    t->interrupt_status = 0;
    for (unsigned q = 0; q < VIRTIO_MMIO_MAX_QUEUES; q++) {
        t->queues[q] = (struct virtio_queue_config){0};
    }
    if (t->hooks.reset != 0) {
        t->hooks.reset(t->device);
    }
}

void virtio_mmio_init(struct virtio_mmio *t, uint32_t device_id, uint64_t device_features, unsigned queue_count,
                      uint32_t queue_num_max, const struct guest_ram *ram, const struct virtio_device_hooks *hooks,
                      void *device)
{
    t->device_id = device_id;
    t->vendor_id = 0x53534554u; /* "TESS" */
    t->device_features = device_features | VIRTIO_F_VERSION_1;
    t->queue_count = queue_count > VIRTIO_MMIO_MAX_QUEUES ? VIRTIO_MMIO_MAX_QUEUES : queue_count;
    t->queue_num_max = queue_num_max;
    t->ram = ram;
    t->hooks = *hooks;
    t->device = device;
    t->config_generation = 0;
    t->bad_accesses = t->bad_queue_setups = t->ignored_notifies = 0;
    reset(t);
}

static struct virtio_queue_config *selected(struct virtio_mmio *t)
{
    return t->queue_sel < t->queue_count ? &t->queues[t->queue_sel] : 0;
}

/* Section 2.7: the three parts of a split virtqueue, their alignment and size for `num`. */
static bool queue_fits(const struct virtio_mmio *t, const struct virtio_queue_config *q)
{
    void *p;
    uint64_t num = q->num;
    if (num == 0 || num > t->queue_num_max || (num & (num - 1)) != 0) {
        return false;
    }
    if ((q->desc & 15) != 0 || (q->driver & 1) != 0 || (q->device & 3) != 0) {
        return false;
    }
    return guest_ram_range(t->ram, q->desc, 16 * num, &p) && guest_ram_range(t->ram, q->driver, 6 + 2 * num, &p) &&
           guest_ram_range(t->ram, q->device, 6 + 8 * num, &p);
}

uint32_t virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, unsigned size)
{
    if (offset >= VIRTIO_MMIO_CONFIG) {
        return t->hooks.config_read != 0
                   ? t->hooks.config_read(t->device, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), size)
                   : 0;
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
        return t->device_id;
    case VIRTIO_MMIO_VENDOR_ID:
        return t->vendor_id;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return t->device_features_sel == 0   ? (uint32_t)t->device_features
               : t->device_features_sel == 1 ? (uint32_t)(t->device_features >> 32)
                                             : 0;
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return q != 0 ? t->queue_num_max : 0; /* 0: no such queue */
    case VIRTIO_MMIO_QUEUE_READY:
        return q != 0 && q->ready;
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

static void set_status(struct virtio_mmio *t, uint32_t value)
{
    if (value == 0) {
        reset(t);
        return;
    }
    if ((value & VIRTIO_STATUS_FEATURES_OK) && !(t->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* Section 3.1.1: the device accepts the features only if it offers all of them, and
         * this transport only speaks the modern interface (VERSION_1). */
        bool subset = (t->driver_features & ~t->device_features) == 0;
        if (!subset || !(t->driver_features & VIRTIO_F_VERSION_1)) {
            value &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
        }
    }
    t->status = value;
}

/* Queue registers may change only while the queue is not ready (section 4.2.2). */
static bool queue_writable(struct virtio_mmio *t, struct virtio_queue_config *q)
{
    if (q == 0 || q->ready) {
        t->bad_accesses++;
        return false;
    }
    return true;
}

void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, unsigned size, uint32_t value)
{
    if (offset >= VIRTIO_MMIO_CONFIG) {
        if (t->hooks.config_write != 0) {
            t->hooks.config_write(t->device, (uint32_t)(offset - VIRTIO_MMIO_CONFIG), size, value);
        }
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
        if (t->status & VIRTIO_STATUS_FEATURES_OK) {
            t->bad_accesses++; /* negotiation is over */
        } else if (t->driver_features_sel == 0) {
            t->driver_features = (t->driver_features & ~0xffffffffULL) | value;
        } else if (t->driver_features_sel == 1) {
            t->driver_features = (t->driver_features & 0xffffffffULL) | (uint64_t)value << 32;
        }
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
        if (q == 0) {
            t->bad_accesses++;
        } else if (value == 0) {
            q->ready = false;
        } else if (queue_fits(t, q)) {
            q->ready = true;
        } else {
            t->bad_queue_setups++; /* bad size or addresses: the queue stays not ready */
        }
        return;
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        if (value >= t->queue_count || !t->queues[value].ready || !(t->status & VIRTIO_STATUS_DRIVER_OK)) {
            t->ignored_notifies++;
        } else if (t->hooks.queue_notify != 0) {
            t->hooks.queue_notify(t->device, value);
        }
        return;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        t->interrupt_status &= ~value;
        return;
    case VIRTIO_MMIO_STATUS:
        set_status(t, value);
        return;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH: {
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
        return;
    }
    default:
        t->bad_accesses++; /* read-only or reserved */
        return;
    }
}

void virtio_mmio_used_buffer(struct virtio_mmio *t)
{
    t->interrupt_status |= VIRTIO_INT_USED_BUFFER;
}

bool virtio_mmio_irq_level(const struct virtio_mmio *t)
{
    return t->interrupt_status != 0;
}
