/* The serial queue and the RX virtualiser's input switch (SPEC section 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../drivers/serial/queue.h"
#include "../../drivers/serial/virt_rx.h"
#include "spsc_race.h"

/* ---- queue ---- */

static struct serial_queue shared;
static char data[16];
static struct serial_queue_handle producer, consumer;

static int queue_setup(void **state)
{
    (void)state;
    spsc_race_disarm();
    memset(&shared, 0, sizeof(shared));
    serial_queue_init(&producer, &shared, data, sizeof(data));
    serial_queue_init(&consumer, &shared, data, sizeof(data));
    return 0;
}

static void queue_empty_full_and_wrap(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(serial_queue_length(&consumer), 0);
    assert_int_equal(serial_dequeue_batch(&consumer, out, 4), 0);
    assert_int_equal(serial_enqueue_batch(&producer, "0123456789abcdefXYZ", 19), 16); /* full at 16 */
    assert_int_equal(serial_queue_free(&producer), 0);
    assert_int_equal(serial_enqueue_batch(&producer, "!", 1), 0);
    assert_int_equal(serial_dequeue_batch(&consumer, out, 10), 10);
    assert_memory_equal(out, "0123456789", 10);
    /* across the end of the data region */
    assert_int_equal(serial_enqueue_batch(&producer, "ghijklmnop", 10), 10);
    assert_int_equal(serial_dequeue_batch(&consumer, out, 32), 16);
    assert_memory_equal(out, "abcdefghijklmnop", 16);
}

static void queue_indices_wrap_at_2_to_the_32(void **state)
{
    (void)state;
    shared.head = shared.tail = 0xfffffffau;
    char out[8];
    assert_int_equal(serial_enqueue_batch(&producer, "wrapping", 8), 8);
    assert_int_equal(shared.tail, 2);
    assert_int_equal(serial_queue_length(&consumer), 8);
    assert_int_equal(serial_dequeue_batch(&consumer, out, 8), 8);
    assert_memory_equal(out, "wrapping", 8);
}

static void queue_corrupt_indices_never_overrun(void **state)
{
    (void)state;
    shared.tail = 1000; /* a client scribbled over the header */
    shared.head = 0;
    char out[64];
    assert_int_equal(serial_dequeue_batch(&consumer, out, 64), 0);
    assert_int_equal(serial_enqueue_batch(&producer, "x", 1), 0);
    assert_true(consumer.ring.corruptions > 0);
}

/* ---- a peer that rewrites the indices between reads (issue 13: each index read once) ---- */

static void queue_dequeue_reads_head_once(void **state)
{
    (void)state;
    assert_int_equal(serial_enqueue_batch(&producer, "abcdef", 6), 6);
    /* Right after the consumer loads head, the producer moves it: the bytes copied and the head
     * published must both come from the head that was read, not from a second read. */
    struct spsc_race_rewrite moved = {&shared.head, &shared.head, 2, false};
    spsc_race_arm(spsc_race_rewrite_once, &moved, 1000);
    char out[8] = "";
    assert_int_equal(serial_dequeue_batch(&consumer, out, 4), 4);
    spsc_race_disarm();
    assert_true(moved.acted);
    assert_memory_equal(out, "abcd", 4);
    assert_int_equal(shared.head, 4);
}

static void queue_peek_reads_head_once(void **state)
{
    (void)state;
    assert_int_equal(serial_enqueue_batch(&producer, "xyz", 3), 3);
    struct spsc_race_rewrite moved = {&shared.head, &shared.head, 2, false};
    spsc_race_arm(spsc_race_rewrite_once, &moved, 1000);
    char c = 0;
    assert_true(serial_queue_peek(&consumer, 1, &c));
    spsc_race_disarm();
    assert_true(moved.acted);
    assert_int_equal(c, 'y');
}

static void queue_enqueue_reads_tail_once(void **state)
{
    (void)state;
    shared.head = shared.tail = 8;
    /* Right after the producer loads tail, the consumer moves it back by 3. */
    struct spsc_race_rewrite moved = {&shared.tail, &shared.tail, 5, false};
    spsc_race_arm(spsc_race_rewrite_once, &moved, 1000);
    assert_int_equal(serial_enqueue_batch(&producer, "pq", 2), 2);
    spsc_race_disarm();
    assert_true(moved.acted);
    assert_memory_equal(data + 8, "pq", 2);
    assert_int_equal(shared.tail, 10);
}

/* ---- RX switch ---- */

