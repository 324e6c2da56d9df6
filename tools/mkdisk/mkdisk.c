/*
 * mkdisk: make the raw disk image the examples boot with: an MBR with K primary partitions, each
 * starting on a 1 MiB boundary and formatted FAT by Debian's mkfs.fat. --defect makes the broken
 * tables the block tests need. The result is checked with the same MBR parser the block
 * virtualiser uses.
 *   mkdisk OUTPUT [--size-mib N] [--partitions K] [--no-format] [--force]
 *                 [--defect bad-signature|misaligned|overlap|past-end|zero-start]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../../drivers/blk/mbr.h"

#define SECTOR         512u
#define ALIGN_SECTORS  2048u /* 1 MiB */
#define TYPE_FAT32_LBA 0x0c

enum defect {
    DEFECT_NONE,
    DEFECT_BAD_SIGNATURE,
    DEFECT_MISALIGNED,
    DEFECT_OVERLAP,
    DEFECT_PAST_END,
    DEFECT_ZERO_START
};

static void usage(FILE *out)
{
    fprintf(out, "usage: mkdisk OUTPUT [--size-mib N] [--partitions K] [--no-format] [--force]\n"
                 "              [--defect bad-signature|misaligned|overlap|past-end|zero-start]\n");
}

static bool parse_unsigned(const char *text, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value > max) {
        return false;
    }
    *out = value;
    return true;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static int run_mkfs(const char *image, uint32_t start, uint32_t sectors, unsigned number)
{
    char offset[32], blocks[32], label[16];
    snprintf(offset, sizeof(offset), "%u", start);
    snprintf(blocks, sizeof(blocks), "%u", sectors / 2); /* mkfs.fat counts 1 KiB blocks */
    snprintf(label, sizeof(label), "PART%u", number);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        if (devnull >= 0) {
            dup2(devnull, 1);
            dup2(devnull, 2);
        }
        execlp("mkfs.fat", "mkfs.fat", "--offset", offset, "-n", label, image, blocks, (char *)NULL);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"size-mib", required_argument, NULL, 's'},
        {"partitions", required_argument, NULL, 'p'},
        {"defect", required_argument, NULL, 'd'},
        {"no-format", no_argument, NULL, 'n'},
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long size_mib = 64, partitions = 2;
    enum defect defect = DEFECT_NONE;
    bool format = true, force = false;
    int c;
    while ((c = getopt_long(argc, argv, "s:p:d:nfh", options, NULL)) != -1) {
        switch (c) {
        case 's':
            if (!parse_unsigned(optarg, 1UL << 20, &size_mib) || size_mib < 4) {
                fprintf(stderr, "mkdisk: --size-mib wants a whole number of MiB from 4 to 1048576, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'p':
            if (!parse_unsigned(optarg, 4, &partitions) || partitions < 1) {
                fprintf(stderr, "mkdisk: --partitions wants 1 to 4, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'd': {
            static const char *const names[] = {"", "bad-signature", "misaligned", "overlap", "past-end", "zero-start"};
            defect = DEFECT_NONE;
            for (unsigned i = 1; i < 6; i++) {
                if (strcmp(optarg, names[i]) == 0) {
                    defect = (enum defect)i;
                }
            }
            if (defect == DEFECT_NONE) {
                fprintf(stderr, "mkdisk: unknown --defect '%s'\n", optarg);
                usage(stderr);
                return 2;
            }
            break;
        }
        case 'n':
            format = false;
            break;
        case 'f':
            force = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    const char *output = argv[optind];
    struct stat st;
    if (!force && stat(output, &st) == 0) {
        fprintf(stderr, "mkdisk: %s exists; not overwriting it (use --force)\n", output);
        return 1;
    }

    uint64_t disk_sectors = (uint64_t)size_mib * (1024 * 1024 / SECTOR);
    uint64_t usable = disk_sectors - ALIGN_SECTORS;
    uint64_t per = (usable / partitions) / ALIGN_SECTORS * ALIGN_SECTORS;
    if (per < ALIGN_SECTORS * 2) {
        fprintf(stderr, "mkdisk: %lu MiB is too small for %lu partitions\n", size_mib, partitions);
        return 2;
    }
    uint8_t mbr[SECTOR] = {0};
    uint32_t starts[4], lengths[4];
    for (unsigned i = 0; i < partitions; i++) {
        starts[i] = (uint32_t)(ALIGN_SECTORS + i * per);
        lengths[i] = (uint32_t)per;
    }
    switch (defect) {
    case DEFECT_MISALIGNED:
        starts[partitions - 1] += 1;
        lengths[partitions - 1] -= 8;
        break;
    case DEFECT_OVERLAP:
        if (partitions < 2) {
            fprintf(stderr, "mkdisk: --defect overlap needs at least 2 partitions\n");
            return 2;
        }
        starts[1] -= ALIGN_SECTORS;
        break;
    case DEFECT_PAST_END:
        lengths[partitions - 1] = (uint32_t)(disk_sectors - starts[partitions - 1] + ALIGN_SECTORS);
        break;
    case DEFECT_ZERO_START:
        starts[0] = 0;
        break;
    default:
        break;
    }
    for (unsigned i = 0; i < partitions; i++) {
        uint8_t *entry = mbr + 446 + 16 * i;
        entry[4] = TYPE_FAT32_LBA;
        /* CHS fields: 0xfe 0xff 0xff, "use LBA", as modern tools write for large disks */
        entry[1] = entry[5] = 0xfe;
        entry[2] = entry[3] = entry[6] = entry[7] = 0xff;
        put_le32(entry + 8, starts[i]);
        put_le32(entry + 12, lengths[i]);
    }
    if (defect != DEFECT_BAD_SIGNATURE) {
        mbr[510] = 0x55;
        mbr[511] = 0xaa;
    }

    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp%d", output, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    if (f == NULL || fwrite(mbr, 1, sizeof(mbr), f) != sizeof(mbr) ||
        ftruncate(fileno(f), (off_t)(disk_sectors * SECTOR)) != 0 || fclose(f) != 0) {
        fprintf(stderr, "mkdisk: cannot write %s\n", tmp);
        unlink(tmp);
        return 1;
    }
    if (format && defect == DEFECT_NONE) {
        for (unsigned i = 0; i < partitions; i++) {
            int status = run_mkfs(tmp, starts[i], lengths[i], i + 1);
            if (status != 0) {
                fprintf(stderr, "mkdisk: mkfs.fat failed (status %d) on partition %u\n", status, i + 1);
                unlink(tmp);
                return 1;
            }
        }
    }

    /* Self-check with the block virtualiser's parser. */
    struct mbr_table table;
    mbr_parse(mbr, disk_sectors, SECTOR, 4096, &table);
    unsigned accepted = 0;
    for (unsigned i = 0; i < MBR_PARTITIONS; i++) {
        accepted += table.partitions[i].status == MBR_OK;
    }
    if ((defect == DEFECT_NONE && accepted != partitions) || (defect != DEFECT_NONE && accepted == partitions)) {
        fprintf(stderr, "mkdisk: internal error: the MBR parser disagrees with what was written\n");
        unlink(tmp);
        return 1;
    }
    if (rename(tmp, output) != 0) {
        fprintf(stderr, "mkdisk: cannot create %s\n", output);
        unlink(tmp);
        return 1;
    }
    printf("mkdisk: %s: %lu MiB, %lu partition(s)%s\n", output, size_mib, partitions,
           defect != DEFECT_NONE ? " (deliberately broken)" : (format ? ", FAT" : ""));
    for (unsigned i = 1; i <= partitions; i++) {
        char text[160];
        mbr_describe(&table, i, 4096, SECTOR, text, sizeof(text));
        printf("  %s\n", text);
    }
    return 0;
}
