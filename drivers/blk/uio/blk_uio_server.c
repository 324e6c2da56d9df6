/*
 * The driver VM's block server (SPEC section 7): a Linux program that serves the block
 * virtualiser's requests on the driver VM's disk. The shared regions arrive as one UIO device
 * (uio_pdrv_genirq): map 0 the storage-info region, map 1 the request queue, map 2 the response
 * queue, maps 3.. the data space windows in order (the virtualiser's scratch unit, then each
 * client's data region). Its interrupt is the doorbell from the virtualiser; re-enabling it (a
 * write of 1 to /dev/uioN) is the doorbell back, which the driver VM's VMM turns into a
 * notification.
 *
 *     tessera-blk-uio DISK [UIO_DEVICE]     (default /dev/uio0)
 *
 * It fills the storage-info region from the disk (sector size, size) and sets `ready` last;
 * if the disk cannot be opened it says so and marks the disk absent, so the clients are told.
 * The disk is opened O_DIRECT: this VM keeps no page cache of it, so a write is answered once
 * the disk device has it (a client filesystem that never flushes, as FAT's sync does not, still
 * finds its synced data on the disk if the machine stops), and under emulation the page cache's
 * work is what costs. O_DIRECT cannot reach the UIO mappings (device memory, no struct page), so
 * the data goes through one aligned bounce buffer: still one copy, as the page cache made.
 * FLUSH is fdatasync: answered only once the data is durable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../server.h"
#include "../storage_info.h"

#define FIRST_WINDOW_MAP 3
#define MAX_MAPS         (FIRST_WINDOW_MAP + BLK_SERVER_MAX_WINDOWS)
#define BOUNCE_SIZE      (4u << 20) /* larger requests go to the disk in pieces of this */
#define BOUNCE_ALIGN     4096u      /* O_DIRECT: buffer, offset and length in whole 4 KiB units */

static const char *uio_name;

struct disk {
    int fd;
    uint8_t *bounce;
};

static int read_sysfs_number(const char *uio, unsigned map, const char *what, unsigned long long *value)
{
    char path[128];
    snprintf(path, sizeof(path), "/sys/class/uio/%s/maps/map%u/%s", uio, map, what);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    int ok = fscanf(f, "%llx", value) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

/* Map `map` of the UIO device; its size in *size. NULL if there is no such map. */
static void *map_uio(int fd, const char *uio, unsigned map, uint64_t *size)
{
    unsigned long long bytes;
    if (read_sysfs_number(uio, map, "size", &bytes) != 0 || bytes == 0) {
        return NULL;
    }
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map * getpagesize());
    if (p == MAP_FAILED) {
        fprintf(stderr, "blk-server: cannot map %s map %u: %s\n", uio, map, strerror(errno));
        exit(1);
    }
    *size = bytes;
    return p;
}

static bool read_exactly(int fd, uint8_t *buffer, size_t length, uint64_t offset)
{
    size_t done = 0;
    while (done < length) {
        ssize_t n = pread(fd, buffer + done, length - done, (off_t)(offset + done));
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            fprintf(stderr, "blk-server: read at byte %llu: %s\n", (unsigned long long)(offset + done),
                    n < 0 ? strerror(errno) : "end of disk");
            return false;
        }
        done += (size_t)n;
    }
    return true;
}

static bool write_exactly(int fd, const uint8_t *buffer, size_t length, uint64_t offset)
{
    size_t done = 0;
    while (done < length) {
        ssize_t n = pwrite(fd, buffer + done, length - done, (off_t)(offset + done));
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            fprintf(stderr, "blk-server: write at byte %llu: %s\n", (unsigned long long)(offset + done),
                    n < 0 ? strerror(errno) : "end of disk");
            return false;
        }
        done += (size_t)n;
    }
    return true;
}

/* Whole bounce-sized pieces: the server asks for whole 4 KiB units at unit offsets, so every
 * piece keeps O_DIRECT's alignment. Returns the bytes done before the first failure. */
static size_t disk_read(void *context, uint64_t offset, void *buffer, size_t length)
{
    struct disk *d = context;
    size_t done = 0;
    while (done < length) {
        size_t piece = length - done < BOUNCE_SIZE ? length - done : BOUNCE_SIZE;
        if (!read_exactly(d->fd, d->bounce, piece, offset + done)) {
            break;
        }
        memcpy((uint8_t *)buffer + done, d->bounce, piece);
        done += piece;
    }
    return done;
}

static size_t disk_write(void *context, uint64_t offset, const void *buffer, size_t length)
{
    struct disk *d = context;
    size_t done = 0;
    while (done < length) {
        size_t piece = length - done < BOUNCE_SIZE ? length - done : BOUNCE_SIZE;
        memcpy(d->bounce, (const uint8_t *)buffer + done, piece);
        if (!write_exactly(d->fd, d->bounce, piece, offset + done)) {
            break;
        }
        done += piece;
    }
    return done;
}

