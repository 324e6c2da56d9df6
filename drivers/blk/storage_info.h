/*
 * The storage-info region of a block device (sDDF's): what the server tells its clients about
 * the device, and `ready`, which the server writes last (release) once the rest is valid and it
 * takes requests. A client reads `ready` first (acquire), then copies the rest once and checks
 * the copy: a peer cannot change what the client acts on after the check.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define BLK_SERIAL_LENGTH 20 /* virtio 1.2 section 5.2.6: GET_ID answers 20 bytes */

struct blk_storage_info {
    char serial[BLK_SERIAL_LENGTH]; /* not necessarily NUL-terminated, as virtio's */
    uint32_t sector_size;           /* bytes: 512, 1024, 2048 or 4096 */
    uint32_t read_only;
    uint64_t capacity; /* in BLK_TRANSFER_SIZE units */
    uint32_t queue_depth;
    uint32_t ready; /* written last: BLK_STORAGE_* */
};

/* `ready`: our addition to sDDF's flag is ABSENT, a definite "there is no disk for you" (with the
 * reason printed by whoever decided it), so that a client need not wait for one forever. */
#define BLK_STORAGE_PENDING 0u
#define BLK_STORAGE_READY   1u
#define BLK_STORAGE_ABSENT  2u

/* Server: publish the information, then `ready`. */
void blk_storage_publish(struct blk_storage_info *shared, const struct blk_storage_info *info);
/* Server: there is no device for this client (a refused partition, an unreadable disk). */
void blk_storage_set_absent(struct blk_storage_info *shared);
/* Client: BLK_STORAGE_PENDING, READY or ABSENT (anything else reads as ABSENT). */
uint32_t blk_storage_state(const struct blk_storage_info *shared);
static inline bool blk_storage_is_ready(const struct blk_storage_info *shared)
{
    return blk_storage_state(shared) == BLK_STORAGE_READY;
}
/* Client, once ready: copy the information out and check it. NULL if it is usable, else a
 * plain sentence of what is wrong. */
const char *blk_storage_read(const struct blk_storage_info *shared, struct blk_storage_info *copy);
