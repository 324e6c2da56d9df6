/*
 * The serial queue: a single-producer single-consumer byte ring in shared memory, on the shared
 * ring control (drivers/common/spsc.h: its indices, ordering, checks and "signal me" flags; a
 * slot is a byte). The header (indices and flags) and the data live in separate regions; the
 * capacity lives only in each side's private handle, so the other side cannot change it.
 *
 * Every call below reads each shared index at most once. A caller that needs several steps on
 * one consistent view (look, then copy, then publish) takes a window (serial_queue_filled or
 * serial_queue_space), works inside it and publishes from it, so a peer that changes the indices
 * meanwhile changes nothing the caller decided.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "../common/spsc.h"

struct serial_queue {
    uint32_t tail;               /* written by the producer */
    uint32_t head;               /* written by the consumer */
    uint32_t consumer_signalled; /* 0: the consumer wants a notification when data arrives */
    uint32_t producer_signalled; /* 0: the producer wants a notification when space frees */
};

struct serial_queue_handle {
    struct spsc ring; /* ring.corruptions: times the indices were found impossible */
    struct serial_queue *queue;
    char *data;
    uint32_t capacity; /* bytes, a power of two (as ring.capacity); 0: unusable */
};

/* False (and the handle unusable) unless capacity is a non-zero power of two and both regions are
 * given (the header 4-byte aligned). */
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

/* Consumer: the bytes waiting, as a window. Producer: the free bytes, as a window. */
struct spsc_window serial_queue_filled(struct serial_queue_handle *h);
struct spsc_window serial_queue_space(struct serial_queue_handle *h);
/* Copy out of / into the window from `offset` on, up to `count` bytes and never past the window;
 * return how many were copied. Nothing is published. */
uint32_t serial_window_read(const struct serial_queue_handle *h, struct spsc_window w, uint32_t offset, char *bytes,
                            uint32_t count);
uint32_t serial_window_write(struct serial_queue_handle *h, struct spsc_window w, uint32_t offset, const char *bytes,
                             uint32_t count);
/* The contiguous bytes of the window from `offset` (to the end of the window or of the data
 * region), for zero-copy access; 0 past the window. */
uint32_t serial_window_span(const struct serial_queue_handle *h, struct spsc_window w, uint32_t offset, char **bytes);
/* Publish the first n bytes of the window as read (consumer) or written (producer). */
void serial_queue_consume_window(struct serial_queue_handle *h, struct spsc_window w, uint32_t n);
void serial_queue_produce_window(struct serial_queue_handle *h, struct spsc_window w, uint32_t n);

/* Consumer: notify me when data arrives. Then re-check the length before sleeping. */
void serial_queue_request_data_signal(struct serial_queue_handle *h);
/* Producer, after enqueueing: true if the consumer asked to be notified (the request is taken). */
bool serial_queue_take_data_signal(struct serial_queue_handle *h);
/* Producer: notify me when space frees. Then re-check the free space before sleeping. */
void serial_queue_request_space_signal(struct serial_queue_handle *h);
/* Consumer, after dequeueing: true if the producer asked to be notified (the request is taken). */
bool serial_queue_take_space_signal(struct serial_queue_handle *h);
