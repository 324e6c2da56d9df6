/* The MBR parser the block virtualiser and mkdisk share: every refusal class, and that one bad
 * partition never takes the others down. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "../../drivers/blk/mbr.h"

static uint8_t sector[512];

static void entry(unsigned index, uint8_t type, uint32_t start, uint32_t sectors)
{
    uint8_t *e = sector + 446 + 16 * index;
    e[4] = type;
    for (unsigned b = 0; b < 4; b++) {
        e[8 + b] = (uint8_t)(start >> (8 * b));
        e[12 + b] = (uint8_t)(sectors >> (8 * b));
    }
}

static int setup(void **state)
{
    (void)state;
    memset(sector, 0, sizeof(sector));
    sector[510] = 0x55;
    sector[511] = 0xaa;
    return 0;
}

static struct mbr_table parse(uint64_t disk_sectors, uint32_t sector_size)
{
    struct mbr_table t;
    mbr_parse(sector, disk_sectors, sector_size, 4096, &t);
    return t;
}

static void two_valid_partitions(void **state)
{
    (void)state;
    entry(0, 0x0c, 2048, 63488);
    entry(1, 0x0c, 65536, 63488);
    struct mbr_table t = parse(131072, 512);
    assert_int_equal(t.partitions[0].status, MBR_OK);
    assert_int_equal(t.partitions[1].status, MBR_OK);
    assert_int_equal(t.partitions[1].start, 65536);
    assert_int_equal(t.partitions[1].sectors, 63488);
    assert_int_equal(t.partitions[2].status, MBR_EMPTY);
    assert_int_equal(t.partitions[3].status, MBR_EMPTY);
}

static void all_four_entries(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 4; i++) {
        entry(i, 0x83, 8 + i * 1000, 992);
    }
    struct mbr_table t = parse(4008, 512);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(t.partitions[i].status, MBR_OK);
    }
}

static void empty_table(void **state)
{
    (void)state;
    struct mbr_table t = parse(131072, 512);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(t.partitions[i].status, MBR_EMPTY);
    }
}

static void bad_signature_refuses_all(void **state)
{
    (void)state;
    entry(0, 0x0c, 2048, 63488);
    sector[510] = 0;
    struct mbr_table t = parse(131072, 512);
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(t.partitions[i].status, MBR_BAD_SIGNATURE);
    }
    char text[160];
    mbr_describe(&t, 1, 4096, 512, text, sizeof(text));
    assert_non_null(strstr(text, "no MBR"));
}

static void misaligned_start_512(void **state)
{
    (void)state;
    entry(0, 0x0c, 2048, 8192);
    entry(1, 0x0c, 2049 + 8192, 8192);
    struct mbr_table t = parse(131072, 512);
    assert_int_equal(t.partitions[0].status, MBR_OK);
    assert_int_equal(t.partitions[1].status, MBR_MISALIGNED);
    char text[160];
    mbr_describe(&t, 2, 4096, 512, text, sizeof(text));
    assert_string_equal(text, "partition 2: refused, it starts at sector 10241, not a multiple of 8 (4096-byte "
                              "transfer unit)");
}

static void sector_size_4096_needs_no_extra_alignment(void **state)
{
    (void)state;
    entry(0, 0x0c, 1, 100);
    struct mbr_table t = parse(1000, 4096);
    assert_int_equal(t.partitions[0].status, MBR_OK);
}

static void past_the_end(void **state)
{
    (void)state;
    entry(0, 0x0c, 2048, 200000);
    struct mbr_table t = parse(131072, 512);
    assert_int_equal(t.partitions[0].status, MBR_PAST_END);
}

static void ends_exactly_at_disk_end(void **state)
{
    (void)state;
    entry(0, 0x0c, 2048, 131072 - 2048);
    struct mbr_table t = parse(131072, 512);
    assert_int_equal(t.partitions[0].status, MBR_OK);
}

static void huge_fields_do_not_wrap(void **state)
{
    (void)state;
    entry(0, 0x0c, 0xfffffff8u, 0xfffffff8u); /* start + length > 2^32 */
    struct mbr_table t = parse(UINT64_MAX / 2, 512);
    assert_int_equal(t.partitions[0].status, MBR_OK); /* a really huge disk holds it */
    t = parse(0xffffffffu, 512);
    assert_int_equal(t.partitions[0].status, MBR_PAST_END);
}

