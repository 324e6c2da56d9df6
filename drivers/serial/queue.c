/* Ordering: the producer writes the bytes, then publishes tail with a release store; the
 * consumer reads tail with an acquire load before reading the bytes, and publishes head with a
 * release store after copying them out. That holds across cores, not only on one. */
#include "queue.h"

void serial_queue_init(struct serial_queue_handle *h, struct serial_queue *queue, char *data, uint32_t capacity)
{
    h->queue = queue;
    h->data = data;
    h->capacity = capacity;
    h->corruptions = 0;
}

static uint32_t load_acquire(uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint32_t *p, uint32_t value)
{
    __atomic_store_n(p, value, __ATOMIC_RELEASE);
}

uint32_t serial_queue_length(struct serial_queue_handle *h)
{
    uint32_t length = load_acquire(&h->queue->tail) - load_acquire(&h->queue->head);
    if (length > h->capacity) {
        h->corruptions++;
        return 0;
    }
    return length;
}

uint32_t serial_queue_free(struct serial_queue_handle *h)
{
    uint32_t length = load_acquire(&h->queue->tail) - load_acquire(&h->queue->head);
    if (length > h->capacity) {
        h->corruptions++;
        return 0;
    }
    return h->capacity - length;
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
