/* The split virtqueue on its own (virtio 1.2 section 2.7), device side, against rings the fake
 * guest driver writes by hand in fake guest RAM: well-formed chains of every direction, direct
 * and through indirect tables, every kind of malformed chain (completed with length 0, the queue
 * keeps working), and every way of breaking the queue (it stops until a reset). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <vmm/virtqueue.h>
#include "fake_virtio_driver.h"

#define Q       0
#define NUM     FAKE_NUM
#define BUFFERS FAKE_BUFFERS

static struct fake_driver drv;
static struct virtio_queue_config config;
static struct virtqueue vq;
static struct virtqueue_segment segments[4 * NUM];
static struct virtqueue_chain chain;

static void queue_over(const struct guest_ram *ram)
{
    fake_driver_init(&drv, NULL);
    config = fake_queue_config(&drv, Q, NUM);
    virtqueue_init(&vq, &config, ram);
    memset(segments, 0, sizeof(segments));
}

static int setup(void **state)
{
    (void)state;
    queue_over(&fake_ram);
    return 0;
}

static bool next(enum virtqueue_direction direction)
{
    return virtqueue_next_chain(&vq, direction, segments, NUM, &chain);
}

/* ---- well-formed chains ---- */

static void readable_chain_in_order(void **state)
{
    (void)state;
    fake_text_buffer(&drv, Q, 5, BUFFERS, "hello ", VIRTQ_DESC_F_NEXT, 2);
    fake_text_buffer(&drv, Q, 2, BUFFERS + 0x100, "virtio", 0, 0);
    fake_offer(&drv, Q, 5);
    assert_true(virtqueue_ready(&vq));
    assert_true(next(VIRTQUEUE_DEVICE_READS));
    assert_int_equal(chain.head, 5);
    assert_int_equal(chain.count, 2);
    assert_int_equal(chain.readable, 2);
    assert_int_equal(chain.length, 12);
    assert_ptr_equal(segments[0].pointer, fake_gpa(BUFFERS));
    assert_int_equal(segments[0].length, 6);
    assert_ptr_equal(segments[1].pointer, fake_gpa(BUFFERS + 0x100));
    assert_false(segments[1].writable);
    assert_false(next(VIRTQUEUE_DEVICE_READS)); /* nothing more offered */
    fake_expect_no_more_used(&drv, Q);          /* nothing returned until the device says so */
    virtqueue_push_used(&vq, chain.head, 0);
    fake_expect_used(&drv, Q, 5, 0);
    assert_int_equal(vq.bad_chains, 0);
}

