/*
 * A guest virtio driver for the fuzz harnesses of virtio devices (console, block): guest RAM with
 * guard regions around it, the virtio-mmio lifecycle, and split virtqueues whose chains it builds
 * from descriptors it allocates, directly or through an indirect table.
 *
 * It also keeps what the device may write: the used rings, and the device-writable buffers of the
 * chains in flight. Every other byte of guest RAM has a shadow copy, and fg_check_writes finds
 * any byte the device changed outside what it may write, and any write outside guest RAM.
 *
 * A harness may also make the guest dishonest (fg_scribble: any bytes anywhere in its RAM,
 * rings included); from then on the device may have been told anything, so only the writes
 * outside guest RAM are checked, and the harness stops checking what the chains carried.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vmm/guest_ram.h>
#include <vmm/virtio_mmio.h>
#include <vmm/virtqueue.h>

#define FG_RAM_BASE   0x40000000ULL
#define FG_RAM_SIZE   0x10000u
#define FG_QUEUES     2
#define FG_MAX_NUM    64
#define FG_MAX_SEGS   8
#define FG_RINGS_SIZE 0x4000u /* the rings of both queues; buffers after them */

extern uint8_t *const fg_ram;
extern const struct guest_ram fg_guest_ram;

struct fg_seg {
    uint32_t offset; /* into guest RAM */
    uint32_t length;
    bool writable;
};

/* A chain the device returned on the used ring. */
struct fg_used {
    uint16_t head;
    uint32_t length;
    struct fg_seg segs[FG_MAX_SEGS];
    unsigned count;
    uint64_t tag; /* what the harness gave fg_offer */
};

struct fg_chain {
    bool in_flight;
    struct fg_seg segs[FG_MAX_SEGS];
    unsigned count;
    uint16_t descs[FG_MAX_SEGS];
    unsigned desc_count;
    uint32_t table; /* offset of its indirect table, 0 if none */
    uint32_t table_size;
    uint64_t tag;
};

struct fg_queue {
    uint32_t num;
    uint32_t desc, avail, used; /* offsets into guest RAM */
    uint16_t next_avail;
    uint16_t used_seen;
    bool desc_used[FG_MAX_NUM];
    struct fg_chain chains[FG_MAX_NUM]; /* by head */
    unsigned in_flight;
};

struct fg_driver {
    struct virtio_mmio *t;
    struct fg_queue queues[FG_QUEUES];
    bool dishonest;
};

extern struct fg_driver fg;

/* Guest RAM zeroed, guards set, no chain in flight, the transport `t`. */
void fg_init(struct virtio_mmio *t);
uint64_t fg_gpa(uint32_t offset);
/* The guest writes its own RAM (clipped to it). */
void fg_write(uint32_t offset, const void *bytes, uint32_t n);
/* Buffer space: `n` bytes (at 64-byte granules) or 0 if there is none. */
uint32_t fg_alloc(uint32_t n);
void fg_free(uint32_t offset, uint32_t n);

uint32_t fg_read_reg(uint32_t offset);
void fg_write_reg(uint32_t offset, uint32_t value);
/* Section 3.1.1 with these features, `queues` queues of `num` entries, then DRIVER_OK. True if the
 * device accepted every step. */
bool fg_start(uint64_t features, unsigned queues, uint32_t num);
/* Only the rings and the negotiation, for a harness that goes on step by step. */
bool fg_negotiate(uint64_t features);
bool fg_setup_queue(unsigned q, uint32_t num);

/* Offer a well-formed chain (readable segments before writable ones, each inside RAM and not
 * empty), through an indirect table if asked; *head (if not NULL) is its head. False if the ring
 * or the descriptors are full. */
bool fg_offer(unsigned q, const struct fg_seg *segs, unsigned n, bool indirect, uint64_t tag, uint16_t *head);
/* Offer one descriptor as given (any address, length, flags; next as given): a chain the device
 * must refuse, or take, as the harness decided when it made it. */
bool fg_offer_raw(unsigned q, uint64_t address, uint32_t length, uint16_t flags, uint16_t next, uint64_t tag);
void fg_notify(unsigned q);
/* The used elements the device published since the last call, each checked against the chains
 * in flight (a head not out, or a length past the writable bytes, is a broken invariant). */
unsigned fg_collect(unsigned q, struct fg_used *out, unsigned max);
/* The device reset: nothing is in flight any more (the guest lays its rings out afresh). */
void fg_forget(void);
/* A dishonest guest: bytes anywhere in its RAM. */
void fg_scribble(uint32_t offset, const void *bytes, uint32_t n);
/* After a device call: no write outside guest RAM, and (honest guest) none outside the used rings
 * and the writable buffers in flight. */
void fg_check_writes(const char *after);
