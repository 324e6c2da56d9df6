/* Ordering: the producer writes the bytes, then publishes tail with a release store; the
 * consumer reads tail with an acquire load before reading the bytes, and publishes head with a
 * release store after copying them out. That holds across cores, not only on one. */
#include "queue.h"

bool serial_queue_init(struct serial_queue_handle *h, struct serial_queue *queue, char *data, uint32_t capacity)
{
    bool power_of_two = capacity != 0 && (capacity & (capacity - 1)) == 0;
    h->queue = queue;
    h->data = data;
    h->capacity = power_of_two ? capacity : 0;
    h->corruptions = 0;
    return power_of_two && queue != 0 && data != 0;
}

static uint32_t load_acquire(uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint32_t *p, uint32_t value)
{
    __atomic_store_n(p, value, __ATOMIC_RELEASE);
}

/* Bytes in the queue, or false (counted) if the indices are impossible: the other side wrote
 * nonsense, and the queue then reads as empty and full at once, so nothing moves. */
static bool checked_length(struct serial_queue_handle *h, uint32_t *length)
{
    *length = load_acquire(&h->queue->tail) - load_acquire(&h->queue->head);
    if (*length > h->capacity) {
        h->corruptions++;
        return false;
    }
    return true;
}

uint32_t serial_queue_length(struct serial_queue_handle *h)
{
    uint32_t length;
    return checked_length(h, &length) ? length : 0;
}

uint32_t serial_queue_free(struct serial_queue_handle *h)
{
    uint32_t length;
    return checked_length(h, &length) ? h->capacity - length : 0;
}

uint32_t serial_enqueue_batch(struct serial_queue_handle *h, const char *bytes, uint32_t count)
{
    uint32_t room = serial_queue_free(h);
    uint32_t n = count < room ? count : room;
    uint32_t tail = h->queue->tail;
    for (uint32_t i = 0; i < n; i++) {
        h->data[(tail + i) & (h->capacity - 1)] = bytes[i];
    }
    store_release(&h->queue->tail, tail + n);
    return n;
}

uint32_t serial_dequeue_batch(struct serial_queue_handle *h, char *bytes, uint32_t count)
{
    uint32_t available = serial_queue_length(h);
    uint32_t n = count < available ? count : available;
    uint32_t head = h->queue->head;
    for (uint32_t i = 0; i < n; i++) {
        bytes[i] = h->data[(head + i) & (h->capacity - 1)];
    }
    store_release(&h->queue->head, head + n);
    return n;
}

/* The contiguous run of at most `amount` bytes from ring index `index` (it stops at the wrap). */
static uint32_t span_at(const struct serial_queue_handle *h, uint32_t index, uint32_t amount, char **bytes)
{
    uint32_t start = index & (h->capacity - 1);
    uint32_t to_end = h->capacity - start;
    *bytes = h->data + start;
    return amount < to_end ? amount : to_end;
}

uint32_t serial_queue_read_span(struct serial_queue_handle *h, const char **bytes)
{
    char *span;
    uint32_t n = span_at(h, h->queue->head, serial_queue_length(h), &span);
    *bytes = span;
    return n;
}

/* n must not exceed what serial_queue_read_span returned: it is clamped, never trusted. */
void serial_queue_consume(struct serial_queue_handle *h, uint32_t n)
{
    uint32_t available = serial_queue_length(h);
    store_release(&h->queue->head, h->queue->head + (n < available ? n : available));
}

uint32_t serial_queue_write_span(struct serial_queue_handle *h, char **bytes)
{
    return span_at(h, h->queue->tail, serial_queue_free(h), bytes);
}

void serial_queue_produce(struct serial_queue_handle *h, uint32_t n)
{
    uint32_t room = serial_queue_free(h);
    store_release(&h->queue->tail, h->queue->tail + (n < room ? n : room));
}

bool serial_queue_peek(struct serial_queue_handle *h, uint32_t offset, char *byte)
{
    if (offset >= serial_queue_length(h)) {
        return false;
    }
    *byte = h->data[(h->queue->head + offset) & (h->capacity - 1)];
    return true;
}

/* A request is published before the caller looks at the queue again: a full barrier, so on
 * several cores the peer either sees the request or the caller sees the peer's progress. */
static void request_signal(uint32_t *flag)
{
    __atomic_store_n(flag, 0, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* True if the peer asked (flag 0); the request is taken, so it gets one notification. */
static bool take_signal(uint32_t *flag)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0) {
        return false;
    }
    __atomic_store_n(flag, 1, __ATOMIC_RELAXED);
    return true;
}

void serial_queue_request_data_signal(struct serial_queue_handle *h)
{
    request_signal(&h->queue->consumer_signalled);
}

bool serial_queue_take_data_signal(struct serial_queue_handle *h)
{
    return take_signal(&h->queue->consumer_signalled);
}

void serial_queue_request_space_signal(struct serial_queue_handle *h)
{
    request_signal(&h->queue->producer_signalled);
}

bool serial_queue_take_space_signal(struct serial_queue_handle *h)
{
    return take_signal(&h->queue->producer_signalled);
}