static void mixed_chain_readable_then_writable(void **state)
{
    (void)state;
    /* header (readable), data (writable), status (writable): the block layout */
    fake_set_desc(&drv, Q, 0, BUFFERS, 16, VIRTQ_DESC_F_NEXT, 1);
    fake_set_desc(&drv, Q, 1, BUFFERS + 0x100, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    fake_set_desc(&drv, Q, 2, BUFFERS + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
    fake_offer(&drv, Q, 0);
    /* the same, but a readable buffer after a writable one (section 2.7.4.2) */
    fake_set_desc(&drv, Q, 3, BUFFERS, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 4);
    fake_set_desc(&drv, Q, 4, BUFFERS + 0x100, 512, VIRTQ_DESC_F_NEXT, 5);
    fake_set_desc(&drv, Q, 5, BUFFERS + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
    fake_offer(&drv, Q, 3);
    assert_true(next(VIRTQUEUE_MIXED));
    assert_int_equal(chain.head, 0);
    assert_int_equal(chain.count, 3);
    assert_int_equal(chain.readable, 1);
    assert_int_equal(chain.length, 529);
    assert_false(segments[0].writable);
    assert_ptr_equal(segments[2].pointer, fake_gpa(BUFFERS + 0x400));
    assert_true(segments[2].writable);
    virtqueue_push_used(&vq, chain.head, 513);
    assert_false(next(VIRTQUEUE_MIXED));
    assert_int_equal(vq.bad_chains, 1);
    fake_expect_used(&drv, Q, 0, 513);
    fake_expect_used(&drv, Q, 3, 0);
    assert_true(virtqueue_take_interrupt(&vq));
    assert_false(virtqueue_take_interrupt(&vq)); /* nothing new since */
    /* too many buffers for the caller's array: refused as well */
    fake_set_desc(&drv, Q, 6, BUFFERS, 16, VIRTQ_DESC_F_NEXT, 7);
    fake_set_desc(&drv, Q, 7, BUFFERS, 16, 0, 0);
    fake_offer(&drv, Q, 6);
    assert_false(virtqueue_next_chain(&vq, VIRTQUEUE_MIXED, segments, 1, &chain));
    fake_expect_used(&drv, Q, 6, 0);
    assert_int_equal(vq.bad_chains, 2);
}

static void chain_as_long_as_the_queue(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NUM; i++) {
        fake_set_desc(&drv, Q, i, BUFFERS + 0x10 * i, 1, i + 1 < NUM ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    }
    fake_offer(&drv, Q, 0);
    assert_true(next(VIRTQUEUE_DEVICE_READS));
    assert_int_equal(chain.count, NUM);
    assert_int_equal(vq.bad_chains, 0);
}

static void a_full_ring_of_chains_is_accepted(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NUM; i++) {
        fake_set_desc(&drv, Q, i, BUFFERS + 0x10 * i, 1, 0, 0);
        fake_offer(&drv, Q, (uint16_t)i);
    }
    for (unsigned i = 0; i < NUM; i++) {
        assert_true(next(VIRTQUEUE_DEVICE_READS));
        assert_int_equal(chain.head, i);
        virtqueue_push_used(&vq, chain.head, 0);
    }
    assert_false(next(VIRTQUEUE_DEVICE_READS));
    for (unsigned i = 0; i < NUM; i++) {
        fake_expect_used(&drv, Q, i, 0);
    }
    assert_false(vq.broken);
}

static void indices_wrap_at_65536(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 70000; i++) {
        unsigned d = i % NUM;
        fake_set_desc(&drv, Q, d, BUFFERS + 0x10 * d, 1 + i % 7, 0, 0);
        fake_offer(&drv, Q, (uint16_t)d);
        assert_true(next(VIRTQUEUE_DEVICE_READS));
        assert_int_equal(chain.head, d);
        assert_int_equal(chain.length, 1 + i % 7);
        virtqueue_push_used(&vq, chain.head, 0);
        fake_expect_used(&drv, Q, d, 0);
    }
    assert_int_equal(fake_used(&drv, Q)->idx, (uint16_t)70000);
    assert_false(vq.broken);
}

static void no_interrupt_when_the_driver_suppresses_it(void **state)
{
    (void)state;
    fake_set_desc(&drv, Q, 0, BUFFERS, 4, 0, 0);
    fake_offer(&drv, Q, 0);
    assert_false(virtqueue_take_interrupt(&vq)); /* nothing used yet */
    assert_true(next(VIRTQUEUE_DEVICE_READS));
    virtqueue_push_used(&vq, chain.head, 0);
    fake_avail(&drv, Q)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT; /* section 2.7.7 */
    assert_false(virtqueue_take_interrupt(&vq));
    fake_avail(&drv, Q)->flags = 0;
    assert_false(virtqueue_take_interrupt(&vq)); /* the suppressed one is not owed later */
}

/* ---- malformed chains: completed with length 0, counted, the queue keeps working ---- */

/* A bad chain headed by descriptor 0, then a good one: the device sees only the good one. */
static void bad_chain_then_good_one(enum virtqueue_direction direction, void (*make_bad)(void))
{
    make_bad();
    fake_offer(&drv, Q, 0);
    uint16_t good_flags = direction == VIRTQUEUE_DEVICE_WRITES ? VIRTQ_DESC_F_WRITE : 0;
    fake_set_desc(&drv, Q, 10, BUFFERS + 0x800, 2, good_flags, 0);
    fake_offer(&drv, Q, 10);
    assert_true(next(direction));
    assert_int_equal(chain.head, 10);
    assert_int_equal(chain.count, 1);
    virtqueue_push_used(&vq, chain.head, 0);
    fake_expect_used(&drv, Q, 0, 0);
    fake_expect_used(&drv, Q, 10, 0);
    fake_expect_no_more_used(&drv, Q);
    assert_int_equal(vq.bad_chains, 1);
    assert_false(vq.broken);
    assert_int_equal(vq.breakdowns, 0);
}

static void make_outside_ram(void)
{
    fake_set_desc(&drv, Q, 0, BUFFERS, 3, VIRTQ_DESC_F_NEXT, 1);
    fake_set_desc(&drv, Q, 1, 0x1000, 4, 0, 0);
}

static void make_straddling_ram_end(void)
{
    fake_set_desc(&drv, Q, 0, FAKE_RAM_BASE + FAKE_RAM_SIZE - 2, 4, 0, 0);
}

static void make_wrapping_address(void)
{
    fake_set_desc(&drv, Q, 0, 0xfffffffffffffff0ULL, 0x20, 0, 0);
}

static void make_zero_length(void)
{
    fake_set_desc(&drv, Q, 0, BUFFERS, 3, VIRTQ_DESC_F_NEXT, 1);
    fake_set_desc(&drv, Q, 1, BUFFERS + 0x100, 0, 0, 0);
}

static void make_huge_length(void)
{
    fake_set_desc(&drv, Q, 0, BUFFERS, 0xffffffff, 0, 0);
}

static void make_loop(void)
{
    fake_set_desc(&drv, Q, 0, BUFFERS, 3, VIRTQ_DESC_F_NEXT, 1);
    fake_set_desc(&drv, Q, 1, BUFFERS + 0x100, 4, VIRTQ_DESC_F_NEXT, 0);
}

static void make_next_out_of_range(void)
{
    fake_set_desc(&drv, Q, 0, BUFFERS, 3, VIRTQ_DESC_F_NEXT, NUM);
}

static void make_indirect(void)
{
    /* a well-formed indirect table, but VIRTIO_F_INDIRECT_DESC was not offered */
    struct virtq_desc *table = fake_gpa(BUFFERS + 0x400);
    table[0] = (struct virtq_desc){BUFFERS, 3, 0, 0};
    fake_set_desc(&drv, Q, 0, BUFFERS + 0x400, 16, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_writable_then_readable(void)
{
    fake_set_desc(&drv, Q, 0, BUFFERS, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fake_set_desc(&drv, Q, 1, BUFFERS + 4, 4, 0, 0);
}

static void make_writable(void)
{
    fake_set_desc(&drv, Q, 0, BUFFERS, 3, VIRTQ_DESC_F_NEXT, 1);
    fake_set_desc(&drv, Q, 1, BUFFERS + 0x100, 8, VIRTQ_DESC_F_WRITE, 0);
}

static void make_readable(void)
{
    fake_set_desc(&drv, Q, 0, BUFFERS, 8, 0, 0);
}

static void address_outside_ram(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_READS, make_outside_ram);
}

static void buffer_straddling_ram_end(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_READS, make_straddling_ram_end);
}

static void address_plus_length_wraps(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_READS, make_wrapping_address);
}

static void length_zero(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_READS, make_zero_length);
}

