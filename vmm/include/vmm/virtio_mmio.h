/*
 * The virtio-mmio transport, version 2 ("modern", OASIS virtio 1.2 section 4.2.2), independent of
 * the device behind it. Every value the guest writes is checked before it is used: queue sizes,
 * queue addresses (against guest RAM), feature negotiation (VERSION_1 required), notifications
 * before the driver is ready. Bad writes are ignored and counted, never obeyed.
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

#define VIRTIO_MMIO_SIZE       0x200
#define VIRTIO_MMIO_MAX_QUEUES 8
#define VIRTIO_F_VERSION_1     (1ULL << 32)

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

/* What the device behind the transport provides. */
struct virtio_device_hooks {
    uint32_t (*config_read)(void *device, uint32_t offset, unsigned size);
    void (*config_write)(void *device, uint32_t offset, unsigned size, uint32_t value);
    void (*queue_notify)(void *device, unsigned queue);
    void (*reset)(void *device);
};

struct virtio_mmio {
    uint32_t device_id;
    uint32_t vendor_id;
    uint64_t device_features;
    unsigned queue_count;
    uint32_t queue_num_max;
    const struct guest_ram *ram;
    struct virtio_device_hooks hooks;
    void *device;
    /* state written by the driver */
    uint64_t driver_features;
    uint32_t device_features_sel;
    uint32_t driver_features_sel;
    uint32_t queue_sel;
    uint32_t status;
    uint32_t interrupt_status;
    uint32_t config_generation;
    struct virtio_queue_config queues[VIRTIO_MMIO_MAX_QUEUES];
    /* what the guest got wrong, for the VMM to report */
    unsigned bad_accesses;
    unsigned bad_queue_setups;
    unsigned ignored_notifies;
};

void virtio_mmio_init(struct virtio_mmio *t, uint32_t device_id, uint64_t device_features, unsigned queue_count,
                      uint32_t queue_num_max, const struct guest_ram *ram, const struct virtio_device_hooks *hooks,
                      void *device);
uint32_t virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, unsigned size);
void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, unsigned size, uint32_t value);
/* The device put buffers on a used ring: raise the (level) interrupt. */
void virtio_mmio_used_buffer(struct virtio_mmio *t);
/* The interrupt line: asserted while InterruptStatus is not 0. */
bool virtio_mmio_irq_level(const struct virtio_mmio *t);