static void overlaps_refuse_both(void **state)
{
    (void)state;
    entry(0, 0x0c, 2048, 8192);
    entry(1, 0x0c, 8192, 8192); /* partial */
    entry(2, 0x0c, 40960, 8192);
    entry(3, 0x0c, 40960, 8192); /* identical */
    struct mbr_table t = parse(131072, 512);
    assert_int_equal(t.partitions[0].status, MBR_OVERLAP);
    assert_int_equal(t.partitions[0].other, 2);
    assert_int_equal(t.partitions[1].status, MBR_OVERLAP);
    assert_int_equal(t.partitions[1].other, 1);
    assert_int_equal(t.partitions[2].status, MBR_OVERLAP);
    assert_int_equal(t.partitions[3].status, MBR_OVERLAP);
}

static void contained_overlap(void **state)
{
    (void)state;
    entry(0, 0x0c, 2048, 65536);
    entry(1, 0x0c, 4096, 1024);
    struct mbr_table t = parse(131072, 512);
    assert_int_equal(t.partitions[0].status, MBR_OVERLAP);
    assert_int_equal(t.partitions[1].status, MBR_OVERLAP);
}

static void zero_start_and_zero_length(void **state)
{
    (void)state;
    entry(0, 0x0c, 0, 8192);
    entry(1, 0x0c, 16384, 0);
    entry(2, 0x0c, 32768, 7); /* less than one transfer unit */
    entry(3, 0x0c, 65536, 8192);
    struct mbr_table t = parse(131072, 512);
    assert_int_equal(t.partitions[0].status, MBR_ZERO_START);
    assert_int_equal(t.partitions[1].status, MBR_ZERO_LENGTH);
    assert_int_equal(t.partitions[2].status, MBR_ZERO_LENGTH);
    assert_int_equal(t.partitions[3].status, MBR_OK);
}

static void length_floored_to_transfer_unit(void **state)
{
    (void)state;
    entry(0, 0x0c, 2048, 8195);
    struct mbr_table t = parse(131072, 512);
    assert_int_equal(t.partitions[0].status, MBR_OK);
    assert_int_equal(t.partitions[0].sectors, 8192);
    char text[160];
    mbr_describe(&t, 1, 4096, 512, text, sizeof(text));
    assert_non_null(strstr(text, "floored"));
}

static void extended_and_gpt_refused(void **state)
{
    (void)state;
    entry(0, 0x05, 2048, 8192);
    entry(1, 0xee, 1, 131071);
    struct mbr_table t = parse(131072, 512);
    assert_int_equal(t.partitions[0].status, MBR_UNSUPPORTED);
    assert_int_equal(t.partitions[1].status, MBR_UNSUPPORTED);
}

static void describe_truncates_safely(void **state)
{
    (void)state;
    entry(0, 0x0c, 2049, 8192);
    struct mbr_table t = parse(131072, 512);
    char text[12];
    mbr_describe(&t, 1, 4096, 512, text, sizeof(text));
    assert_int_equal(strlen(text), 11);
    mbr_describe(&t, 9, 4096, 512, text, sizeof(text));
    assert_string_equal(text, "no such par");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(two_valid_partitions, setup),
        cmocka_unit_test_setup(all_four_entries, setup),
        cmocka_unit_test_setup(empty_table, setup),
        cmocka_unit_test_setup(bad_signature_refuses_all, setup),
        cmocka_unit_test_setup(misaligned_start_512, setup),
        cmocka_unit_test_setup(sector_size_4096_needs_no_extra_alignment, setup),
        cmocka_unit_test_setup(past_the_end, setup),
        cmocka_unit_test_setup(ends_exactly_at_disk_end, setup),
        cmocka_unit_test_setup(huge_fields_do_not_wrap, setup),
        cmocka_unit_test_setup(overlaps_refuse_both, setup),
        cmocka_unit_test_setup(contained_overlap, setup),
        cmocka_unit_test_setup(zero_start_and_zero_length, setup),
        cmocka_unit_test_setup(length_floored_to_transfer_unit, setup),
        cmocka_unit_test_setup(extended_and_gpt_refused, setup),
        cmocka_unit_test_setup(describe_truncates_safely, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
