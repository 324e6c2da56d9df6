#include "mbr.h"

#define ENTRY_OFFSET        446
#define TYPE_EXTENDED_CHS   0x05
#define TYPE_EXTENDED_LBA   0x0f
#define TYPE_EXTENDED_LINUX 0x85
#define TYPE_GPT_PROTECTIVE 0xee

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void mbr_parse(const uint8_t sector0[MBR_SECTOR_SIZE], uint64_t disk_sectors, uint32_t sector_size,
               uint32_t transfer_unit, struct mbr_table *table)
{
    uint64_t unit = (sector_size != 0 && transfer_unit >= sector_size) ? transfer_unit / sector_size : 1;
    bool signature = sector0[510] == 0x55 && sector0[511] == 0xaa;
    for (unsigned i = 0; i < MBR_PARTITIONS; i++) {
        const uint8_t *entry = sector0 + ENTRY_OFFSET + 16 * i;
        struct mbr_partition *p = &table->partitions[i];
        p->type = entry[4];
        p->start = le32(entry + 8);
        p->sectors_in_table = le32(entry + 12);
        p->sectors = p->sectors_in_table - p->sectors_in_table % unit;
        p->other = 0;
        uint64_t end = p->start + p->sectors_in_table; /* both below 2^32: cannot wrap in 64 bits */
        if (!signature) {
            p->status = MBR_BAD_SIGNATURE;
        } else if (p->type == 0) {
            p->status = MBR_EMPTY;
        } else if (p->type == TYPE_EXTENDED_CHS || p->type == TYPE_EXTENDED_LBA || p->type == TYPE_EXTENDED_LINUX ||
                   p->type == TYPE_GPT_PROTECTIVE) {
            p->status = MBR_UNSUPPORTED;
        } else if (p->start == 0) {
            p->status = MBR_ZERO_START;
        } else if (p->sectors == 0) {
            p->status = MBR_ZERO_LENGTH;
        } else if (p->start % unit != 0) {
            p->status = MBR_MISALIGNED;
        } else if (end > disk_sectors) {
            p->status = MBR_PAST_END;
        } else {
            p->status = MBR_OK;
        }
    }
    /* Overlap between otherwise valid partitions refuses both. */
    for (unsigned i = 0; i < MBR_PARTITIONS; i++) {
        for (unsigned j = i + 1; j < MBR_PARTITIONS; j++) {
            struct mbr_partition *a = &table->partitions[i];
            struct mbr_partition *b = &table->partitions[j];
            bool a_live = a->status == MBR_OK || a->status == MBR_OVERLAP;
            bool b_live = b->status == MBR_OK || b->status == MBR_OVERLAP;
            if (a_live && b_live && a->start < b->start + b->sectors_in_table &&
                b->start < a->start + a->sectors_in_table) {
                if (a->status == MBR_OK) {
                    a->status = MBR_OVERLAP;
                    a->other = j + 1;
                }
                if (b->status == MBR_OK) {
                    b->status = MBR_OVERLAP;
                    b->other = i + 1;
                }
            }
        }
    }
}

/* A tiny formatter: the parser must not depend on printf. */
struct text {
    char *buffer;
    unsigned size;
    unsigned length;
};

static void put(struct text *t, const char *s)
{
    while (*s != '\0' && t->length + 1 < t->size) {
        t->buffer[t->length++] = *s++;
    }
    t->buffer[t->length] = '\0';
}

static void put_number(struct text *t, uint64_t value)
{
    char digits[21];
    unsigned n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    char out[22];
    unsigned k = 0;
    while (n > 0) {
        out[k++] = digits[--n];
    }
    out[k] = '\0';
    put(t, out);
}

void mbr_describe(const struct mbr_table *table, unsigned number, uint32_t transfer_unit, uint32_t sector_size,
                  char *text, unsigned text_size)
{
    struct text t = {text, text_size, 0};
    if (text_size == 0) {
        return;
    }
    text[0] = '\0';
    if (number < 1 || number > MBR_PARTITIONS) {
        put(&t, "no such partition");
        return;
    }
    const struct mbr_partition *p = &table->partitions[number - 1];
    put(&t, "partition ");
    put_number(&t, number);
    switch (p->status) {
    case MBR_OK:
        put(&t, ": sectors ");
        put_number(&t, p->start);
        put(&t, "..");
        put_number(&t, p->start + p->sectors);
        if (p->sectors != p->sectors_in_table) {
            put(&t, " (length floored to whole ");
            put_number(&t, transfer_unit);
            put(&t, "-byte units)");
        }
        break;
    case MBR_EMPTY:
        put(&t, ": empty");
        break;
    case MBR_BAD_SIGNATURE:
        put(&t, ": refused, the disk has no MBR (signature at byte 510 is not 0x55AA)");
        break;
    case MBR_UNSUPPORTED:
        put(&t, ": refused, extended and GPT partition tables are not supported");
        break;
    case MBR_ZERO_START:
        put(&t, ": refused, it starts at sector 0, over the partition table");
        break;
    case MBR_ZERO_LENGTH:
        put(&t, ": refused, it is shorter than one ");
        put_number(&t, transfer_unit);
        put(&t, "-byte unit");
        break;
    case MBR_MISALIGNED:
        put(&t, ": refused, it starts at sector ");
        put_number(&t, p->start);
        put(&t, ", not a multiple of ");
        put_number(&t, sector_size != 0 ? transfer_unit / sector_size : 0);
        put(&t, " (");
        put_number(&t, transfer_unit);
        put(&t, "-byte transfer unit)");
        break;
    case MBR_PAST_END:
        put(&t, ": refused, it ends at sector ");
        put_number(&t, p->start + p->sectors_in_table);
        put(&t, ", past the end of the disk");
        break;
    case MBR_OVERLAP:
        put(&t, ": refused, it overlaps partition ");
        put_number(&t, p->other);
        break;
    }
}