struct typed {
    char to[16][64]; /* what each client (1..15) received */
    unsigned len[16];
    unsigned switches;
    unsigned last_switch;
};

static void type(struct serial_rx_virt *v, const char *text, struct typed *t)
{
    for (const char *p = text; *p != '\0'; p++) {
        struct serial_rx_output out;
        serial_rx_input(v, *p, &out);
        if (out.switched) {
            t->switches++;
            t->last_switch = out.client;
        }
        for (unsigned i = 0; i < out.count; i++) {
            t->to[out.client][t->len[out.client]++] = out.bytes[i];
        }
    }
}

static void rx_defaults_to_client_1(void **state)
{
    (void)state;
    struct serial_rx_virt v;
    struct typed t = {0};
    serial_rx_init(&v, 3, '@');
    type(&v, "ls\r", &t);
    assert_string_equal(t.to[1], "ls\r");
    assert_int_equal(t.switches, 0);
}

static void rx_switches_and_back(void **state)
{
    (void)state;
    struct serial_rx_virt v;
    struct typed t = {0};
    serial_rx_init(&v, 2, '@');
    type(&v, "a@2hostname\r@1b", &t);
    assert_string_equal(t.to[1], "ab");
    assert_string_equal(t.to[2], "hostname\r");
    assert_int_equal(t.switches, 2);
    assert_int_equal(t.last_switch, 1);
}

static void rx_double_switch_char_is_literal(void **state)
{
    (void)state;
    struct serial_rx_virt v;
    struct typed t = {0};
    serial_rx_init(&v, 2, '@');
    type(&v, "echo a@@b\r", &t);
    assert_string_equal(t.to[1], "echo a@b\r");
}

static void rx_invalid_sequences_pass_through(void **state)
{
    (void)state;
    struct serial_rx_virt v;
    struct typed t = {0};
    serial_rx_init(&v, 2, '@');
    type(&v, "@x@0@3@ ", &t); /* letter, zero, out of range, space */
    assert_string_equal(t.to[1], "@x@0@3@ ");
    assert_int_equal(t.switches, 0);
}

static void rx_switch_split_across_bursts(void **state)
{
    (void)state;
    struct serial_rx_virt v;
    struct typed t = {0};
    serial_rx_init(&v, 2, '@');
    type(&v, "abc@", &t); /* the '@' is held, nothing lost */
    assert_string_equal(t.to[1], "abc");
    type(&v, "2def", &t);
    assert_string_equal(t.to[2], "def");
}

static void rx_multi_digit_clients(void **state)
{
    (void)state;
    struct serial_rx_virt v;
    struct typed t = {0};
    serial_rx_init(&v, 12, '@');
    type(&v, "@12x", &t); /* 12 switches at once: no longer number is valid */
    assert_int_equal(t.last_switch, 12);
    type(&v, "@1y", &t); /* 1, ended by a letter which goes to client 1 */
    assert_int_equal(t.last_switch, 1);
    type(&v, "@15", &t); /* 15 > 12: client 1, then '5' to it */
    assert_int_equal(t.last_switch, 1);
    assert_string_equal(t.to[1], "y5");
}

static void rx_configurable_switch_char(void **state)
{
    (void)state;
    struct serial_rx_virt v;
    struct typed t = {0};
    serial_rx_init(&v, 2, '~');
    type(&v, "a@2~2b~~", &t);
    assert_string_equal(t.to[1], "a@2");
    assert_string_equal(t.to[2], "b~");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(queue_empty_full_and_wrap, queue_setup),
        cmocka_unit_test_setup(queue_indices_wrap_at_2_to_the_32, queue_setup),
        cmocka_unit_test_setup(queue_corrupt_indices_never_overrun, queue_setup),
        cmocka_unit_test_setup(queue_dequeue_reads_head_once, queue_setup),
        cmocka_unit_test_setup(queue_peek_reads_head_once, queue_setup),
        cmocka_unit_test_setup(queue_enqueue_reads_tail_once, queue_setup),
        cmocka_unit_test(rx_defaults_to_client_1),
        cmocka_unit_test(rx_switches_and_back),
        cmocka_unit_test(rx_double_switch_char_is_literal),
        cmocka_unit_test(rx_invalid_sequences_pass_through),
        cmocka_unit_test(rx_switch_split_across_bursts),
        cmocka_unit_test(rx_multi_digit_clients),
        cmocka_unit_test(rx_configurable_switch_char),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
