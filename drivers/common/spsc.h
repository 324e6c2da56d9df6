/*
 * Single-producer single-consumer ring control over shared memory, for any queue of fixed-size
 * slots: the serial byte queue (a slot is a byte) and the block request and response queues (a
 * slot is one request or response). This file knows only a count of slots; the slots themselves
 * live wherever the queue puts them, and the queue indexes them with spsc_slot().
 *
 * Four 32-bit words in shared memory control a ring: tail (written by the producer), head
 * (written by the consumer) and two "signal me" flags. Indices run freely and wrap at 2^32; the
 * slot of index i is i mod capacity, with the capacity a power of two that each side keeps in
 * its private handle, so the peer cannot change it.
 *
 * The peer is not trusted. Each operation reads each index once, into a window (what this side
 * may use now); the caller then works on the window and publishes how much of it it used. A pair
 * of indices that no honest peer could produce (more slots in use than the capacity) gives an
 * empty window and is counted in `corruptions`: nothing moves, nothing out of bounds is touched.
 * A peer that rewrites this side's own index can only spoil its own stream.
 *
 * Ordering: the producer writes slots, then publishes tail with a release store; the consumer
 * loads tail with acquire before reading slots and publishes head with release after reading
 * them; the producer loads head with acquire before reusing slots. That holds across cores.
 *
 * Signalling: a side that finds nothing to do (consumer: empty; producer: full) requests a
 * signal, then looks again before it sleeps, since the peer may have acted in between. The peer,
 * after making progress, takes the request: at most one notification per request. Shared memory
 * starts zeroed, so at first both sides want a signal.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Where a ring's four control words are; each must be a naturally aligned uint32_t. */
struct spsc_words {
    uint32_t *tail;
    uint32_t *head;
    uint32_t *consumer_signalled; /* 0: the consumer wants a notification when slots fill */
    uint32_t *producer_signalled; /* 0: the producer wants a notification when slots free */
};

/* The layout of the control words for queues that have no older layout to keep. */
struct spsc_shared {
    uint32_t tail;
    uint32_t head;
    uint32_t consumer_signalled;
    uint32_t producer_signalled;
};

/* One side's private handle. */
struct spsc {
    struct spsc_words words;
    uint32_t capacity;    /* slots, a power of two; 0: the handle is unusable and every call is a no-op */
    unsigned corruptions; /* times the indices were found impossible */
};

/* Slots this side may use now, from one read of each index. */
struct spsc_window {
    uint32_t start; /* free-running index of the window's first slot */
    uint32_t count; /* filled slots (consumer) or free slots (producer) from start */
};

/* False, and the handle unusable, unless capacity is a non-zero power of two and every word is
 * present and aligned. */
bool spsc_init(struct spsc *r, struct spsc_words words, uint32_t capacity);
struct spsc_words spsc_words_of(struct spsc_shared *shared);

/* Consumer: the filled slots from the head. */
struct spsc_window spsc_filled(struct spsc *r);
/* Producer: the free slots from the tail. */
struct spsc_window spsc_space(struct spsc *r);
/* Consumer: the first n slots of w are read; head moves past them. n is clamped to w.count. */
void spsc_consume(struct spsc *r, struct spsc_window w, uint32_t n);
/* Producer: the first n slots of w are written; tail moves past them. n is clamped to w.count. */
void spsc_produce(struct spsc *r, struct spsc_window w, uint32_t n);

/* The slot (0 .. capacity - 1) of the window's slot `offset`. In range for any offset of a usable
 * handle; the caller keeps offset < w.count to stay inside what it may touch. */
static inline uint32_t spsc_slot(const struct spsc *r, struct spsc_window w, uint32_t offset)
{
    return (w.start + offset) & (r->capacity - 1);
}

/* How many of the window's slots from `offset` are contiguous in memory (up to the end of the
 * slot array or of the window); 0 if offset is past the window. */
static inline uint32_t spsc_contiguous(const struct spsc *r, struct spsc_window w, uint32_t offset)
{
    if (offset >= w.count) {
        return 0;
    }
    uint32_t to_end = r->capacity - spsc_slot(r, w, offset);
    uint32_t left = w.count - offset;
    return left < to_end ? left : to_end;
}

/* Consumer: notify me when slots fill. Then look again (spsc_filled) before sleeping. */
void spsc_request_data_signal(struct spsc *r);
/* Producer, after producing: true if the consumer asked to be notified (the request is taken). */
bool spsc_take_data_signal(struct spsc *r);
/* Producer: notify me when slots free. Then look again (spsc_space) before sleeping. */
void spsc_request_space_signal(struct spsc *r);
/* Consumer, after consuming: true if the producer asked to be notified (the request is taken). */
bool spsc_take_space_signal(struct spsc *r);
