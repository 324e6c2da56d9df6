/*
 * What a guest's emulated devices occupy: windows of guest-physical address space, each with the
 * handlers its accesses go to, and level-triggered interrupt lines (vIRQ sources), each with the
 * function that tells whether the line is up. Portable and host-tested; vmm.c owns one of each
 * per guest and consults them on every MMIO exit and every end of interrupt.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <vmm/vgic.h>

#define MMIO_REGISTRY_MAX 8
#define VIRQ_REGISTRY_MAX 8

/* An emulated device region: guest accesses inside it call these (offset from the base). */
typedef uint64_t (*vmm_mmio_read_fn)(void *context, uint64_t offset, unsigned size);
typedef void (*vmm_mmio_write_fn)(void *context, uint64_t offset, unsigned size, uint64_t value);

struct mmio_region {
    uint64_t base;
    uint64_t size;
    vmm_mmio_read_fn read;
    vmm_mmio_write_fn write;
    void *context;
};

struct mmio_registry {
    struct mmio_region regions[MMIO_REGISTRY_MAX];
    unsigned count;
};

/* Emulate [base, base + size). False, and nothing registered, if the table is full, a handler is
 * missing, size is 0, base + size does not fit in 64 bits, or the window overlaps one already
 * there. */
bool mmio_registry_add(struct mmio_registry *r, uint64_t base, uint64_t size, vmm_mmio_read_fn read,
                       vmm_mmio_write_fn write, void *context);
/* The region that holds the whole access [address, address + size), or NULL: an access that
 * starts inside a window but runs past its end belongs to no device. */
const struct mmio_region *mmio_registry_find(const struct mmio_registry *r, uint64_t address, unsigned size);

/* An emulated device's level-triggered interrupt line. */
typedef bool (*vmm_virq_level_fn)(void *context);

struct virq_source {
    unsigned virq;
    vmm_virq_level_fn asserted; /* whether the line is up now */
    void *context;
};

struct virq_registry {
    struct virq_source sources[VIRQ_REGISTRY_MAX];
    unsigned count;
};

/* A device line is an SPI of the emulated GIC (VIRQ_FIRST_SPI up to VGIC_IRQ_COUNT - 1). SGIs
 * and PPIs (0..31) belong to the vCPU (the virtual timer is PPI 27), not to a device. */
#define VIRQ_FIRST_SPI 32

/* False, and nothing registered, if the table is full, `asserted` is missing, virq is not an
 * SPI, or virq already has a source (one line, one owner). */
bool virq_registry_add(struct virq_registry *r, unsigned virq, vmm_virq_level_fn asserted, void *context);
const struct virq_source *virq_registry_find(const struct virq_registry *r, unsigned virq);
/* Forget virq's source (a registration undone). False if it had none. */
bool virq_registry_remove(struct virq_registry *r, unsigned virq);
