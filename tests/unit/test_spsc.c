/* The shared ring control (drivers/common/spsc.h) over slots of a type it never sees: checked
 * indices, windows from one read of each index, wrap at 2^32, "signal me" flags, and a peer that
 * rewrites the indices between any two reads (tests/unit/spsc_race.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../drivers/common/spsc.h"
#include "spsc_race.h"

/* A slot the ring control knows nothing about, shaped like a block request. */
struct entry {
    uint64_t id;
    uint32_t sector;
    uint16_t count;
};

#define SLOTS 8

static struct spsc_shared shared;
static struct entry slots[SLOTS];
static struct spsc producer, consumer;

static int setup(void **state)
{
    (void)state;
    spsc_race_disarm();
    memset(&shared, 0, sizeof(shared));
    memset(slots, 0, sizeof(slots));
    assert_true(spsc_init(&producer, spsc_words_of(&shared), SLOTS));
    assert_true(spsc_init(&consumer, spsc_words_of(&shared), SLOTS));
    return 0;
}

/* Produce entries id first..first+n-1; return how many fitted. */
static uint32_t put(uint64_t first, uint32_t n)
{
    struct spsc_window w = spsc_space(&producer);
    uint32_t i = 0;
    for (; i < n && i < w.count; i++) {
        slots[spsc_slot(&producer, w, i)] = (struct entry){first + i, (uint32_t)(first + i) * 8, 1};
    }
    spsc_produce(&producer, w, i);
    return i;
}

/* Consume up to n entries, checking they are first, first+1, ...; return how many there were. */
static uint32_t take(uint64_t first, uint32_t n)
{
    struct spsc_window w = spsc_filled(&consumer);
    uint32_t i = 0;
    for (; i < n && i < w.count; i++) {
        assert_int_equal(slots[spsc_slot(&consumer, w, i)].id, first + i);
    }
    spsc_consume(&consumer, w, i);
    return i;
}

static void init_refuses_what_it_cannot_use(void **state)
{
    (void)state;
    struct spsc r;
    struct spsc_words words = spsc_words_of(&shared);
    assert_false(spsc_init(&r, words, 0));
    assert_false(spsc_init(&r, words, 12));
    struct spsc_words missing = words;
    missing.producer_signalled = NULL;
    assert_false(spsc_init(&r, missing, SLOTS));
    struct spsc_words misaligned = words;
    misaligned.head = (uint32_t *)((char *)&shared.head + 1);
    assert_false(spsc_init(&r, misaligned, SLOTS));
    /* Unusable: every call does nothing and touches no shared word. */
    assert_int_equal(r.capacity, 0);
    shared.tail = 3;
    assert_int_equal(spsc_filled(&r).count, 0);
    assert_int_equal(spsc_space(&r).count, 0);
    spsc_produce(&r, (struct spsc_window){3, 5}, 5);
    assert_int_equal(shared.tail, 3);
    assert_false(spsc_take_data_signal(&r));
    spsc_request_space_signal(&r);
    assert_int_equal(shared.producer_signalled, 0);
    assert_int_equal(spsc_contiguous(&r, (struct spsc_window){0, 0}, 0), 0);
}

static void fixed_size_entries_in_order_through_the_wrap(void **state)
{
    (void)state;
    assert_int_equal(spsc_space(&producer).count, SLOTS);
    assert_int_equal(put(0, 10), SLOTS); /* full at 8 */
    assert_int_equal(spsc_space(&producer).count, 0);
    assert_int_equal(put(8, 1), 0);
    assert_int_equal(take(0, 5), 5);
    assert_int_equal(put(8, 5), 5); /* slots 0..4 again */
    assert_int_equal(spsc_filled(&consumer).count, 8);
    assert_int_equal(take(5, 100), 8);
    assert_int_equal(take(13, 1), 0);
    assert_int_equal(shared.head, 13);
    assert_int_equal(shared.tail, 13);
}

static void contiguous_runs_stop_at_the_wrap_and_the_window(void **state)
{
    (void)state;
    shared.head = shared.tail = 6;
    struct spsc_window w = spsc_space(&producer);
    assert_int_equal(w.start, 6);
    assert_int_equal(w.count, 8);
    assert_int_equal(spsc_contiguous(&producer, w, 0), 2); /* slots 6, 7 */
    assert_int_equal(spsc_slot(&producer, w, 2), 0);
    assert_int_equal(spsc_contiguous(&producer, w, 2), 6); /* slots 0..5 */
    assert_int_equal(spsc_contiguous(&producer, w, 8), 0); /* past the window */
    struct spsc_window part = {6, 1};
    assert_int_equal(spsc_contiguous(&producer, part, 0), 1);
    assert_int_equal(spsc_slot(&producer, w, 1000), (6 + 1000) % SLOTS); /* in range, always */
}

static void indices_wrap_at_2_to_the_32(void **state)
{
    (void)state;
    shared.head = shared.tail = 0xfffffffdu;
    assert_int_equal(put(100, 6), 6);
    assert_int_equal(shared.tail, 3);
    assert_int_equal(spsc_filled(&consumer).count, 6);
    assert_int_equal(spsc_space(&producer).count, 2);
    assert_int_equal(take(100, 6), 6);
    assert_int_equal(shared.head, 3);
}