static int disk_flush(void *context)
{
    return fdatasync(((struct disk *)context)->fd) == 0 ? 0 : -1;
}

/* The doorbell back to the virtualiser: re-enable the UIO interrupt. */
static void ring(int uio)
{
    uint32_t on = 1;
    if (write(uio, &on, sizeof(on)) != sizeof(on)) {
        fprintf(stderr, "blk-server: %s: cannot re-enable the interrupt: %s\n", uio_name, strerror(errno));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s DISK [UIO_DEVICE]\n", argv[0]);
        return 2;
    }
    const char *disk_path = argv[1];
    const char *uio_path = argc == 3 ? argv[2] : "/dev/uio0";
    uio_name = strrchr(uio_path, '/') != NULL ? strrchr(uio_path, '/') + 1 : uio_path;
    int uio = open(uio_path, O_RDWR);
    if (uio < 0) {
        fprintf(stderr, "blk-server: cannot open %s: %s\n", uio_path, strerror(errno));
        return 1;
    }
    uint64_t sizes[MAX_MAPS];
    void *maps[MAX_MAPS];
    unsigned count = 0;
    while (count < MAX_MAPS && (maps[count] = map_uio(uio, uio_name, count, &sizes[count])) != NULL) {
        count++;
    }
    if (count <= FIRST_WINDOW_MAP || sizes[0] < sizeof(struct blk_storage_info)) {
        fprintf(stderr, "blk-server: %s has %u maps; it needs storage info, two queues and data windows\n", uio_path,
                count);
        return 1;
    }
    struct blk_storage_info *info = maps[0];

    struct disk disk = {open(disk_path, O_RDWR | O_DIRECT), NULL};
    uint64_t bytes = 0;
    int sector_size = 0;
    if (disk.fd < 0 || ioctl(disk.fd, BLKGETSIZE64, &bytes) != 0 || ioctl(disk.fd, BLKSSZGET, &sector_size) != 0) {
        fprintf(stderr, "blk-server: no disk: cannot use %s: %s; the clients will boot without one\n", disk_path,
                strerror(errno));
        blk_storage_set_absent(info);
        ring(uio);
        return 1;
    }
    if (posix_memalign((void **)&disk.bounce, BOUNCE_ALIGN, BOUNCE_SIZE) != 0) {
        fprintf(stderr, "blk-server: no memory for a %u KiB buffer; the clients will boot without a disk\n",
                BOUNCE_SIZE >> 10);
        blk_storage_set_absent(info);
        ring(uio);
        return 1;
    }
    struct blk_queue_handle queue;
    struct blk_server_window windows[BLK_SERVER_MAX_WINDOWS];
    uint64_t offset = 0;
    for (unsigned i = FIRST_WINDOW_MAP; i < count; i++) {
        windows[i - FIRST_WINDOW_MAP] = (struct blk_server_window){offset, sizes[i], maps[i]};
        offset += sizes[i];
    }
    struct blk_server server;
    struct blk_server_backend backend = {&disk, disk_read, disk_write, disk_flush};
    if (!blk_queue_init(&queue, maps[1], sizes[1], maps[2], sizes[2]) ||
        !blk_server_init(&server, queue, &backend, bytes / BLK_TRANSFER_SIZE, windows, count - FIRST_WINDOW_MAP)) {
        fprintf(stderr, "blk-server: the shared regions of %s are unusable (queues or windows)\n", uio_path);
        blk_storage_set_absent(info);
        ring(uio);
        return 1;
    }
    struct blk_storage_info published = {.sector_size = (uint32_t)sector_size,
                                         .capacity = bytes / BLK_TRANSFER_SIZE,
                                         .queue_depth = queue.requests.capacity};
    snprintf(published.serial, sizeof(published.serial), "tessera-%s",
             strrchr(disk_path, '/') != NULL ? strrchr(disk_path, '/') + 1 : disk_path);
    blk_storage_publish(info, &published);
    printf("blk-server: serving %s (%llu MiB, %d-byte sectors) on %s\n", disk_path, (unsigned long long)(bytes >> 20),
           sector_size, uio_path);
    fflush(stdout);
    ring(uio);
    for (;;) {
        bool notify = false;
        /* Everything waiting, then one doorbell back (the VMM and the virtualiser batch too). */
        while (blk_server_serve(&server, 1024, &notify) > 0) {
        }
        ring(uio);
        uint32_t events;
        if (read(uio, &events, sizeof(events)) != sizeof(events) && errno != EINTR) {
            fprintf(stderr, "blk-server: %s: %s\n", uio_path, strerror(errno));
            return 1;
        }
    }
}
