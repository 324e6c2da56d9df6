/*
 * The virtio-mmio transport, version 2 ("modern", OASIS virtio 1.2 section 4.2.2), and the device
 * lifecycle every virtio device shares (sections 2.1, 2.4, 3.1). A device behind it implements
 * only its queues, its configuration space and a few callbacks (struct virtio_device_ops); the
 * transport owns the registers, feature negotiation, the status sequence, reset, NEEDS_RESET and
 * the interrupt line.
 *
 * Every value the guest writes is checked before it is used: queue sizes, queue addresses
 * (against guest RAM), feature negotiation (VERSION_1 required, nothing not offered), access
 * widths and offsets. Bad writes are ignored and counted, never obeyed.
 *
 * Status writes follow section 3.1.1: ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK, one step per
 * write, each write keeping the bits already set; FAILED may be added at any time. Any other
 * non-zero write (a skipped step, a cleared bit, a reserved bit, a change after FAILED) is
 * refused: Status keeps its value, which the driver sees when it reads it back, and the write is
 * counted in bad_status_writes. Refusing, rather than setting NEEDS_RESET, keeps the device in a
 * state the driver can recover from by the reset it must do anyway (section 2.1.1). Writing 0
 * resets the device. NEEDS_RESET belongs to the device: what the driver writes in that bit is
 * ignored, and only a reset clears it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vmm/guest_ram.h>

/* Register offsets, virtio 1.2 table 4.1 */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100

#define VIRTIO_MMIO_SIZE        0x200
#define VIRTIO_MMIO_CONFIG_SIZE (VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG)
#define VIRTIO_MMIO_MAX_QUEUES  8
#define VIRTIO_F_VERSION_1      (1ULL << 32)

/* Status bits (virtio 1.2 section 2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED      128

/* InterruptStatus bits */
#define VIRTIO_INT_USED_BUFFER   1
#define VIRTIO_INT_CONFIG_CHANGE 2

struct virtio_queue_config {
    uint32_t num;
    bool ready;
    uint64_t desc;   /* descriptor table */
    uint64_t driver; /* available ring */
    uint64_t device; /* used ring */
};

/* What a device is, as the transport presents it to the driver. */
struct virtio_device_info {
    uint32_t device_id;     /* section 5 */
    uint64_t features;      /* device-specific and reserved feature bits; VERSION_1 is added */
    unsigned queue_count;   /* 1..VIRTIO_MMIO_MAX_QUEUES */
    uint32_t queue_num_max; /* a power of two, at most 32768 (section 2.7) */
    /* The device configuration space (little-endian, section 2.5), read by the driver straight
     * from this memory; the device may change it between accesses. */
    const void *config;
    uint32_t config_size; /* at most VIRTIO_MMIO_CONFIG_SIZE */
};

/* What the device does; `device` is the pointer given to virtio_mmio_init. NULL: nothing to do,
 * except queue_notify, which every device has. */
struct virtio_device_ops {
    /* The driver notified queue `queue` (section 2.9): called only while virtio_mmio_driver_ok,
     * for a queue that is ready. */
    void (*queue_notify)(void *device, unsigned queue);
    /* The driver set DRIVER_OK: buffers it posted before may be used now (section 3.1.1 step 8). */
    void (*driver_ok)(void *device);
    /* Device reset (section 2.4): the transport has forgotten the queues and the features. */
    void (*reset)(void *device);
    /* A checked write into the configuration space (offset + size <= config_size, aligned).
     * NULL: the configuration space is read-only, and writes are counted as bad accesses. */
    void (*config_write)(void *device, uint32_t offset, unsigned size, uint32_t value);
};

struct virtio_mmio {
    struct virtio_device_info info; /* device_features include VERSION_1 */
    uint32_t vendor_id;
    const struct guest_ram *ram;
    struct virtio_device_ops ops;
    void *device;
    /* Raises the interrupt line (vmm_register_virtio connects it to the guest's vIRQ). */
    void (*interrupt)(void *context);
    void *interrupt_context;
    /* state written by the driver */
    uint64_t driver_features;
    bool unoffered_features; /* a feature bit above 63 was written: never offered */
    uint32_t device_features_sel;
    uint32_t driver_features_sel;
    uint32_t queue_sel;
    uint32_t status;
    uint32_t interrupt_status;
    uint32_t config_generation;
    bool config_change_owed; /* the space changed while the driver was initialising */
    struct virtio_queue_config queues[VIRTIO_MMIO_MAX_QUEUES];
    /* what the guest got wrong, for the VMM to report */
    unsigned bad_accesses;
    unsigned bad_queue_setups;
    unsigned bad_status_writes;
    unsigned refused_features; /* FEATURES_OK writes refused */
    unsigned ignored_notifies;
};

/* False if the description is out of range (queue count or size, configuration space too large,
 * no queue_notify): the transport must not be used then. */
bool virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_info *info, const struct virtio_device_ops *ops,
                      void *device, const struct guest_ram *ram);
/* Who hears the interrupt line go up (sampled through virtio_mmio_irq_level). */
void virtio_mmio_set_interrupt(struct virtio_mmio *t, void (*interrupt)(void *context), void *context);
/* Guest accesses to the VIRTIO_MMIO_SIZE-byte window; offset is relative to the window. */
uint32_t virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, unsigned size);
void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, unsigned size, uint32_t value);
/* Reset as if the driver wrote 0 to Status (the VMM does it when the guest restarts). */
void virtio_mmio_reset(struct virtio_mmio *t);
/* True once the driver set DRIVER_OK, until it sets FAILED or resets: the only time the device
 * may use buffers or interrupt (section 2.1.2). */
bool virtio_mmio_driver_ok(const struct virtio_mmio *t);
/* The device put buffers on a used ring: raise the used-buffer interrupt (nothing before
 * DRIVER_OK). */
void virtio_mmio_used_buffer(struct virtio_mmio *t);
/* The device cannot go on (a broken queue): set NEEDS_RESET and, if DRIVER_OK is set, send a
 * configuration change notification (section 2.1.2). Once per reset. */
void virtio_mmio_needs_reset(struct virtio_mmio *t);
/* The device changed its configuration space: ConfigGeneration changes (section 2.5), and the
 * driver hears of it by a configuration change notification (section 2.3): now if DRIVER_OK is
 * set, else when the driver sets it, if it had started initialising (it may have read the space
 * before the change). A driver that has not started reads the space afresh anyway. */
void virtio_mmio_config_changed(struct virtio_mmio *t);
/* The interrupt line: asserted while InterruptStatus is not 0. */
bool virtio_mmio_irq_level(const struct virtio_mmio *t);
