#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "fake_virtio_driver.h"

static uint8_t ram_bytes[FAKE_RAM_SIZE] __attribute__((aligned(4096)));
const struct guest_ram fake_ram = {FAKE_RAM_BASE, FAKE_RAM_SIZE, (uintptr_t)ram_bytes};

void *fake_gpa(uint64_t gpa)
{
    assert_true(gpa >= FAKE_RAM_BASE && gpa - FAKE_RAM_BASE < FAKE_RAM_SIZE);
    return &ram_bytes[gpa - FAKE_RAM_BASE];
}

void fake_driver_init(struct fake_driver *d, struct virtio_mmio *transport)
{
    memset(ram_bytes, 0, sizeof(ram_bytes));
    d->transport = transport;
    for (unsigned q = 0; q < FAKE_MAX_QUEUES; q++) {
        uint64_t page = FAKE_RAM_BASE + 0x1000 * (q + 1);
        d->queues[q] = (struct fake_queue){page, page + 0x800, page + 0xc00, 0, 0, 0};
    }
}

uint32_t fake_read(struct fake_driver *d, uint64_t offset)
{
    assert_non_null(d->transport);
    return virtio_mmio_read(d->transport, offset, 4);
}

void fake_write(struct fake_driver *d, uint64_t offset, uint32_t value)
{
    assert_non_null(d->transport);
    virtio_mmio_write(d->transport, offset, 4, value);
}

void fake_add_status(struct fake_driver *d, uint32_t bits)
{
    fake_write(d, VIRTIO_MMIO_STATUS, fake_read(d, VIRTIO_MMIO_STATUS) | bits);
}

bool fake_negotiate(struct fake_driver *d, uint64_t features)
{
    /* Section 4.2.3.1: the identification a driver checks before anything else. */
    assert_int_equal(fake_read(d, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    assert_int_equal(fake_read(d, VIRTIO_MMIO_VERSION), 2);
    fake_write(d, VIRTIO_MMIO_STATUS, 0);
    assert_int_equal(fake_read(d, VIRTIO_MMIO_STATUS), 0);
    fake_add_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
    fake_add_status(d, VIRTIO_STATUS_DRIVER);
    fake_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    assert_true(fake_read(d, VIRTIO_MMIO_DEVICE_FEATURES) & 1); /* VERSION_1, bit 32 */
    fake_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    fake_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    fake_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    fake_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    fake_add_status(d, VIRTIO_STATUS_FEATURES_OK);
    return (fake_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) != 0;
}

struct virtio_queue_config fake_queue_config(struct fake_driver *d, unsigned q, uint16_t num)
{
    assert_true(q < FAKE_MAX_QUEUES && num <= FAKE_MAX_NUM);
    struct fake_queue *fq = &d->queues[q];
    fq->num = num;
    fq->next_avail = 0;
    fq->used_seen = 0;
    memset(fake_gpa(fq->desc), 0, 16 * FAKE_MAX_NUM);
    memset(fake_gpa(fq->avail), 0, 6 + 2 * FAKE_MAX_NUM);
    memset(fake_gpa(fq->used), 0, 6 + 8 * FAKE_MAX_NUM);
    return (struct virtio_queue_config){num, true, fq->desc, fq->avail, fq->used};
}

bool fake_queue_setup(struct fake_driver *d, unsigned q, uint16_t num)
{
    struct virtio_queue_config c = fake_queue_config(d, q, num);
    fake_write(d, VIRTIO_MMIO_QUEUE_SEL, q);
    assert_int_equal(fake_read(d, VIRTIO_MMIO_QUEUE_READY), 0);
    assert_true(fake_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX) >= num);
    fake_write(d, VIRTIO_MMIO_QUEUE_NUM, num);
    fake_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)c.desc);
    fake_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(c.desc >> 32));
    fake_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)c.driver);
    fake_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(c.driver >> 32));
    fake_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)c.device);
    fake_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(c.device >> 32));
    fake_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
    return fake_read(d, VIRTIO_MMIO_QUEUE_READY) == 1;
}

void fake_driver_ok(struct fake_driver *d)
{
    fake_add_status(d, VIRTIO_STATUS_DRIVER_OK);
}

void fake_start(struct fake_driver *d, uint64_t features, unsigned queue_count)
{
    assert_true(fake_negotiate(d, VIRTIO_F_VERSION_1 | features));
    for (unsigned q = 0; q < queue_count; q++) {
        assert_true(fake_queue_setup(d, q, FAKE_NUM));
    }
    fake_driver_ok(d);
    assert_int_equal(fake_read(d, VIRTIO_MMIO_STATUS) & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET,
                     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                         VIRTIO_STATUS_DRIVER_OK);
}

void fake_kick(struct fake_driver *d, unsigned q)
{
    fake_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

void fake_set_desc(struct fake_driver *d, unsigned q, unsigned index, uint64_t address, uint32_t length, uint16_t flags,
                   uint16_t next)
{
    assert_true(index < FAKE_MAX_NUM);
    struct virtq_desc *desc = (struct virtq_desc *)fake_gpa(d->queues[q].desc) + index;
    *desc = (struct virtq_desc){address, length, flags, next};
}

void fake_table_desc(uint64_t table, unsigned index, uint64_t address, uint32_t length, uint16_t flags, uint16_t next)
{
    struct virtq_desc desc = {address, length, flags, next};
    memcpy(fake_gpa(table + 16ULL * index), &desc, sizeof(desc));
    (void)fake_gpa(table + 16ULL * index + 15); /* the whole entry inside the fake RAM */
}

void fake_text_buffer(struct fake_driver *d, unsigned q, unsigned index, uint64_t address, const char *text,
                      uint16_t flags, uint16_t next)
{
    size_t length = strlen(text);
    memcpy(fake_gpa(address), text, length);
    fake_set_desc(d, q, index, address, (uint32_t)length, flags, next);
}

struct virtq_avail *fake_avail(struct fake_driver *d, unsigned q)
{
    return fake_gpa(d->queues[q].avail);
}

struct virtq_used *fake_used(struct fake_driver *d, unsigned q)
{
    return fake_gpa(d->queues[q].used);
}

void fake_offer(struct fake_driver *d, unsigned q, uint16_t head)
{
    struct fake_queue *fq = &d->queues[q];
    assert_true(fq->num != 0);
    fake_avail(d, q)->ring[fq->next_avail % fq->num] = head;
    fq->next_avail++;
    __atomic_store_n(&fake_avail(d, q)->idx, fq->next_avail, __ATOMIC_RELEASE);
}

void fake_expect_used(struct fake_driver *d, unsigned q, uint32_t id, uint32_t length)
{
    struct fake_queue *fq = &d->queues[q];
    assert_int_not_equal(__atomic_load_n(&fake_used(d, q)->idx, __ATOMIC_ACQUIRE), fq->used_seen);
    struct virtq_used_elem e = fake_used(d, q)->ring[fq->used_seen % fq->num];
    assert_int_equal(e.id, id);
    assert_int_equal(e.len, length);
    fq->used_seen++;
}

void fake_expect_no_more_used(struct fake_driver *d, unsigned q)
{
    assert_int_equal(fake_used(d, q)->idx, d->queues[q].used_seen);
}
