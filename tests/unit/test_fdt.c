/*
 * Device-tree patching (vmm/src/fdt.c) against blobs whose header lies about their layout. The
 * editor moves bytes and rewrites offsets on the assumption that the header, the memory
 * reservation block, the structure block and the strings block follow each other in that order
 * inside totalsize; a blob that breaks this must be refused before anything is edited or read
 * through it, and left exactly as it was.
 *
 * Blobs are made by dtc, then taken apart into their blocks and put back together at chosen
 * offsets, so that each test changes one thing about the layout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <vmm/fdt.h>

#define CAPACITY    8192
#define HEADER_SIZE 40

/* Header fields, as byte offsets (devicetree specification v0.4, 5.2). */
#define H_MAGIC        0
#define H_TOTALSIZE    4
#define H_OFF_STRUCT   8
#define H_OFF_STRINGS  12
#define H_OFF_RSVMAP   16
#define H_VERSION      20
#define H_LAST_COMP    24
#define H_SIZE_STRINGS 32
#define H_SIZE_STRUCT  36

static const char *sample_dts = "/dts-v1/; /memreserve/ 0x48000000 0x10000; / { #address-cells = <2>; "
                                "#size-cells = <2>; chosen { bootargs = \"old\"; }; "
                                "memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x1000000>; }; };";

static uint8_t source[CAPACITY];
static uint8_t blob[CAPACITY];
static uint8_t before[CAPACITY];

static uint32_t get32(const uint8_t *b, unsigned offset)
{
    return (uint32_t)b[offset] << 24 | (uint32_t)b[offset + 1] << 16 | (uint32_t)b[offset + 2] << 8 | b[offset + 3];
}

static void put32(uint8_t *b, unsigned offset, uint32_t value)
{
    b[offset] = (uint8_t)(value >> 24);
    b[offset + 1] = (uint8_t)(value >> 16);
    b[offset + 2] = (uint8_t)(value >> 8);
    b[offset + 3] = (uint8_t)value;
}

static size_t compile(const char *dts, uint8_t *out)
{
    char command[1024];
    snprintf(command, sizeof(command), "printf '%%s' '%s' | dtc -q -I dts -O dtb -o - -", dts);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, CAPACITY, p);
    assert_int_equal(pclose(p), 0);
    return n;
}

/* The source blob's blocks. dtc writes them in order: header, reservations, struct, strings. */
struct blocks {
    uint32_t rsvmap_offset, rsvmap_size; /* the reservation entries with their terminator */
    uint32_t struct_offset, struct_size;
    uint32_t strings_offset, strings_size;
};

static struct blocks source_blocks(void)
{
    struct blocks b = {
        .rsvmap_offset = get32(source, H_OFF_RSVMAP),
        .struct_offset = get32(source, H_OFF_STRUCT),
        .struct_size = get32(source, H_SIZE_STRUCT),
        .strings_offset = get32(source, H_OFF_STRINGS),
        .strings_size = get32(source, H_SIZE_STRINGS),
    };
    b.rsvmap_size = b.struct_offset - b.rsvmap_offset;
    return b;
}

/* Put the source's blocks at these offsets (header fields pointing at them), totalsize `total`. */
static void assemble(uint32_t rsvmap, uint32_t structure, uint32_t strings, uint32_t total)
{
    struct blocks b = source_blocks();
    memset(blob, 0, sizeof(blob));
    memcpy(blob, source, HEADER_SIZE);
    memcpy(blob + rsvmap, source + b.rsvmap_offset, b.rsvmap_size);
    memcpy(blob + structure, source + b.struct_offset, b.struct_size);
    memcpy(blob + strings, source + b.strings_offset, b.strings_size);
    put32(blob, H_OFF_RSVMAP, rsvmap);
    put32(blob, H_OFF_STRUCT, structure);
    put32(blob, H_OFF_STRINGS, strings);
    put32(blob, H_TOTALSIZE, total);
}

static int setup(void **state)
{
    (void)state;
    memset(source, 0, sizeof(source));
    compile(sample_dts, source);
    struct blocks b = source_blocks();
    assert_int_equal(b.rsvmap_offset, HEADER_SIZE);
    assert_int_equal(b.rsvmap_size, 32); /* one reservation and the terminator */
    assemble(b.rsvmap_offset, b.struct_offset, b.strings_offset, get32(source, H_TOTALSIZE));
    return 0;
}

/* Refused by the check and by an edit, with the blob untouched. */
static void assert_refused(enum fdt_error expected)
{
    memcpy(before, blob, sizeof(blob));
    assert_int_equal(fdt_check(blob, sizeof(blob)), expected);
    const char *args = "console=ttyAMA0 a longer command line than before";
    assert_int_equal(fdt_set_property(blob, sizeof(blob), "/chosen", "bootargs", args, (uint32_t)strlen(args) + 1),
                     expected);
    assert_int_equal(fdt_set_property(blob, sizeof(blob), "/chosen", "linux,initrd-start", "\0\0\0\0\x48\0\0\0", 8),
                     expected);
    assert_memory_equal(blob, before, sizeof(blob));
}

