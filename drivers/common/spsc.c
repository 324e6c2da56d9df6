#include "spsc.h"

static bool aligned_word(const uint32_t *p)
{
    return p != 0 && ((uintptr_t)p & (sizeof(uint32_t) - 1)) == 0;
}

bool spsc_init(struct spsc *r, struct spsc_words words, uint32_t capacity)
{
    /* Misaligned words would fault on the atomic accesses (and be torn on the host). */
    bool usable = capacity != 0 && (capacity & (capacity - 1)) == 0 && aligned_word(words.tail) &&
                  aligned_word(words.head) && aligned_word(words.consumer_signalled) &&
                  aligned_word(words.producer_signalled);
    r->words = words;
    r->capacity = usable ? capacity : 0;
    r->corruptions = 0;
    return usable;
}

struct spsc_words spsc_words_of(struct spsc_shared *shared)
{
    return (struct spsc_words){&shared->tail, &shared->head, &shared->consumer_signalled, &shared->producer_signalled};
}

/*
 * The one read of both indices an operation makes. Both loads acquire: the consumer must see the
 * slots written before the tail it reads, the producer must not reuse slots before the consumer
 * is done with them. False (counted) if the pair is impossible.
 */
static bool read_indices(struct spsc *r, uint32_t *head, uint32_t *tail)
{
    if (r->capacity == 0) {
        return false;
    }
    *tail = __atomic_load_n(r->words.tail, __ATOMIC_ACQUIRE);
    *head = __atomic_load_n(r->words.head, __ATOMIC_ACQUIRE);
    if (*tail - *head > r->capacity) {
        r->corruptions++;
        return false;
    }
    return true;
}

struct spsc_window spsc_filled(struct spsc *r)
{
    uint32_t head, tail;
    if (!read_indices(r, &head, &tail)) {
        return (struct spsc_window){0, 0};
    }
    return (struct spsc_window){head, tail - head};
}

struct spsc_window spsc_space(struct spsc *r)
{
    uint32_t head, tail;
    if (!read_indices(r, &head, &tail)) {
        return (struct spsc_window){0, 0};
    }
    return (struct spsc_window){tail, r->capacity - (tail - head)};
}

void spsc_consume(struct spsc *r, struct spsc_window w, uint32_t n)
{
    n = n < w.count ? n : w.count;
    if (n != 0 && r->capacity != 0) {
        __atomic_store_n(r->words.head, w.start + n, __ATOMIC_RELEASE);
    }
}

void spsc_produce(struct spsc *r, struct spsc_window w, uint32_t n)
{
    n = n < w.count ? n : w.count;
    if (n != 0 && r->capacity != 0) {
        __atomic_store_n(r->words.tail, w.start + n, __ATOMIC_RELEASE);
    }
}

/* A request is published before the caller looks at the ring again: a full barrier, so on
 * several cores the peer either sees the request or the caller sees the peer's progress. */
static void request_signal(struct spsc *r, uint32_t *flag)
{
    if (r->capacity == 0) {
        return;
    }
    __atomic_store_n(flag, 0, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* True if the peer asked (flag 0); the request is taken, so it gets one notification. The fence
 * orders the caller's publication of its index before the look at the flag. */
static bool take_signal(struct spsc *r, uint32_t *flag)
{
    if (r->capacity == 0) {
        return false;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != 0) {
        return false;
    }
    __atomic_store_n(flag, 1, __ATOMIC_RELAXED);
    return true;
}

void spsc_request_data_signal(struct spsc *r)
{
    request_signal(r, r->words.consumer_signalled);
}

bool spsc_take_data_signal(struct spsc *r)
{
    return take_signal(r, r->words.consumer_signalled);
}

void spsc_request_space_signal(struct spsc *r)
{
    request_signal(r, r->words.producer_signalled);
}

bool spsc_take_space_signal(struct spsc *r)
{
    return take_signal(r, r->words.producer_signalled);
}
