/*
 * The virtio block device (OASIS virtio 1.2 section 5.2) over the virtio-mmio transport: device
 * ID 2, one request queue, a client of the block virtualiser (drivers/blk: its request and
 * response queues, its storage-info region and a data region shared with it).
 *
 * Features offered (section 5.2.3), and why:
 * - FLUSH: writes are durable only once a FLUSH is answered (the driver VM fsyncs), so the guest
 *   must know to send one (section 5.2.5.2: a device SHOULD offer it).
 * - BLK_SIZE: the disk's logical sector size (512 until the disk is known). Not 4096: a
 *   filesystem made on the disk with 512-byte sectors (FAT, as ours) does not mount on a device
 *   whose logical blocks are larger than its sectors; and any size works here, since requests
 *   that do not cover whole 4 KiB units are made exact by read-modify-write.
 * - TOPOLOGY: the physical block is the 4 KiB transfer unit, so that a guest aligns to it where
 *   it can, sparing the read-modify-write.
 * - SEG_MAX and SIZE_MAX: chosen from the data region's size, so that no request a driver may
 *   send within them is larger than the data region (every request can be served, later if the
 *   region is busy, but never refused for its size).
 * - VIRTIO_F_INDIRECT_DESC: a request takes one ring entry, so Linux keeps a queue as deep as the
 *   ring (VIRTIO_BLK_QUEUE_SIZE), not half of it.
 * Not offered: RO (writes to a read-only disk are answered IOERR; whether the disk is read-only
 * is known only once the disk side is ready, after the features were agreed), DISCARD,
 * WRITE_ZEROES, CONFIG_WCE, MQ, and the rest.
 *
 * Requests (section 5.2.6): the header (type, sector) is copied out of guest RAM once, and only
 * the copy is used; the buffers are taken as two byte streams whatever their framing (section
 * 2.6.4): the readable one starts with the 16-byte header, the writable one ends with the status
 * byte. Every request gets its status and goes back on the used ring, except a chain with no
 * writable byte to put a status in, which is returned with length 0 (a malformed chain, as the
 * virtqueue returns chains it refuses). IN, OUT and FLUSH go to the virtualiser; GET_ID answers
 * the disk's serial; any other type is answered UNSUPP; a request that is wrong (short header,
 * buffers that do not fit its type, a length not a multiple of 512, sectors past the capacity)
 * or that no disk can serve is answered IOERR.
 *
 * Data path: the VMM copies once, between guest RAM and the data region (OUT when the request is
 * taken, IN when it is answered); the virtualiser and the driver VM's server use the region in
 * place. A request's room in the region covers every 4 KiB unit it touches. A write that covers
 * a unit only in part first reads that unit into a spare unit of its room and copies the bytes
 * it does not write from there (read-modify-write), then writes all its units.
 *
 * Ordering: a request that touches a unit an earlier unanswered request touches, one of them a
 * write, waits until no such earlier request is left (so concurrent read-modify-writes of one
 * unit cannot lose each other's bytes); a FLUSH waits until every write taken before it is
 * answered (section 5.2.6.2: a flush covers the writes completed before it).
 *
 * Back-pressure: when the in-flight table, the data region, the segment pool or the request queue
 * is full, no further chain is taken from the virtqueue (a chain already taken waits, whole),
 * until answers free room. Nothing is dropped, and nothing is answered twice.
 *
 * The disk side: until the storage-info region says READY the capacity is 0 and requests needing
 * the disk are answered IOERR; when it becomes READY (the virtualiser notifies) the capacity and
 * block size are set and a configuration change is notified; ABSENT, or information that does
 * not check, keeps the capacity 0.
 *
 * A device reset (the guest's, or the VMM's on a guest restart) forgets every request as far as
 * the guest is concerned, but a request the virtualiser holds keeps its room, and its place in
 * the ordering, until it is answered: the server may still write into that room.
 *
 * Memory: struct virtio_blk is about 94 KiB (the table, the pool, the unit map); a VMM keeps it
 * static.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <blk/blk_config.h>
#include <blk/queue.h>
#include <blk/storage_info.h>
#include <vmm/guest_ram.h>
#include <vmm/virtio_mmio.h>
#include <vmm/virtqueue.h>

#define VIRTIO_ID_BLOCK 2

/* Queue size offered (QueueNumMax), and so the most chains in flight an honest driver has. */
#define VIRTIO_BLK_QUEUE_SIZE 256
/* Requests taken and not yet answered (a driver that offers a head twice gets no more). */
#define VIRTIO_BLK_MAX_INFLIGHT VIRTIO_BLK_QUEUE_SIZE
/* Guest buffers held for IN requests until their data arrives. */
#define VIRTIO_BLK_SEGMENT_POOL 4096
/* The data region used, in transfer units (256 MiB; a larger region is used up to this). */
#define VIRTIO_BLK_MAX_UNITS 65536
/* size_max offered, at most (the data region may make it smaller). */
#define VIRTIO_BLK_SIZE_MAX 65536

/* Section 5.2.3: feature bits */
#define VIRTIO_BLK_F_SIZE_MAX (1ULL << 1)
#define VIRTIO_BLK_F_SEG_MAX  (1ULL << 2)
#define VIRTIO_BLK_F_RO       (1ULL << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ULL << 6)
#define VIRTIO_BLK_F_FLUSH    (1ULL << 9)
#define VIRTIO_BLK_F_TOPOLOGY (1ULL << 10)

