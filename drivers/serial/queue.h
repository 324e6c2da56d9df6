/*
 * The serial queue: a single-producer single-consumer byte ring in shared memory. The header
 * (indices and "signal me" flags) and the data live in separate regions; the capacity lives only
 * in each side's private handle, so the other side cannot change it. Indices run freely and wrap
 * at 2^32; the reader treats what it finds in shared memory as untrusted.
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

void serial_queue_init(struct serial_queue_handle *h, struct serial_queue *queue, char *data, uint32_t capacity);
/* Bytes waiting; a corrupt pair of indices reads as empty (and is counted), never as an overrun. */
uint32_t serial_queue_length(struct serial_queue_handle *h);
uint32_t serial_queue_free(struct serial_queue_handle *h);
/* Copy in/out up to `count` bytes; return how many moved. */
uint32_t serial_enqueue_batch(struct serial_queue_handle *h, const char *bytes, uint32_t count);
uint32_t serial_dequeue_batch(struct serial_queue_handle *h, char *bytes, uint32_t count);
