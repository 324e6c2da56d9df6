/*
 * The block queues: sDDF's protocol between a block client (a VMM, the block virtualiser) and a
 * block server (the virtualiser, the driver VM). A request queue and a response queue, each a
 * ring of fixed-size entries in its own shared region (the control words, then the entries),
 * under the shared SPSC ring control (drivers/common/spsc.h). Data moves through a separate data
 * region; a request names its bytes by offset into the data region the two sides share, in units
 * of BLK_TRANSFER_SIZE.
 *
 * The peer is not trusted: an entry is copied out of shared memory once, and only the copy is
 * looked at (blk_request_check validates it against what the receiver knows), so the peer
 * cannot change a request after it was checked.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "../common/spsc.h"

#define BLK_TRANSFER_SIZE 4096u

enum blk_request_code {
    BLK_REQ_READ = 0,
    BLK_REQ_WRITE = 1,
    BLK_REQ_FLUSH = 2,   /* every write answered before it is durable */
    BLK_REQ_BARRIER = 3, /* every request before it is answered before any after it starts */
};

enum blk_response_status {
    BLK_RESP_OK = 0,
    BLK_RESP_ERR_UNSPEC = 1,
    BLK_RESP_ERR_INVALID_PARAM = 2, /* the request itself is wrong (range, offset, code) */
    BLK_RESP_ERR_IO = 3,
    BLK_RESP_ERR_NO_DEVICE = 4,
};

struct blk_request {
    uint32_t code;
    uint32_t id;           /* the sender's, echoed in the response */
    uint64_t data_offset;  /* bytes into the shared data region, a multiple of BLK_TRANSFER_SIZE */
    uint64_t block_number; /* in BLK_TRANSFER_SIZE units from the start of the device */
    uint32_t count;        /* in BLK_TRANSFER_SIZE units; 0 for FLUSH and BARRIER */
    uint32_t reserved;
};

struct blk_response {
    uint32_t status;
    uint32_t id;
    uint32_t success_count; /* units done before an error (all of them on success) */
    uint32_t reserved;
};

/* The start of each queue region: the ring control words; the entries follow at
 * BLK_QUEUE_ENTRIES_OFFSET. */
#define BLK_QUEUE_ENTRIES_OFFSET 64u

/* The capacity (a power of two) that fits a queue region of `region_size` bytes. */
uint32_t blk_queue_capacity(uint64_t region_size, uint32_t entry_size);

/* One side's handle on a request queue and its response queue. */
struct blk_queue_handle {
    struct spsc requests;
    struct blk_request *request_entries;
    struct spsc responses;
    struct blk_response *response_entries;
};

/* False unless both regions hold at least one entry (capacities the largest powers of two that
 * fit each region). */
bool blk_queue_init(struct blk_queue_handle *h, void *request_region, uint64_t request_region_size,
                    void *response_region, uint64_t response_region_size);

/* Client side. */
bool blk_enqueue_request(struct blk_queue_handle *h, const struct blk_request *request);
bool blk_dequeue_response(struct blk_queue_handle *h, struct blk_response *response);
uint32_t blk_request_space(struct blk_queue_handle *h);
/* Server side. */
bool blk_dequeue_request(struct blk_queue_handle *h, struct blk_request *request);
bool blk_enqueue_response(struct blk_queue_handle *h, const struct blk_response *response);
uint32_t blk_response_space(struct blk_queue_handle *h);

/* Signalling, as the serial queue's: the side that finds nothing to do asks for a signal and
 * looks again before it sleeps; the peer, after producing, takes the request (true: notify). */
void blk_queue_want_requests(struct blk_queue_handle *h);        /* server, found no request */
bool blk_queue_take_request_signal(struct blk_queue_handle *h);  /* client, after enqueueing */
void blk_queue_want_responses(struct blk_queue_handle *h);       /* client, found no response */
bool blk_queue_take_response_signal(struct blk_queue_handle *h); /* server, after enqueueing */
/* And for room: a producer that found its queue full asks; the consumer takes it after consuming. */
void blk_queue_want_request_space(struct blk_queue_handle *h);         /* client, request queue full */
bool blk_queue_take_request_space_signal(struct blk_queue_handle *h);  /* server, after dequeueing */
void blk_queue_want_response_space(struct blk_queue_handle *h);        /* server, response queue full */
bool blk_queue_take_response_space_signal(struct blk_queue_handle *h); /* client, after dequeueing */

/* Whether a request (already copied out) may be acted on by a server whose device has
 * `device_blocks` units and whose shared data region has `data_size` bytes: a known code, a
 * non-zero count that fits the device and the data region for READ and WRITE, an aligned data
 * offset, no overflow anywhere. BLK_RESP_OK or the status to answer with. */
enum blk_response_status blk_request_check(const struct blk_request *request, uint64_t device_blocks,
                                           uint64_t data_size);
