/*
 * Fuzz harness of the MBR parser (drivers/blk/mbr.c) the block virtualiser trusts with a disk
 * someone else wrote. Input: the disk's size in sectors, its sector size and the transfer unit
 * (usual values, or raw ones), then sector 0.
 *
 * Invariants: every accepted partition starts past sector 0 on a transfer-unit boundary, has at
 * least one unit, ends inside the disk and overlaps no other accepted one; its usable length is
 * its table length floored to whole units; each status is the one its own entry deserves (one bad
 * entry never changes another's verdict, except for an overlap, which names a partition it really
 * overlaps); parsing is a function of its input; every description is a NUL-terminated sentence
 * inside the buffer given, whatever its size, and nothing past the buffer is written.
 */
#include <string.h>
#include "../../drivers/blk/mbr.h"
#include "fuzz.h"

#define GUARD 0xa5

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool extended(uint8_t type)
{
    return type == 0x05 || type == 0x0f || type == 0x85 || type == 0xee;
}

static bool overlap(const struct mbr_partition *a, const struct mbr_partition *b)
{
    return a->start < b->start + b->sectors_in_table && b->start < a->start + a->sectors_in_table;
}

static void check_description(const struct mbr_table *t, unsigned number, uint32_t unit, uint32_t sector_size,
                              unsigned size)
{
    char text[300];
    memset(text, GUARD, sizeof(text));
    mbr_describe(t, number, unit, sector_size, text, size);
    for (unsigned i = size; i < sizeof(text); i++) {
        FUZZ_CHECK((uint8_t)text[i] == GUARD, "description of %u wrote byte %u of a %u-byte buffer", number, i, size);
    }
    if (size == 0) {
        return;
    }
    FUZZ_CHECK(memchr(text, '\0', size) != NULL, "description of %u not terminated in %u bytes", number, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t sector_sizes[] = {512, 1024, 2048, 4096};
    struct fuzz_input in = fuzz_input(data, size);
    uint64_t disk_sectors = fuzz_u64(&in);
    uint8_t choice = fuzz_u8(&in);
    /* Mostly what a real disk says; sometimes anything, which the parser must survive too. */
    uint32_t sector_size = choice < 0xf0 ? sector_sizes[choice % 4] : fuzz_u32(&in);
    uint32_t unit = (choice & 0x08) == 0 ? 4096 : fuzz_u32(&in);
    if ((choice & 0x04) == 0) {
        disk_sectors &= 0xffffffffu; /* an MBR disk is at most 2^32 sectors */
    }
    uint8_t sector[MBR_SECTOR_SIZE] = {0};
    fuzz_bytes(&in, sector, sizeof(sector));

    struct mbr_table t, again;
    /* Padding is compared too: both start the same. */
    memset(&t, 0, sizeof(t));
    memset(&again, 0, sizeof(again));
    mbr_parse(sector, disk_sectors, sector_size, unit, &t);
    mbr_parse(sector, disk_sectors, sector_size, unit, &again);
    FUZZ_CHECK(memcmp(&t, &again, sizeof(t)) == 0, "two parses of one sector differ");

    uint64_t per_unit = (sector_size != 0 && unit >= sector_size) ? unit / sector_size : 1;
    bool signature = sector[510] == 0x55 && sector[511] == 0xaa;
    for (unsigned i = 0; i < MBR_PARTITIONS; i++) {
        const uint8_t *e = sector + 446 + 16 * i;
        const struct mbr_partition *p = &t.partitions[i];
        FUZZ_CHECK(p->type == e[4] && p->start == le32(e + 8) && p->sectors_in_table == le32(e + 12),
                   "partition %u does not say what its entry says", i + 1);
        FUZZ_CHECK(p->sectors <= p->sectors_in_table && p->sectors % per_unit == 0 &&
                       p->sectors_in_table - p->sectors < per_unit,
                   "partition %u: usable length %llu is not its length floored to units", i + 1,
                   (unsigned long long)p->sectors);
        if (!signature) {
            FUZZ_CHECK(p->status == MBR_BAD_SIGNATURE, "partition %u accepted without a signature", i + 1);
            continue;
        }
        switch (p->status) {
        case MBR_OK:
        case MBR_OVERLAP:
            /* Both are partitions that passed every check of their own. */
            FUZZ_CHECK(p->type != 0 && !extended(p->type), "partition %u of type %#x accepted", i + 1, p->type);
            FUZZ_CHECK(p->start != 0, "partition %u over the MBR accepted", i + 1);
            FUZZ_CHECK(p->sectors != 0, "partition %u of no unit accepted", i + 1);
            FUZZ_CHECK(p->start % per_unit == 0, "partition %u misaligned accepted", i + 1);
            FUZZ_CHECK(p->start + p->sectors_in_table <= disk_sectors, "partition %u past the end accepted", i + 1);
            break;
        case MBR_EMPTY:
            FUZZ_CHECK(p->type == 0, "partition %u of type %#x called empty", i + 1, p->type);
            break;
        case MBR_UNSUPPORTED:
            FUZZ_CHECK(extended(p->type), "partition %u of type %#x called unsupported", i + 1, p->type);
            break;
        case MBR_ZERO_START:
            FUZZ_CHECK(p->start == 0, "partition %u at %llu called zero-start", i + 1, (unsigned long long)p->start);
            break;
        case MBR_ZERO_LENGTH:
            FUZZ_CHECK(p->sectors == 0, "partition %u of %llu sectors called empty", i + 1,
                       (unsigned long long)p->sectors);
            break;
        case MBR_MISALIGNED:
            FUZZ_CHECK(p->start % per_unit != 0, "aligned partition %u called misaligned", i + 1);
            break;
        case MBR_PAST_END:
            FUZZ_CHECK(p->start + p->sectors_in_table > disk_sectors, "partition %u inside the disk called past it",
                       i + 1);
            break;
        default:
            FUZZ_CHECK(false, "partition %u has status %d, which is none", i + 1, (int)p->status);
        }
    }
    for (unsigned i = 0; i < MBR_PARTITIONS; i++) {
        const struct mbr_partition *p = &t.partitions[i];
        for (unsigned j = 0; j < MBR_PARTITIONS; j++) {
            const struct mbr_partition *q = &t.partitions[j];
            bool live = q->status == MBR_OK || q->status == MBR_OVERLAP;
            if (i != j && p->status == MBR_OK && live) {
                FUZZ_CHECK(!overlap(p, q), "accepted partitions %u and %u overlap", i + 1, j + 1);
            }
        }
        if (p->status == MBR_OVERLAP) {
            FUZZ_CHECK(p->other >= 1 && p->other <= MBR_PARTITIONS && p->other != i + 1 &&
                           overlap(p, &t.partitions[p->other - 1]),
                       "partition %u said to overlap partition %u, which it does not", i + 1, p->other);
        }
    }

    /* Every partition number (and some that are none), in buffers from none to roomy. */
    unsigned text_size = fuzz_below(&in, 300);
    for (unsigned number = 0; number <= MBR_PARTITIONS + 1; number++) {
        check_description(&t, number, unit, sector_size, text_size);
        check_description(&t, number, unit, sector_size, 200);
        check_description(&t, number, unit, sector_size, 1);
    }
    return 0;
}