static void length_huge(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_READS, make_huge_length);
}

static void descriptor_loop(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_READS, make_loop);
}

static void next_out_of_range(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_READS, make_next_out_of_range);
}

static void indirect_refused(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_READS, make_indirect);
}

static void readable_after_writable_refused(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_MIXED, make_writable_then_readable);
}

static void writable_refused_where_the_device_only_reads(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_READS, make_writable);
}

static void readable_refused_where_the_device_only_writes(void **state)
{
    (void)state;
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_WRITES, make_readable);
}

static void loop_walks_no_more_than_the_queue_size(void **state)
{
    (void)state;
    fake_set_desc(&drv, Q, 0, BUFFERS, 8, VIRTQ_DESC_F_NEXT, 1);
    fake_set_desc(&drv, Q, 1, BUFFERS + 0x100, 8, VIRTQ_DESC_F_NEXT, 0);
    fake_offer(&drv, Q, 0);
    assert_false(virtqueue_next_chain(&vq, VIRTQUEUE_DEVICE_READS, segments, 4 * NUM, &chain));
    /* no chain has more than NUM descriptors: the walk stopped there, not at the array's end */
    assert_ptr_not_equal(segments[NUM - 1].pointer, NULL);
    assert_ptr_equal(segments[NUM].pointer, NULL);
    fake_expect_used(&drv, Q, 0, 0);
    assert_int_equal(vq.bad_chains, 1);
}

static void chain_over_4_gib_refused(void **state)
{
    (void)state;
    /* A guest with 8 GiB of RAM, of which only the rings are ever touched: the walk computes
     * buffer pointers but does not dereference them. */
    static struct guest_ram big;
    big = (struct guest_ram){FAKE_RAM_BASE, 8ULL << 30, fake_ram.vaddr};
    queue_over(&big);
    uint64_t high = FAKE_RAM_BASE + (1ULL << 32);
    fake_set_desc(&drv, Q, 0, high, 0x80000000u, VIRTQ_DESC_F_NEXT, 1);
    fake_set_desc(&drv, Q, 1, high, 0x80000000u, 0, 0); /* 2^32 bytes in all */
    fake_offer(&drv, Q, 0);
    fake_set_desc(&drv, Q, 2, high, 0x80000000u, VIRTQ_DESC_F_NEXT, 3);
    fake_set_desc(&drv, Q, 3, high, 0x7fffffffu, 0, 0); /* 2^32 - 1: the largest allowed */
    fake_offer(&drv, Q, 2);
    assert_true(next(VIRTQUEUE_DEVICE_READS));
    assert_int_equal(chain.head, 2);
    assert_int_equal(chain.length, 0xffffffffu);
    assert_int_equal(vq.bad_chains, 1);
    fake_expect_used(&drv, Q, 0, 0);
}

