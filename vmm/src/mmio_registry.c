#include <stddef.h>
#include <vmm/mmio_registry.h>

bool mmio_registry_add(struct mmio_registry *r, uint64_t base, uint64_t size, vmm_mmio_read_fn read,
                       vmm_mmio_write_fn write, void *context)
{
    uint64_t end;
    if (r->count >= MMIO_REGISTRY_MAX || read == NULL || write == NULL || size == 0 ||
        __builtin_add_overflow(base, size, &end)) {
        return false;
    }
    for (unsigned i = 0; i < r->count; i++) {
        const struct mmio_region *other = &r->regions[i];
        /* Registered regions never wrap, so their end is exact. Half-open intervals: touching
         * windows do not overlap. */
        if (base < other->base + other->size && other->base < end) {
            return false;
        }
    }
    r->regions[r->count++] = (struct mmio_region){base, size, read, write, context};
    return true;
}

const struct mmio_region *mmio_registry_find(const struct mmio_registry *r, uint64_t address, unsigned size)
{
    for (unsigned i = 0; i < r->count; i++) {
        const struct mmio_region *region = &r->regions[i];
        /* Offsets, not ends, so that nothing here can wrap: an address near 2^64 included. */
        if (address >= region->base && address - region->base < region->size &&
            size <= region->size - (address - region->base)) {
            return region;
        }
    }
    return NULL;
}

bool virq_registry_add(struct virq_registry *r, unsigned virq, vmm_virq_level_fn asserted, void *context)
{
    if (r->count >= VIRQ_REGISTRY_MAX || asserted == NULL || virq < VIRQ_FIRST_SPI || virq >= VGIC_IRQ_COUNT ||
        virq_registry_find(r, virq) != NULL) {
        return false;
    }
    r->sources[r->count++] = (struct virq_source){virq, asserted, context};
    return true;
}

const struct virq_source *virq_registry_find(const struct virq_registry *r, unsigned virq)
{
    for (unsigned i = 0; i < r->count; i++) {
        if (r->sources[i].virq == virq) {
            return &r->sources[i];
        }
    }
    return NULL;
}

bool virq_registry_remove(struct virq_registry *r, unsigned virq)
{
    for (unsigned i = 0; i < r->count; i++) {
        if (r->sources[i].virq == virq) {
            for (unsigned j = i + 1; j < r->count; j++) {
                r->sources[j - 1] = r->sources[j];
            }
            r->count--;
            return true;
        }
    }
    return false;
}
