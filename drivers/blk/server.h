/*
 * The serving end of a block queue, portable: the driver VM's block server runs it over the
 * real disk (guest/blkserver), the tests over a model. Each pass takes every request waiting,
 * checks it again (the server trusts nobody either), does it through the backend and answers it;
 * a FLUSH is answered only once the backend says everything written before it is durable. An
 * answer that does not fit the response queue is held, and no further request is taken, until
 * there is room: nothing is dropped.
 *
 * The data space is the concatenation of windows (the virtualiser's scratch unit, then each
 * client's data region, as the system's description orders them); a request's bytes must lie
 * inside one window.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "queue.h"

#define BLK_SERVER_MAX_WINDOWS 8

struct blk_server_backend {
    void *context;
    /* `length` bytes at `offset` of the disk; returns how many were done (all of them, or fewer
     * on an error). */
    size_t (*read)(void *context, uint64_t offset, void *buffer, size_t length);
    size_t (*write)(void *context, uint64_t offset, const void *buffer, size_t length);
    /* Everything written so far is durable; 0 on success. */
    int (*flush)(void *context);
};

struct blk_server_window {
    uint64_t offset; /* in the data space */
    uint64_t size;
    uint8_t *base; /* where the server sees it */
};

struct blk_server {
    struct blk_queue_handle queue;
    struct blk_server_backend backend;
    uint64_t device_blocks; /* in transfer units */
    struct blk_server_window windows[BLK_SERVER_MAX_WINDOWS];
    unsigned window_count;
    uint64_t data_size;
    bool holding; /* an answer waits for room */
    struct blk_response held;
    /* counted for the log */
    uint64_t requests, refused, io_errors;
};

/* False if the windows are not in order, overlap, or are not whole transfer units. */
bool blk_server_init(struct blk_server *s, struct blk_queue_handle queue, const struct blk_server_backend *backend,
                     uint64_t device_blocks, const struct blk_server_window *windows, unsigned window_count);
/* Serve what is waiting (at most `budget` requests). Returns how many were answered; *notify is
 * set when the client asked to hear of answers. */
unsigned blk_server_serve(struct blk_server *s, unsigned budget, bool *notify);
