/*
 * The serial queue: a single-producer single-consumer byte ring in shared memory. The header
 * (indices and "signal me" flags) and the data live in separate regions; the capacity lives only
 * in each side's private handle, so the other side cannot change it. Indices run freely and wrap
 * at 2^32; the reader treats what it finds in shared memory as untrusted.
 *
 * Signalling: a side that finds nothing to do (consumer: queue empty; producer: queue full)
 * requests a signal, then looks again before it sleeps (the peer may have acted in between).
 * The peer, after making progress, takes the request (at most one notification per request).
 * Shared regions start zeroed, so at start both sides want a signal.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct serial_queue {
    uint32_t tail;               /* written by the producer */
    uint32_t head;               /* written by the consumer */
    uint32_t consumer_signalled; /* 0: the consumer wants a notification when data arrives */
    uint32_t producer_signalled; /* 0: the producer wants a notification when space frees */
};

struct serial_queue_handle {
    struct serial_queue *queue;
    char *data;
    uint32_t capacity;    /* a power of two */
    unsigned corruptions; /* times the indices were found impossible */
};

/* False (and the handle unusable) unless capacity is a non-zero power of two. */
bool serial_queue_init(struct serial_queue_handle *h, struct serial_queue *queue, char *data, uint32_t capacity);
/* Bytes waiting; a corrupt pair of indices reads as empty (and is counted), never as an overrun. */
uint32_t serial_queue_length(struct serial_queue_handle *h);
uint32_t serial_queue_free(struct serial_queue_handle *h);
/* Copy in/out up to `count` bytes; return how many moved. */
uint32_t serial_enqueue_batch(struct serial_queue_handle *h, const char *bytes, uint32_t count);
uint32_t serial_dequeue_batch(struct serial_queue_handle *h, char *bytes, uint32_t count);
/* Zero-copy access: the contiguous run of bytes waiting at the head (up to the end of the data
 * region), then consume n of them; the contiguous free run at the tail, then publish n. */
uint32_t serial_queue_read_span(struct serial_queue_handle *h, const char **bytes);
void serial_queue_consume(struct serial_queue_handle *h, uint32_t n);
uint32_t serial_queue_write_span(struct serial_queue_handle *h, char **bytes);
void serial_queue_produce(struct serial_queue_handle *h, uint32_t n);
/* The byte `offset` places after the head, without consuming it; false if there is none. */
bool serial_queue_peek(struct serial_queue_handle *h, uint32_t offset, char *byte);

/* Consumer: notify me when data arrives. Then re-check the length before sleeping. */
void serial_queue_request_data_signal(struct serial_queue_handle *h);
/* Producer, after enqueueing: true if the consumer asked to be notified (the request is taken). */
bool serial_queue_take_data_signal(struct serial_queue_handle *h);
/* Producer: notify me when space frees. Then re-check the free space before sleeping. */
void serial_queue_request_space_signal(struct serial_queue_handle *h);
/* Consumer, after dequeueing: true if the producer asked to be notified (the request is taken). */
bool serial_queue_take_space_signal(struct serial_queue_handle *h);
