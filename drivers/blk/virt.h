/*
 * The block virtualiser's portable core (SPEC sections 3-4): one disk, reached through the
 * driver's queues, split by MBR partition among clients; partition N goes to client N.
 *
 * States (blk_virt_state), in order: WAIT_DISK until the driver's storage info says ready (or
 * absent); READ_MBR while block 0 is read (a failed read is retried BLK_VIRT_MBR_TRIES times in
 * all); RUNNING once every client's partition was accepted or refused; NO_DISK if the disk never
 * became usable, or the driver stopped (blk_virt_driver_stopped: from any state; what it had in
 * flight is answered with an error, and so is every request after it). A client whose partition is refused gets a
 * storage info that says ABSENT, and a line naming the reason; the others keep theirs.
 *
 * RUNNING: every client request is copied once, checked against the client's partition and
 * data region, translated (block + partition start; data offset into the driver's view of that
 * client's data region, so no byte is copied here) and forwarded under a driver-side id that
 * maps back to the client and its own id. Nothing is lost: a request is taken from a client only
 * while a driver id is free, the driver's request queue has room and the client's response
 * queue has room for every answer it is owed (so an answer always fits; a client that reads no
 * answers only stops itself). Every request gets exactly one answer.
 *
 * Portable: the PD glue maps the regions, publishes nothing itself and does the notifications
 * the actions ask for.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "mbr.h"
#include "queue.h"
#include "storage_info.h"

#define BLK_VIRT_MAX_CLIENTS  MBR_PARTITIONS
#define BLK_VIRT_MAX_INFLIGHT 1024
#define BLK_VIRT_MBR_TRIES    3
#define BLK_VIRT_REASON_MAX   120

enum blk_virt_state {
    BLK_VIRT_WAIT_DISK,
    BLK_VIRT_READ_MBR,
    BLK_VIRT_RUNNING,
    BLK_VIRT_NO_DISK,
};

struct blk_virt_client {
    struct blk_queue_handle queue; /* we serve it */
    struct blk_storage_info *info; /* we publish it */
    uint64_t data_size;            /* its data region, bytes */
    uint64_t driver_data_offset;   /* where the driver sees that region in its data space */
    uint64_t start;                /* its partition, in transfer units */
    uint64_t blocks;
    bool active;                      /* its partition was accepted */
    uint32_t owed;                    /* requests taken and not yet answered */
    char reason[BLK_VIRT_REASON_MAX]; /* why it has no disk, if it has none */
};

struct blk_virt_inflight {
    bool used;
    uint8_t client;
    uint32_t client_id;
    uint32_t count;
};

struct blk_virt {
    enum blk_virt_state state;
    struct blk_queue_handle driver; /* we are its client */
    const struct blk_storage_info *driver_info;
    struct blk_storage_info disk; /* the copy taken when the disk became ready */
    uint64_t driver_data_size;    /* the driver's whole data space */
    uint64_t scratch_offset;      /* a transfer unit of it that only we use (the MBR) */
    const uint8_t *scratch;       /* and where we see it */
    struct blk_virt_client clients[BLK_VIRT_MAX_CLIENTS];
    unsigned client_count;
    struct blk_virt_inflight inflight[BLK_VIRT_MAX_INFLIGHT];
    uint32_t free_ids[BLK_VIRT_MAX_INFLIGHT];
    uint32_t free_count;
    unsigned mbr_tries;
    bool mbr_outstanding;
    unsigned next_client; /* served first in the next pass: fairness */
    /* counted, never fatal */
    uint64_t bogus_responses; /* driver answers with an id we did not give out */
    uint64_t refused_requests;
    char reason[BLK_VIRT_REASON_MAX]; /* NO_DISK: why */
};

/* What the glue must do after a call: notify the driver and these clients (bit i: client i);
 * `report` is set when something a person must read happened (blk_virt_report tells it). */
struct blk_virt_actions {
    bool notify_driver;
    uint32_t notify_clients;
    bool report;
};

/* driver: our end of the driver's queues; scratch: where the virtualiser sees the driver's data
 * space at scratch_offset (one transfer unit that no client's region overlaps). */
void blk_virt_init(struct blk_virt *v, struct blk_queue_handle driver, const struct blk_storage_info *driver_info,
                   uint64_t driver_data_size, uint64_t scratch_offset, const uint8_t *scratch);
/* Client i (0-based, in partition order) has these regions. False if the table is full or
 * the regions are unusable (queues, or a data region that does not fit the driver's space). */
bool blk_virt_add_client(struct blk_virt *v, struct blk_queue_handle queue, struct blk_storage_info *info,
                         uint64_t data_size, uint64_t driver_data_offset);
/* Anything may have changed (the driver's info or queues, a client's queue): move what can move. */
void blk_virt_process(struct blk_virt *v, struct blk_virt_actions *actions);
/* The driver stopped for good (its VM is gone): nothing it holds will be answered. Every
 * request in flight gets BLK_RESP_ERR_NO_DEVICE now and every later one too; clients still
 * waiting for their disk learn they have none. */
void blk_virt_driver_stopped(struct blk_virt *v, struct blk_virt_actions *actions);
/* The line to print for client i (0-based) after a report: its disk or why it has none, cut to
 * fit `size` bytes with its terminator (nothing written if size is 0). */
void blk_virt_describe_client(const struct blk_virt *v, unsigned i, char *text, unsigned size);