/* dtc reads the blob back and finds the new bootargs. */
static void assert_dtc_reads(const char *fragment)
{
    const char *path = "/tmp/tessera-test-fdt-layout.dtb";
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(blob, 1, fdt_total_size(blob), f);
    fclose(f);
    FILE *p = popen("dtc -q -I dtb -O dts /tmp/tessera-test-fdt-layout.dtb", "r");
    assert_non_null(p);
    char text[4096];
    size_t n = fread(text, 1, sizeof(text) - 1, p);
    text[n] = '\0';
    assert_int_equal(pclose(p), 0);
    remove(path);
    if (strstr(text, fragment) == NULL) {
        fail_msg("dtc does not show '%s' in:\n%s", fragment, text);
    }
}

static void dtc_blob_is_edited(void **state)
{
    (void)state;
    assert_int_equal(fdt_check(blob, sizeof(blob)), FDT_OK);
    const char *args = "console=ttyAMA0";
    assert_int_equal(fdt_set_property(blob, sizeof(blob), "/chosen", "bootargs", args, (uint32_t)strlen(args) + 1),
                     FDT_OK);
    assert_int_equal(fdt_check(blob, sizeof(blob)), FDT_OK);
    assert_dtc_reads("bootargs = \"console=ttyAMA0\"");
    assert_dtc_reads("/memreserve/\t0x0000000048000000 0x0000000000010000;");
}

/* Free space between the blocks is allowed (the specification says so) and kept right. */
static void gaps_between_blocks_are_fine(void **state)
{
    (void)state;
    struct blocks b = source_blocks();
    uint32_t rsvmap = 64, structure = rsvmap + b.rsvmap_size + 24;
    uint32_t strings = structure + b.struct_size + 100;
    assemble(rsvmap, structure, strings, strings + b.strings_size + 40);
    assert_int_equal(fdt_check(blob, sizeof(blob)), FDT_OK);
    const char *args = "console=ttyAMA0 tessera.hostname=gap";
    assert_int_equal(fdt_set_property(blob, sizeof(blob), "/chosen", "bootargs", args, (uint32_t)strlen(args) + 1),
                     FDT_OK);
    assert_int_equal(fdt_set_property(blob, sizeof(blob), "/chosen", "linux,initrd-end", "\0\0\0\0\x49\0\0\0", 8),
                     FDT_OK);
    assert_int_equal(fdt_check(blob, sizeof(blob)), FDT_OK);
    assert_dtc_reads("tessera.hostname=gap");
    assert_dtc_reads("linux,initrd-end = <0x00 0x49000000>;");
    assert_dtc_reads("/memreserve/\t0x0000000048000000 0x0000000000010000;");
}

/* Strings before the structure: growing the strings block would shift the structure under an
 * offset the editor does not move. */
static void strings_before_struct_is_refused(void **state)
{
    (void)state;
    struct blocks b = source_blocks();
    uint32_t strings = HEADER_SIZE + b.rsvmap_size;
    uint32_t structure = (strings + b.strings_size + 3) & ~3u;
    assemble(HEADER_SIZE, structure, strings, structure + b.struct_size);
    assert_refused(FDT_BAD_LAYOUT);
}

/* Structure before the reservations. */
static void rsvmap_after_struct_is_refused(void **state)
{
    (void)state;
    struct blocks b = source_blocks();
    uint32_t structure = HEADER_SIZE;
    uint32_t rsvmap = (structure + b.struct_size + 7) & ~7u;
    uint32_t strings = rsvmap + b.rsvmap_size;
    assemble(rsvmap, structure, strings, strings + b.strings_size);
    assert_refused(FDT_BAD_LAYOUT);
}

/* The strings block claims the end of the structure block as its own. */
static void strings_overlapping_struct_is_refused(void **state)
{
    (void)state;
    put32(blob, H_SIZE_STRUCT, get32(blob, H_SIZE_STRUCT) + 8);
    assert_refused(FDT_BAD_LAYOUT);
}

/* The structure block starts inside the reservation block. */
static void struct_overlapping_rsvmap_is_refused(void **state)
{
    (void)state;
    put32(blob, H_OFF_RSVMAP, get32(blob, H_OFF_STRUCT) - 8);
    assert_refused(FDT_BAD_LAYOUT);
}

/* A block over the header itself: an edit would shift header fields as data. */
static void rsvmap_over_header_is_refused(void **state)
{
    (void)state;
    put32(blob, H_OFF_RSVMAP, 16);
    assert_refused(FDT_BAD_LAYOUT);
}

static void rsvmap_past_totalsize_is_refused(void **state)
{
    (void)state;
    put32(blob, H_OFF_RSVMAP, (get32(blob, H_TOTALSIZE) + 8) & ~7u);
    assert_refused(FDT_BAD_LAYOUT);
}

/* Reservation entries are 64-bit pairs, 8-byte aligned. */
static void rsvmap_unaligned_is_refused(void **state)
{
    (void)state;
    put32(blob, H_OFF_RSVMAP, HEADER_SIZE + 4);
    assert_refused(FDT_BAD_LAYOUT);
}

