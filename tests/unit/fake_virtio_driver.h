/*
 * A fake guest driver for host tests of virtio devices: a fake guest RAM, split virtqueue rings
 * in it built by hand (descriptor chains, available ring, used ring read back), and the
 * virtio-mmio registers driven through the lifecycle of virtio 1.2 section 3.1.1 the way Linux
 * drives them. Checks are cmocka assertions, so a misbehaving device fails the calling test.
 *
 * Layout of the fake RAM: queue q's rings in page q + 1 (descriptors at +0, available ring at
 * +0x800, used ring at +0xc00, room for FAKE_MAX_NUM entries), guest buffers from FAKE_BUFFERS.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vmm/guest_ram.h>
#include <vmm/virtio_mmio.h>
#include <vmm/virtqueue.h>

#define FAKE_RAM_BASE   0x40000000ULL
#define FAKE_RAM_SIZE   0x40000
#define FAKE_BUFFERS    (FAKE_RAM_BASE + 0x8000)
#define FAKE_MAX_QUEUES 4
#define FAKE_MAX_NUM    64
#define FAKE_NUM        16 /* the queue size fake_start picks */

extern const struct guest_ram fake_ram;

/* The driver's view of one queue. */
struct fake_queue {
    uint64_t desc;
    uint64_t avail;
    uint64_t used;
    uint16_t num;
    uint16_t next_avail; /* the driver's copy of avail->idx */
    uint16_t used_seen;  /* used elements already checked */
};

struct fake_driver {
    struct virtio_mmio *transport; /* NULL: rings only, for a virtqueue on its own */
    struct fake_queue queues[FAKE_MAX_QUEUES];
};

/* Where guest-physical `gpa` is in the fake RAM (asserted to be inside it). */
void *fake_gpa(uint64_t gpa);
/* Clears the fake RAM and lays out the rings of every queue. */
void fake_driver_init(struct fake_driver *d, struct virtio_mmio *transport);

/* ---- registers ---- */
uint32_t fake_read(struct fake_driver *d, uint64_t offset);
void fake_write(struct fake_driver *d, uint64_t offset, uint32_t value);
/* Status |= bits, read-modify-write as Linux's virtio_add_status does. */
void fake_add_status(struct fake_driver *d, uint32_t bits);
/* Section 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK. True if the device
 * kept FEATURES_OK set. */
bool fake_negotiate(struct fake_driver *d, uint64_t features);
/* Section 4.2.3.2: fresh zeroed rings of `num` entries for queue q, programmed and enabled. True
 * if the device reads QueueReady back as 1. */
bool fake_queue_setup(struct fake_driver *d, unsigned q, uint16_t num);
void fake_driver_ok(struct fake_driver *d);
/* The whole start: VERSION_1 and `features`, queues 0..queue_count-1 of FAKE_NUM, DRIVER_OK;
 * every step asserted. */
void fake_start(struct fake_driver *d, uint64_t features, unsigned queue_count);
void fake_kick(struct fake_driver *d, unsigned q);

/* ---- rings ---- */
/* Queue q's configuration as a transport would hand it to a virtqueue (rings zeroed). */
struct virtio_queue_config fake_queue_config(struct fake_driver *d, unsigned q, uint16_t num);
void fake_set_desc(struct fake_driver *d, unsigned q, unsigned index, uint64_t address, uint32_t length, uint16_t flags,
                   uint16_t next);
/* Entry `index` of an indirect descriptor table at guest-physical `table` (section 2.7.5.3): any
 * address in the fake RAM, aligned or not, as a table may be. */
void fake_table_desc(uint64_t table, unsigned index, uint64_t address, uint32_t length, uint16_t flags, uint16_t next);
/* Descriptor `index` as a device-readable buffer at `address` holding `text` (no terminator). */
void fake_text_buffer(struct fake_driver *d, unsigned q, unsigned index, uint64_t address, const char *text,
                      uint16_t flags, uint16_t next);
/* Section 2.7.13: the ring entry, then avail->idx. */
void fake_offer(struct fake_driver *d, unsigned q, uint16_t head);
struct virtq_avail *fake_avail(struct fake_driver *d, unsigned q);
struct virtq_used *fake_used(struct fake_driver *d, unsigned q);
/* The next used element is (id, length). */
void fake_expect_used(struct fake_driver *d, unsigned q, uint32_t id, uint32_t length);
void fake_expect_no_more_used(struct fake_driver *d, unsigned q);