static void device_found_chain_unusable(void **state)
{
    (void)state;
    fake_set_desc(&drv, Q, 4, BUFFERS, 8, 0, 0);
    fake_offer(&drv, Q, 4);
    assert_true(next(VIRTQUEUE_DEVICE_READS));
    virtqueue_bad_chain(&vq, chain.head);
    fake_expect_used(&drv, Q, 4, 0);
    assert_int_equal(vq.bad_chains, 1);
    assert_false(vq.broken);
}

/* ---- indirect descriptor tables (section 2.7.5.3) ---- */

#define TABLE (BUFFERS + 0x1000)

static void negotiate_indirect(void)
{
    virtqueue_set_features(&vq, VIRTIO_F_INDIRECT_DESC);
}

static void indirect_table_in_its_own_order(void **state)
{
    (void)state;
    negotiate_indirect();
    /* The block layout in one table, its entries linked out of order; the WRITE flag on the
     * descriptor naming the table means nothing (section 2.7.5.3.2). */
    fake_table_desc(TABLE, 0, BUFFERS, 16, VIRTQ_DESC_F_NEXT, 2);
    fake_table_desc(TABLE, 2, BUFFERS + 0x100, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fake_table_desc(TABLE, 1, BUFFERS + 0x400, 1, VIRTQ_DESC_F_WRITE, 0);
    fake_set_desc(&drv, Q, 7, TABLE, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
    fake_offer(&drv, Q, 7);
    assert_true(next(VIRTQUEUE_MIXED));
    assert_int_equal(chain.head, 7);
    assert_int_equal(chain.count, 3);
    assert_int_equal(chain.readable, 1);
    assert_int_equal(chain.length, 529);
    assert_ptr_equal(segments[0].pointer, fake_gpa(BUFFERS));
    assert_false(segments[0].writable);
    assert_ptr_equal(segments[1].pointer, fake_gpa(BUFFERS + 0x100));
    assert_int_equal(segments[1].length, 512);
    assert_true(segments[1].writable);
    assert_ptr_equal(segments[2].pointer, fake_gpa(BUFFERS + 0x400));
    virtqueue_push_used(&vq, chain.head, 513);
    fake_expect_used(&drv, Q, 7, 513);
    assert_int_equal(vq.bad_chains, 0);
}

static void direct_descriptors_then_a_table(void **state)
{
    (void)state;
    negotiate_indirect();
    /* Section 2.7.5.3.2: zero or more chained descriptors, then one naming a table. */
    fake_set_desc(&drv, Q, 3, BUFFERS, 16, VIRTQ_DESC_F_NEXT, 9);
    fake_set_desc(&drv, Q, 9, TABLE, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    fake_table_desc(TABLE, 0, BUFFERS + 0x100, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fake_table_desc(TABLE, 1, BUFFERS + 0x200, 1, VIRTQ_DESC_F_WRITE, 0);
    fake_offer(&drv, Q, 3);
    assert_true(next(VIRTQUEUE_MIXED));
    assert_int_equal(chain.head, 3);
    assert_int_equal(chain.count, 3);
    assert_int_equal(chain.readable, 1);
    assert_int_equal(chain.length, 25);
    assert_ptr_equal(segments[2].pointer, fake_gpa(BUFFERS + 0x200));
}

static void unaligned_table_is_read_whole(void **state)
{
    (void)state;
    negotiate_indirect();
    uint64_t table = TABLE + 4; /* the spec asks no alignment of a table */
    fake_table_desc(table, 0, BUFFERS + 0x10, 0x1234, VIRTQ_DESC_F_NEXT, 1);
    fake_table_desc(table, 1, BUFFERS + 0x2000, 0x20, 0, 0);
    fake_set_desc(&drv, Q, 0, table, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    fake_offer(&drv, Q, 0);
    assert_true(next(VIRTQUEUE_DEVICE_READS));
    assert_int_equal(chain.count, 2);
    assert_ptr_equal(segments[0].pointer, fake_gpa(BUFFERS + 0x10));
    assert_int_equal(segments[0].length, 0x1234);
    assert_ptr_equal(segments[1].pointer, fake_gpa(BUFFERS + 0x2000));
    assert_int_equal(segments[1].length, 0x20);
}

static void table_longer_than_the_chain_is_fine(void **state)
{
    (void)state;
    negotiate_indirect();
    /* 4 * NUM entries, of which the chain uses NUM: only the chain is bounded by the queue. */
    for (unsigned i = 0; i < NUM; i++) {
        fake_table_desc(TABLE, i, BUFFERS + i, 1, i + 1 < NUM ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    }
    fake_set_desc(&drv, Q, 0, TABLE, 4 * NUM * 16, VIRTQ_DESC_F_INDIRECT, 0);
    fake_offer(&drv, Q, 0);
    assert_true(virtqueue_next_chain(&vq, VIRTQUEUE_DEVICE_READS, segments, 4 * NUM, &chain));
    assert_int_equal(chain.count, NUM);
    /* one more entry than the queue size: refused */
    fake_table_desc(TABLE, NUM - 1, BUFFERS, 1, VIRTQ_DESC_F_NEXT, NUM);
    fake_table_desc(TABLE, NUM, BUFFERS, 1, 0, 0);
    fake_offer(&drv, Q, 0);
    assert_false(virtqueue_next_chain(&vq, VIRTQUEUE_DEVICE_READS, segments, 4 * NUM, &chain));
    assert_int_equal(vq.bad_chains, 1);
}

static void table_loop_walks_no_more_than_the_queue_size(void **state)
{
    (void)state;
    negotiate_indirect();
    memset(segments, 0, sizeof(segments));
    fake_table_desc(TABLE, 0, BUFFERS, 8, VIRTQ_DESC_F_NEXT, 1);
    fake_table_desc(TABLE, 1, BUFFERS + 0x100, 8, VIRTQ_DESC_F_NEXT, 0);
    fake_set_desc(&drv, Q, 0, TABLE, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    fake_offer(&drv, Q, 0);
    assert_false(virtqueue_next_chain(&vq, VIRTQUEUE_DEVICE_READS, segments, 4 * NUM, &chain));
    assert_ptr_not_equal(segments[NUM - 1].pointer, NULL);
    assert_ptr_equal(segments[NUM].pointer, NULL);
    fake_expect_used(&drv, Q, 0, 0);
    assert_int_equal(vq.bad_chains, 1);
}

static void make_nested_table(void)
{
    fake_table_desc(TABLE, 0, TABLE + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
    fake_table_desc(TABLE + 0x100, 0, BUFFERS, 4, 0, 0);
    fake_set_desc(&drv, Q, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_table_with_next(void)
{
    fake_table_desc(TABLE, 0, BUFFERS, 4, 0, 0);
    fake_set_desc(&drv, Q, 1, BUFFERS + 0x100, 4, 0, 0);
    fake_set_desc(&drv, Q, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
}

static void make_table_length_not_whole(void)
{
    fake_table_desc(TABLE, 0, BUFFERS, 4, 0, 0);
    fake_table_desc(TABLE, 1, BUFFERS, 4, 0, 0);
    fake_set_desc(&drv, Q, 0, TABLE, 24, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_table_length_zero(void)
{
    fake_table_desc(TABLE, 0, BUFFERS, 4, 0, 0);
    fake_set_desc(&drv, Q, 0, TABLE, 0, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_table_outside_ram(void)
{
    fake_set_desc(&drv, Q, 0, FAKE_RAM_BASE + FAKE_RAM_SIZE, 16, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_table_straddling_ram_end(void)
{
    uint64_t table = FAKE_RAM_BASE + FAKE_RAM_SIZE - 16;
    fake_table_desc(table, 0, BUFFERS, 4, 0, 0);
    fake_set_desc(&drv, Q, 0, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_table_wrapping_address(void)
{
    fake_set_desc(&drv, Q, 0, 0xfffffffffffffff0ULL, 0x20, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_table_next_past_its_end(void)
{
    fake_table_desc(TABLE, 0, BUFFERS, 4, VIRTQ_DESC_F_NEXT, 1);
    fake_table_desc(TABLE, 1, BUFFERS, 4, VIRTQ_DESC_F_NEXT, 2); /* the table has two entries */
    fake_table_desc(TABLE, 2, BUFFERS, 4, 0, 0);
    fake_set_desc(&drv, Q, 0, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_table_entry_outside_ram(void)
{
    fake_table_desc(TABLE, 0, BUFFERS, 4, VIRTQ_DESC_F_NEXT, 1);
    fake_table_desc(TABLE, 1, FAKE_RAM_BASE + FAKE_RAM_SIZE - 2, 4, 0, 0);
    fake_set_desc(&drv, Q, 0, TABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_table_entry_zero_length(void)
{
    fake_table_desc(TABLE, 0, BUFFERS, 0, 0, 0);
    fake_set_desc(&drv, Q, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_table_entry_huge_length(void)
{
    fake_table_desc(TABLE, 0, BUFFERS, 0xffffffff, 0, 0);
    fake_set_desc(&drv, Q, 0, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
}

static void make_table_readable_after_writable(void)
{
    fake_set_desc(&drv, Q, 0, BUFFERS, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fake_set_desc(&drv, Q, 1, TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
    fake_table_desc(TABLE, 0, BUFFERS + 0x100, 4, 0, 0);
}

static void bad_table(enum virtqueue_direction direction, void (*make_bad)(void))
{
    negotiate_indirect();
    bad_chain_then_good_one(direction, make_bad);
}

static void nested_table_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_nested_table);
}

static void table_with_next_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_table_with_next);
}

static void table_length_not_whole_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_table_length_not_whole);
}

static void table_length_zero_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_table_length_zero);
}

static void table_outside_ram_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_table_outside_ram);
}

static void table_straddling_ram_end_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_table_straddling_ram_end);
}

static void table_address_wrapping_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_table_wrapping_address);
}

static void table_next_past_its_end_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_table_next_past_its_end);
}

static void table_entry_outside_ram_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_table_entry_outside_ram);
}

static void table_entry_zero_length_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_table_entry_zero_length);
}

static void table_entry_huge_length_refused(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_DEVICE_READS, make_table_entry_huge_length);
}

static void table_entry_direction_checked(void **state)
{
    (void)state;
    bad_table(VIRTQUEUE_MIXED, make_table_readable_after_writable);
}

static void reset_forgets_indirect(void **state)
{
    (void)state;
    negotiate_indirect();
    config = fake_queue_config(&drv, Q, NUM);
    virtqueue_reset(&vq);
    bad_chain_then_good_one(VIRTQUEUE_DEVICE_READS, make_indirect);
}

/* ---- broken queues: nothing more is taken or returned until a reset ---- */

static void expect_broken(void)
{
    assert_true(vq.broken);
    assert_int_equal(vq.breakdowns, 1);
    assert_false(virtqueue_ready(&vq));
    fake_set_desc(&drv, Q, 1, BUFFERS + 0x100, 4, 0, 0);
    fake_offer(&drv, Q, 1);
    assert_false(next(VIRTQUEUE_DEVICE_READS));
    virtqueue_push_used(&vq, 1, 0); /* ignored: the rings are not trusted */
    fake_expect_no_more_used(&drv, Q);
    assert_int_equal(vq.breakdowns, 1); /* counted once */
    /* A reset (the driver's reaction to NEEDS_RESET) and fresh rings bring it back. */
    config = fake_queue_config(&drv, Q, NUM);
    virtqueue_reset(&vq);
    fake_set_desc(&drv, Q, 2, BUFFERS + 0x200, 4, 0, 0);
    fake_offer(&drv, Q, 2);
    assert_true(next(VIRTQUEUE_DEVICE_READS));
    assert_int_equal(chain.head, 2);
    assert_int_equal(vq.breakdowns, 1);
}

static void avail_idx_jump_breaks_the_queue(void **state)
{
    (void)state;
    fake_avail(&drv, Q)->idx = NUM + 1; /* more chains than the queue can hold */
    assert_false(next(VIRTQUEUE_DEVICE_READS));
    fake_expect_no_more_used(&drv, Q);
    expect_broken();
}

static void avail_idx_backwards_breaks_the_queue(void **state)
{
    (void)state;
    fake_set_desc(&drv, Q, 0, BUFFERS, 4, 0, 0);
    fake_offer(&drv, Q, 0);
    assert_true(next(VIRTQUEUE_DEVICE_READS));
    virtqueue_push_used(&vq, chain.head, 0);
    fake_expect_used(&drv, Q, 0, 0);
    fake_avail(&drv, Q)->idx = 0; /* "unexposing" a buffer (section 2.7.6.1) */
    assert_false(next(VIRTQUEUE_DEVICE_READS));
    expect_broken();
}

static void head_out_of_range_breaks_the_queue(void **state)
{
    (void)state;
    fake_offer(&drv, Q, NUM);
    assert_false(next(VIRTQUEUE_DEVICE_READS));
    fake_expect_no_more_used(&drv, Q);
    expect_broken();
}

static void rings_moved_without_reset_break_the_queue(void **state)
{
    (void)state;
    fake_set_desc(&drv, Q, 0, BUFFERS, 4, 0, 0);
    fake_offer(&drv, Q, 0);
    assert_true(next(VIRTQUEUE_DEVICE_READS));
    virtqueue_push_used(&vq, chain.head, 0);
    fake_expect_used(&drv, Q, 0, 0);
    /* The transport let the driver disable, move and re-enable the queue: no RING_RESET. */
    config.desc = FAKE_RAM_BASE + 0x3000;
    assert_false(next(VIRTQUEUE_DEVICE_READS));
    expect_broken();
}

static void layout_outside_ram_breaks_at_first_use(void **state)
{
    (void)state;
    config.device = FAKE_RAM_BASE + FAKE_RAM_SIZE - 8; /* used ring runs past the end */
    assert_false(virtqueue_ready(&vq));
    assert_true(vq.broken);
    assert_int_equal(vq.breakdowns, 1);
}

static void queue_not_ready_is_left_alone(void **state)
{
    (void)state;
    config.ready = false;
    fake_set_desc(&drv, Q, 0, BUFFERS, 4, 0, 0);
    fake_offer(&drv, Q, 0);
    assert_false(next(VIRTQUEUE_DEVICE_READS));
    assert_false(vq.broken);
    config.ready = true;
    assert_true(next(VIRTQUEUE_DEVICE_READS));
}

/* ---- a guest on another vCPU ---- */

/* The queue's code once more, under other names, with a hook after each of its loads of guest
 * memory: there a test plays a guest on another vCPU, writing its ring between two reads of the
 * device. (The copy the other tests use, linked from vmm/src/virtqueue.c, is untouched.) */
static void (*other_vcpu)(const volatile void *address);

static void after_device_load(const volatile void *address)
{
    if (other_vcpu != NULL) {
        other_vcpu(address);
    }
}

#define __atomic_load_n(pointer, order)                                       \
    __extension__({                                                           \
        __typeof__(*(pointer)) loaded_ = __atomic_load_n((pointer), (order)); \
        after_device_load((const volatile void *)(pointer));                  \
        loaded_;                                                              \
    })
#define virtqueue_init           raced_virtqueue_init
#define virtqueue_reset          raced_virtqueue_reset
#define virtqueue_set_features   raced_virtqueue_set_features
#define virtqueue_ready          raced_virtqueue_ready
#define virtqueue_next_chain     raced_virtqueue_next_chain
#define virtqueue_push_used      raced_virtqueue_push_used
#define virtqueue_bad_chain      raced_virtqueue_bad_chain
#define virtqueue_take_interrupt raced_virtqueue_take_interrupt
/* The header was read already, under the real names: the renamed copy's own declarations. */
void virtqueue_init(struct virtqueue *q, const struct virtio_queue_config *config, const struct guest_ram *ram);
void virtqueue_reset(struct virtqueue *q);
void virtqueue_set_features(struct virtqueue *q, uint64_t features);
bool virtqueue_ready(struct virtqueue *q);
bool virtqueue_next_chain(struct virtqueue *q, enum virtqueue_direction direction, struct virtqueue_segment *segments,
                          unsigned max_segments, struct virtqueue_chain *chain);
void virtqueue_push_used(struct virtqueue *q, uint16_t head, uint32_t written);
void virtqueue_bad_chain(struct virtqueue *q, uint16_t head);
bool virtqueue_take_interrupt(struct virtqueue *q);
#include "../../vmm/src/virtqueue.c"
#undef __atomic_load_n
#undef virtqueue_init
#undef virtqueue_reset
#undef virtqueue_set_features
#undef virtqueue_ready
#undef virtqueue_next_chain
#undef virtqueue_push_used
#undef virtqueue_bad_chain
#undef virtqueue_take_interrupt

static unsigned offered_meanwhile;

/* Whenever the device looks at avail->idx for more, the guest has just offered one more
 * malformed chain in the slot the device completed (an honest ring: never more than the queue
 * size out at once). Bounded only so that a device that does not stop lets the test end. */
static void offer_a_bad_chain_each_look(const volatile void *address)
{
    if (address == &fake_avail(&drv, Q)->idx && offered_meanwhile < 10 * NUM) {
        fake_offer(&drv, Q, 0);
        offered_meanwhile++;
    }
}

static void a_guest_offering_bad_chains_meanwhile_cannot_hold_the_device(void **state)
{
    (void)state;
    struct virtqueue raced;
    raced_virtqueue_init(&raced, &config, &fake_ram);
    fake_set_desc(&drv, Q, 0, BUFFERS, 0, 0, 0); /* length 0: malformed */
    fake_offer(&drv, Q, 0);
    offered_meanwhile = 0;
    other_vcpu = offer_a_bad_chain_each_look;
    bool got = raced_virtqueue_next_chain(&raced, VIRTQUEUE_DEVICE_READS, segments, NUM, &chain);
    other_vcpu = NULL;
    /* A queue's worth in one call, then the call returns: the chains offered after wait. */
    assert_false(got);
    assert_int_equal(raced.bad_chains, NUM);
    assert_false(raced.broken);
    /* The next call (the guest's notification brings it) takes the one still waiting. */
    fake_set_desc(&drv, Q, 0, BUFFERS, 4, 0, 0);
    assert_true(raced_virtqueue_next_chain(&raced, VIRTQUEUE_DEVICE_READS, segments, NUM, &chain));
    assert_int_equal(chain.head, 0);
    assert_int_equal(raced.bad_chains, NUM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(readable_chain_in_order, setup),
        cmocka_unit_test_setup(mixed_chain_readable_then_writable, setup),
        cmocka_unit_test_setup(chain_as_long_as_the_queue, setup),
        cmocka_unit_test_setup(a_full_ring_of_chains_is_accepted, setup),
        cmocka_unit_test_setup(indices_wrap_at_65536, setup),
        cmocka_unit_test_setup(no_interrupt_when_the_driver_suppresses_it, setup),
        cmocka_unit_test_setup(address_outside_ram, setup),
        cmocka_unit_test_setup(buffer_straddling_ram_end, setup),
        cmocka_unit_test_setup(address_plus_length_wraps, setup),
        cmocka_unit_test_setup(length_zero, setup),
        cmocka_unit_test_setup(length_huge, setup),
        cmocka_unit_test_setup(descriptor_loop, setup),
        cmocka_unit_test_setup(next_out_of_range, setup),
        cmocka_unit_test_setup(indirect_refused, setup),
        cmocka_unit_test_setup(readable_after_writable_refused, setup),
        cmocka_unit_test_setup(writable_refused_where_the_device_only_reads, setup),
        cmocka_unit_test_setup(readable_refused_where_the_device_only_writes, setup),
        cmocka_unit_test_setup(loop_walks_no_more_than_the_queue_size, setup),
        cmocka_unit_test_setup(chain_over_4_gib_refused, setup),
        cmocka_unit_test_setup(device_found_chain_unusable, setup),
        cmocka_unit_test_setup(indirect_table_in_its_own_order, setup),
        cmocka_unit_test_setup(direct_descriptors_then_a_table, setup),
        cmocka_unit_test_setup(unaligned_table_is_read_whole, setup),
        cmocka_unit_test_setup(table_longer_than_the_chain_is_fine, setup),
        cmocka_unit_test_setup(table_loop_walks_no_more_than_the_queue_size, setup),
        cmocka_unit_test_setup(nested_table_refused, setup),
        cmocka_unit_test_setup(table_with_next_refused, setup),
        cmocka_unit_test_setup(table_length_not_whole_refused, setup),
        cmocka_unit_test_setup(table_length_zero_refused, setup),
        cmocka_unit_test_setup(table_outside_ram_refused, setup),
        cmocka_unit_test_setup(table_straddling_ram_end_refused, setup),
        cmocka_unit_test_setup(table_address_wrapping_refused, setup),
        cmocka_unit_test_setup(table_next_past_its_end_refused, setup),
        cmocka_unit_test_setup(table_entry_outside_ram_refused, setup),
        cmocka_unit_test_setup(table_entry_zero_length_refused, setup),
        cmocka_unit_test_setup(table_entry_huge_length_refused, setup),
        cmocka_unit_test_setup(table_entry_direction_checked, setup),
        cmocka_unit_test_setup(reset_forgets_indirect, setup),
        cmocka_unit_test_setup(avail_idx_jump_breaks_the_queue, setup),
        cmocka_unit_test_setup(avail_idx_backwards_breaks_the_queue, setup),
        cmocka_unit_test_setup(head_out_of_range_breaks_the_queue, setup),
        cmocka_unit_test_setup(rings_moved_without_reset_break_the_queue, setup),
        cmocka_unit_test_setup(layout_outside_ram_breaks_at_first_use, setup),
        cmocka_unit_test_setup(queue_not_ready_is_left_alone, setup),
        cmocka_unit_test_setup(a_guest_offering_bad_chains_meanwhile_cannot_hold_the_device, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
