#include "queue.h"

bool serial_queue_init(struct serial_queue_handle *h, struct serial_queue *queue, char *data, uint32_t capacity)
{
    struct spsc_words words = {0, 0, 0, 0};
    if (queue != 0) {
        words = (struct spsc_words){&queue->tail, &queue->head, &queue->consumer_signalled, &queue->producer_signalled};
    }
    /* No data region: the ring must be unusable too, so that every call does nothing. */
    bool usable = spsc_init(&h->ring, words, data != 0 ? capacity : 0);
    h->queue = queue;
    h->data = data;
    h->capacity = h->ring.capacity;
    return usable;
}

struct spsc_window serial_queue_filled(struct serial_queue_handle *h)
{
    return spsc_filled(&h->ring);
}

struct spsc_window serial_queue_space(struct serial_queue_handle *h)
{
    return spsc_space(&h->ring);
}

uint32_t serial_window_span(const struct serial_queue_handle *h, struct spsc_window w, uint32_t offset, char **bytes)
{
    uint32_t n = spsc_contiguous(&h->ring, w, offset);
    *bytes = n == 0 ? h->data : h->data + spsc_slot(&h->ring, w, offset);
    return n;
}

uint32_t serial_window_read(const struct serial_queue_handle *h, struct spsc_window w, uint32_t offset, char *bytes,
                            uint32_t count)
{
    uint32_t copied = 0;
    /* At most two spans, as the window wraps at most once; offset + copied never passes the
     * window, so it cannot overflow. */
    while (copied < count) {
        char *span;
        uint32_t n = serial_window_span(h, w, offset + copied, &span);
        if (n == 0) {
            break;
        }
        n = n < count - copied ? n : count - copied;
        for (uint32_t i = 0; i < n; i++) {
            bytes[copied + i] = span[i];
        }
        copied += n;
    }
    return copied;
}

uint32_t serial_window_write(struct serial_queue_handle *h, struct spsc_window w, uint32_t offset, const char *bytes,
                             uint32_t count)
{
    uint32_t copied = 0;
    while (copied < count) {
        char *span;
        uint32_t n = serial_window_span(h, w, offset + copied, &span);
        if (n == 0) {
            break;
        }
        n = n < count - copied ? n : count - copied;
        for (uint32_t i = 0; i < n; i++) {
            span[i] = bytes[copied + i];
        }
        copied += n;
    }
    return copied;
}

void serial_queue_consume_window(struct serial_queue_handle *h, struct spsc_window w, uint32_t n)
{
    spsc_consume(&h->ring, w, n);
}

void serial_queue_produce_window(struct serial_queue_handle *h, struct spsc_window w, uint32_t n)
{
    spsc_produce(&h->ring, w, n);
}

uint32_t serial_queue_length(struct serial_queue_handle *h)
{
    return spsc_filled(&h->ring).count;
}

uint32_t serial_queue_free(struct serial_queue_handle *h)
{
    return spsc_space(&h->ring).count;
}

uint32_t serial_enqueue_batch(struct serial_queue_handle *h, const char *bytes, uint32_t count)
{
    struct spsc_window w = spsc_space(&h->ring);
    uint32_t n = serial_window_write(h, w, 0, bytes, count);
    spsc_produce(&h->ring, w, n);
    return n;
}

uint32_t serial_dequeue_batch(struct serial_queue_handle *h, char *bytes, uint32_t count)
{
    struct spsc_window w = spsc_filled(&h->ring);
    uint32_t n = serial_window_read(h, w, 0, bytes, count);
    spsc_consume(&h->ring, w, n);
    return n;
}

uint32_t serial_queue_read_span(struct serial_queue_handle *h, const char **bytes)
{
    char *span;
    uint32_t n = serial_window_span(h, spsc_filled(&h->ring), 0, &span);
    *bytes = span;
    return n;
}

/* n must not exceed what serial_queue_read_span returned: it is clamped, never trusted. */
void serial_queue_consume(struct serial_queue_handle *h, uint32_t n)
{
    spsc_consume(&h->ring, spsc_filled(&h->ring), n);
}

uint32_t serial_queue_write_span(struct serial_queue_handle *h, char **bytes)
{
    return serial_window_span(h, spsc_space(&h->ring), 0, bytes);
}

void serial_queue_produce(struct serial_queue_handle *h, uint32_t n)
{
    spsc_produce(&h->ring, spsc_space(&h->ring), n);
}

bool serial_queue_peek(struct serial_queue_handle *h, uint32_t offset, char *byte)
{
    return serial_window_read(h, spsc_filled(&h->ring), offset, byte, 1) == 1;
}

void serial_queue_request_data_signal(struct serial_queue_handle *h)
{
    spsc_request_data_signal(&h->ring);
}

bool serial_queue_take_data_signal(struct serial_queue_handle *h)
{
    return spsc_take_data_signal(&h->ring);
}

void serial_queue_request_space_signal(struct serial_queue_handle *h)
{
    spsc_request_space_signal(&h->ring);
}

bool serial_queue_take_space_signal(struct serial_queue_handle *h)
{
    return spsc_take_space_signal(&h->ring);
}