static void impossible_indices_move_nothing(void **state)
{
    (void)state;
    shared.tail = 100; /* a peer scribbled over the control words */
    shared.head = 0;
    assert_int_equal(spsc_filled(&consumer).count, 0);
    assert_int_equal(spsc_space(&producer).count, 0);
    assert_int_equal(consumer.corruptions, 1);
    assert_int_equal(producer.corruptions, 1);
    shared.tail = 5; /* head past tail: as impossible */
    shared.head = 6;
    assert_int_equal(spsc_filled(&consumer).count, 0);
    assert_int_equal(consumer.corruptions, 2);
    assert_int_equal(shared.head, 6);
    assert_int_equal(shared.tail, 5);
}

static void publishing_is_clamped_to_the_window(void **state)
{
    (void)state;
    struct spsc_window w = spsc_space(&producer);
    spsc_produce(&producer, (struct spsc_window){w.start, 3}, 1000);
    assert_int_equal(shared.tail, 3);
    struct spsc_window f = spsc_filled(&consumer);
    spsc_consume(&consumer, f, 0xffffffffu);
    assert_int_equal(shared.head, 3);
}

static void signals_only_when_requested_and_once(void **state)
{
    (void)state;
    /* Fresh shared memory: both sides want to hear. */
    assert_true(spsc_take_data_signal(&producer));
    assert_false(spsc_take_data_signal(&producer));
    spsc_request_data_signal(&consumer);
    assert_true(spsc_take_data_signal(&producer));
    assert_true(spsc_take_space_signal(&consumer));
    assert_false(spsc_take_space_signal(&consumer));
    spsc_request_space_signal(&producer);
    assert_int_equal(shared.producer_signalled, 0);
    assert_true(spsc_take_space_signal(&consumer));
    assert_int_equal(shared.producer_signalled, 1);
}

/* ---- a peer that acts between reads ---- */

struct rewrite {
    uint32_t *word;  /* when this word has been loaded ... */
    uint32_t *other; /* ... the peer writes `value` here */
    uint32_t value;
    unsigned times; /* how often it did */
};

static void rewrite_after_load(uint32_t *word, uint32_t seen, void *context)
{
    (void)seen;
    struct rewrite *r = context;
    if (word == r->word) {
        *r->other = r->value;
        r->times++;
    }
}

static void a_window_is_one_read_of_each_index(void **state)
{
    (void)state;
    assert_int_equal(put(0, 4), 4);
    /* Right after the consumer loads tail, the producer adds two more; right after it loads head,
     * the producer pretends the consumer is elsewhere. The window is what was read, once. */
    struct rewrite after_tail = {&shared.tail, &shared.tail, 6, 0};
    spsc_race_arm(rewrite_after_load, &after_tail, 100);
    struct spsc_window w = spsc_filled(&consumer);
    assert_int_equal(spsc_race_loads(), 2);
    assert_int_equal(after_tail.times, 1);
    assert_int_equal(w.start, 0);
    assert_int_equal(w.count, 4);
    struct rewrite after_head = {&shared.head, &shared.head, 3, 0};
    spsc_race_arm(rewrite_after_load, &after_head, 100);
    w = spsc_filled(&consumer);
    assert_int_equal(spsc_race_loads(), 2);
    assert_int_equal(w.start, 0);
    assert_int_equal(w.count, 6);
    /* Consuming publishes from the window: nothing is read again. */
    spsc_consume(&consumer, w, 6);
    assert_int_equal(spsc_race_loads(), 2);
    assert_int_equal(shared.head, 6);
    spsc_race_disarm();
}

static void producer_window_is_one_read_too(void **state)
{
    (void)state;
    /* Right after the producer loads head, the consumer rewinds it: the free space the producer
     * decided on is what it saw, and it publishes from its own window. */
    shared.head = shared.tail = 4;
    struct rewrite rewind = {&shared.head, &shared.head, 0, 0};
    spsc_race_arm(rewrite_after_load, &rewind, 100);
    struct spsc_window w = spsc_space(&producer);
    assert_int_equal(spsc_race_loads(), 2);
    assert_int_equal(rewind.times, 1);
    assert_int_equal(w.start, 4);
    assert_int_equal(w.count, SLOTS);
    spsc_produce(&producer, w, 2);
    assert_int_equal(shared.tail, 6);
    spsc_race_disarm();
    /* The next look reads the new values: the two produced and the four the consumer rewound. */
    assert_int_equal(spsc_filled(&consumer).count, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(init_refuses_what_it_cannot_use, setup),
        cmocka_unit_test_setup(fixed_size_entries_in_order_through_the_wrap, setup),
        cmocka_unit_test_setup(contiguous_runs_stop_at_the_wrap_and_the_window, setup),
        cmocka_unit_test_setup(indices_wrap_at_2_to_the_32, setup),
        cmocka_unit_test_setup(impossible_indices_move_nothing, setup),
        cmocka_unit_test_setup(publishing_is_clamped_to_the_window, setup),
        cmocka_unit_test_setup(signals_only_when_requested_and_once, setup),
        cmocka_unit_test_setup(a_window_is_one_read_of_each_index, setup),
        cmocka_unit_test_setup(producer_window_is_one_read_too, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
