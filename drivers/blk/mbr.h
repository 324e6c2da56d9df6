/*
 * The MBR partition table (the classic PC format: four 16-byte entries at byte 446 of sector 0,
 * signature 0x55 0xAA at 510), parsed and checked for use by the block virtualiser: each
 * partition is accepted or refused with a reason, and a refusal never affects the others.
 * Portable: no I/O, no allocation; compiled for the host tests and the PDs alike.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define MBR_PARTITIONS  4
#define MBR_SECTOR_SIZE 512

enum mbr_status {
    MBR_OK = 0,
    MBR_EMPTY,         /* type 0: no partition in this slot */
    MBR_BAD_SIGNATURE, /* the whole table is missing: every slot gets this */
    MBR_UNSUPPORTED,   /* extended or GPT-protective entry */
    MBR_ZERO_START,    /* would cover the MBR itself */
    MBR_ZERO_LENGTH,
    MBR_MISALIGNED, /* start not a multiple of the transfer unit */
    MBR_PAST_END,   /* runs past the end of the disk */
    MBR_OVERLAP,    /* overlaps another partition (`other` says which) */
};

struct mbr_partition {
    enum mbr_status status;
    uint8_t type;
    uint64_t start;   /* in sectors */
    uint64_t sectors; /* usable length, floored to whole transfer units */
    uint64_t sectors_in_table;
    unsigned other; /* MBR_OVERLAP: the other partition's number (1-based) */
};

struct mbr_table {
    struct mbr_partition partitions[MBR_PARTITIONS];
};

/* sector0: the first 512 bytes of the disk. disk_sectors: the disk's size in sectors of
 * sector_size bytes; transfer_unit: bytes (4096 for sDDF-style block queues). */
void mbr_parse(const uint8_t sector0[MBR_SECTOR_SIZE], uint64_t disk_sectors, uint32_t sector_size,
               uint32_t transfer_unit, struct mbr_table *table);

/* A plain sentence about partition `number` (1-based) into text (NUL-terminated, truncated). */
void mbr_describe(const struct mbr_table *table, unsigned number, uint32_t transfer_unit, uint32_t sector_size,
                  char *text, unsigned text_size);