/* Section 5.2.6: request types and status values */
#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2
#define VIRTIO_BLK_SECTOR   512
#define VIRTIO_BLK_ID_BYTES 20

/* Section 5.2.4, up to the fields of the features offered. Little-endian, as the target. */
struct virtio_blk_config {
    uint64_t capacity; /* 512-byte sectors */
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t cylinders; /* geometry: not offered, zero */
    uint8_t heads;
    uint8_t sectors;
    uint32_t blk_size;
    uint8_t physical_block_exp; /* topology: log2(logical blocks per physical block) */
    uint8_t alignment_offset;
    uint16_t min_io_size; /* in logical blocks */
    uint32_t opt_io_size;
};

/* Section 5.2.6: the request header the driver puts first. */
struct virtio_blk_outhdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

enum virtio_blk_op {
    VIRTIO_BLK_OP_READ,
    VIRTIO_BLK_OP_WRITE,
    VIRTIO_BLK_OP_FLUSH,
};

enum virtio_blk_phase {
    VIRTIO_BLK_WAITING, /* an earlier request it must follow is unanswered */
    VIRTIO_BLK_FILLING, /* reading the units a write covers only in part */
    VIRTIO_BLK_MAIN,    /* the read, write or flush itself */
};

/* A request taken from the virtqueue and not yet answered. Its parts are the requests sent to the
 * virtualiser for it: at most two fill reads and the main one. */
struct virtio_blk_inflight {
    bool used;
    bool orphan; /* the device was reset: the answer goes nowhere */
    uint8_t op;
    uint8_t phase;
    uint8_t fill;    /* fill reads it needs: bit 0 the first unit, bit 1 the last */
    uint8_t to_send; /* parts not yet sent (bit per part) */
    uint8_t pending; /* parts sent and not yet answered */
    uint8_t status;  /* VIRTIO_BLK_S_OK until a part fails */
    uint16_t head;   /* its chain */
    uint16_t prev;   /* arrival order */
    uint16_t next;
    uint64_t unit;    /* the first transfer unit it touches */
    uint32_t units;   /* how many */
    uint32_t room;    /* its first unit in the data region: its units, then one per fill read */
    uint32_t offset;  /* bytes into the first unit where the guest's data starts */
    uint32_t length;  /* bytes of guest data */
    uint32_t segment; /* IN: its data buffers in the segment pool */
    uint32_t segment_count;
    uint8_t *status_byte; /* the chain's last writable byte */
    uint32_t writable;    /* bytes of device-writable buffers, the status byte included */
};

struct virtio_blk {
    struct virtio_mmio transport;
    struct virtqueue vq;
    struct virtio_blk_config config;
    /* the virtualiser's side */
    struct blk_queue_handle queue;
    const struct blk_storage_info *info;
    uint8_t *data;
    uint32_t units; /* of the data region used */
    unsigned channel;
    /* the disk, once the storage info said READY and checked */
    bool ready;
    struct blk_storage_info disk;
    const char *disk_problem; /* why the information was refused, or NULL */
    /* requests in flight */
    struct virtio_blk_inflight inflight[VIRTIO_BLK_MAX_INFLIGHT];
    uint16_t free_slots[VIRTIO_BLK_MAX_INFLIGHT];
    unsigned free_count;
    uint16_t first; /* oldest in flight, VIRTIO_BLK_NONE if none */
    uint16_t last;
    uint32_t outstanding; /* parts at the virtualiser */
    bool sent;            /* requests enqueued in this pass */
    bool signal;          /* the virtualiser asked to hear of answers read in this pass */
    /* the chain taken but not yet placed (no room): it waits, whole, and nothing else is taken */
    bool held;
    struct virtio_blk_inflight held_request;
    struct virtqueue_chain chain;
    struct virtqueue_segment segments[VIRTIO_BLK_QUEUE_SIZE];
    /* allocators, a bit per unit or pool entry (1: in use) */
    uint64_t unit_map[VIRTIO_BLK_MAX_UNITS / 64];
    uint64_t segment_map[VIRTIO_BLK_SEGMENT_POOL / 64];
    struct virtqueue_segment pool[VIRTIO_BLK_SEGMENT_POOL];
    /* counted for the VMM to report */
    uint64_t requests;        /* taken from the virtqueue */
    uint64_t refused;         /* answered IOERR without the disk: wrong, or no disk */
    uint64_t unsupported;     /* answered UNSUPP */
    uint64_t disk_errors;     /* the virtualiser answered with an error */
    uint64_t bogus_responses; /* answers with an id we did not give, or twice */
    unsigned bad_requests;    /* chains with no status byte, returned with length 0 */
};

#define VIRTIO_BLK_NONE 0xffffu

/* `config` is the VMM's connection to the block virtualiser (checked by blk_config_check_client,
 * its addresses mapped in the VMM). The guest reaches the device through b->transport (register
 * it with vmm_register_virtio); the device signals the virtualiser with vmm_notify on
 * config->virt.channel. False if the regions are unusable: the queues, or a data region of fewer
 * than 4 units (a request of the smallest size_max, 4 KiB, may touch two units and read both). */
bool virtio_blk_init(struct virtio_blk *b, const struct guest_ram *ram, const struct blk_client_config *config);
/* The virtualiser signalled on the channel: the storage info may be ready, answers may have come,
 * the request queue may have room. */
void virtio_blk_notified(struct virtio_blk *b);
