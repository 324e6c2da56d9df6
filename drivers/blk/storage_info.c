/* The storage-info region: publication ordered by `ready`, and the client's check of a copy. */
#include "storage_info.h"
#include "queue.h"

void blk_storage_publish(struct blk_storage_info *shared, const struct blk_storage_info *info)
{
    volatile struct blk_storage_info *s = shared;
    for (unsigned i = 0; i < BLK_SERIAL_LENGTH; i++) {
        s->serial[i] = info->serial[i];
    }
    s->sector_size = info->sector_size;
    s->read_only = info->read_only;
    s->capacity = info->capacity;
    s->queue_depth = info->queue_depth;
    __atomic_store_n(&shared->ready, BLK_STORAGE_READY, __ATOMIC_RELEASE);
}

void blk_storage_set_absent(struct blk_storage_info *shared)
{
    __atomic_store_n(&shared->ready, BLK_STORAGE_ABSENT, __ATOMIC_RELEASE);
}

uint32_t blk_storage_state(const struct blk_storage_info *shared)
{
    uint32_t state = __atomic_load_n(&shared->ready, __ATOMIC_ACQUIRE);
    return state <= BLK_STORAGE_READY ? state : BLK_STORAGE_ABSENT;
}

const char *blk_storage_read(const struct blk_storage_info *shared, struct blk_storage_info *copy)
{
    if (!blk_storage_is_ready(shared)) {
        return "the disk side is not ready";
    }
    const volatile struct blk_storage_info *s = shared;
    for (unsigned i = 0; i < BLK_SERIAL_LENGTH; i++) {
        copy->serial[i] = s->serial[i];
    }
    copy->sector_size = s->sector_size;
    copy->read_only = s->read_only;
    copy->capacity = s->capacity;
    copy->queue_depth = s->queue_depth;
    copy->ready = BLK_STORAGE_READY;
    uint32_t size = copy->sector_size;
    if (size < 512 || size > BLK_TRANSFER_SIZE || (size & (size - 1)) != 0) {
        return "its sector size is not 512, 1024, 2048 or 4096 bytes";
    }
    if (copy->capacity == 0) {
        return "it reports a disk of no blocks";
    }
    /* Sectors must be countable in 64 bits (virtio's capacity is in 512-byte sectors). */
    if (copy->capacity > UINT64_MAX / (BLK_TRANSFER_SIZE / 512)) {
        return "its capacity does not fit in 64-bit sector numbers";
    }
    if (copy->queue_depth == 0) {
        return "it takes no requests (queue depth 0)";
    }
    copy->read_only = copy->read_only != 0;
    return 0;
}