/* No terminating (0, 0) entry before the structure block. */
static void rsvmap_unterminated_is_refused(void **state)
{
    (void)state;
    uint32_t rsvmap = get32(blob, H_OFF_RSVMAP);
    blob[rsvmap + 16 + 7] = 1; /* the terminator becomes a reservation */
    assert_refused(FDT_BAD_LAYOUT);
}

/* Offsets whose sum with the size passes 2^32 must not wrap into range. */
static void struct_offset_plus_size_wrapping_is_refused(void **state)
{
    (void)state;
    put32(blob, H_OFF_STRUCT, 0xfffffff0u);
    put32(blob, H_SIZE_STRUCT, 0x20);
    memcpy(before, blob, sizeof(blob));
    assert_int_not_equal(fdt_check(blob, sizeof(blob)), FDT_OK);
    assert_int_not_equal(fdt_set_property(blob, sizeof(blob), "/chosen", "bootargs", "x", 2), FDT_OK);
    assert_memory_equal(blob, before, sizeof(blob));
}

static void strings_past_totalsize_is_refused(void **state)
{
    (void)state;
    put32(blob, H_SIZE_STRINGS, get32(blob, H_SIZE_STRINGS) + 1);
    assert_refused(FDT_BAD_LAYOUT);
}

/* A totalsize too small to hold even the header. */
static void totalsize_below_header_is_refused(void **state)
{
    (void)state;
    put32(blob, H_TOTALSIZE, 16);
    memcpy(before, blob, sizeof(blob));
    assert_int_not_equal(fdt_check(blob, sizeof(blob)), FDT_OK);
    assert_int_not_equal(fdt_set_property(blob, sizeof(blob), "/chosen", "bootargs", "x", 2), FDT_OK);
    assert_memory_equal(blob, before, sizeof(blob));
}

/* Version 16 has no size_dt_struct field, which the editor relies on. */
static void version_16_is_refused(void **state)
{
    (void)state;
    put32(blob, H_VERSION, 16);
    assert_refused(FDT_BAD_HEADER);
}

/* A blob that a version-17 reader cannot read. */
static void last_compatible_version_above_17_is_refused(void **state)
{
    (void)state;
    put32(blob, H_LAST_COMP, 18);
    assert_refused(FDT_BAD_HEADER);
}

/* Reading goes through the same checks: a bad layout is not followed. */
static void get_property_refuses_a_bad_layout(void **state)
{
    (void)state;
    const void *value;
    uint32_t length;
    assert_int_equal(fdt_get_property(blob, "/chosen", "bootargs", &value, &length), FDT_OK);
    assert_string_equal(value, "old");
    put32(blob, H_SIZE_STRUCT, get32(blob, H_SIZE_STRUCT) + 8);
    assert_int_equal(fdt_get_property(blob, "/chosen", "bootargs", &value, &length), FDT_BAD_LAYOUT);
}

/* The VMM reports failures by name. */
static void every_error_has_a_sentence(void **state)
{
    (void)state;
    const enum fdt_error errors[] = {FDT_OK,        FDT_BAD_HEADER, FDT_BAD_STRUCTURE,
                                     FDT_NOT_FOUND, FDT_NO_SPACE,   FDT_BAD_LAYOUT};
    for (unsigned i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        const char *text = fdt_error_text(errors[i]);
        assert_non_null(text);
        assert_true(strlen(text) > 2);
        for (unsigned j = 0; j < i; j++) {
            assert_string_not_equal(text, fdt_error_text(errors[j]));
        }
    }
    assert_non_null(strstr(fdt_error_text(FDT_BAD_LAYOUT), "overlap"));
    assert_non_null(fdt_error_text((enum fdt_error)99));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(dtc_blob_is_edited, setup),
        cmocka_unit_test_setup(gaps_between_blocks_are_fine, setup),
        cmocka_unit_test_setup(strings_before_struct_is_refused, setup),
        cmocka_unit_test_setup(rsvmap_after_struct_is_refused, setup),
        cmocka_unit_test_setup(strings_overlapping_struct_is_refused, setup),
        cmocka_unit_test_setup(struct_overlapping_rsvmap_is_refused, setup),
        cmocka_unit_test_setup(rsvmap_over_header_is_refused, setup),
        cmocka_unit_test_setup(rsvmap_past_totalsize_is_refused, setup),
        cmocka_unit_test_setup(rsvmap_unaligned_is_refused, setup),
        cmocka_unit_test_setup(rsvmap_unterminated_is_refused, setup),
        cmocka_unit_test_setup(struct_offset_plus_size_wrapping_is_refused, setup),
        cmocka_unit_test_setup(strings_past_totalsize_is_refused, setup),
        cmocka_unit_test_setup(totalsize_below_header_is_refused, setup),
        cmocka_unit_test_setup(version_16_is_refused, setup),
        cmocka_unit_test_setup(last_compatible_version_above_17_is_refused, setup),
        cmocka_unit_test_setup(get_property_refuses_a_bad_layout, setup),
        cmocka_unit_test_setup(every_error_has_a_sentence, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
