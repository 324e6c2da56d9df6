/*
 * GICv3 register maps (ARM IHI 0069, 12.9 distributor, 12.11 redistributor) over the shared vGIC
 * state. With affinity routing, SGIs and PPIs (0..31) live in the redistributor's SGI_base frame,
 * whose registers sit at the same offsets as the GICv2 distributor's bank 0: both reuse the
 * GICv2 map for them.
 */
#include <vmm/vgic.h>
#include "vgic_internal.h"

#define GICD_CTLR    0x0000
#define GICD_TYPER   0x0004
#define GICD_IIDR    0x0008
#define GICD_TYPER2  0x000c
#define GICD_IROUTER 0x6000
#define GICD_PIDR2   0xffe8
#define CTLR_ARE     (1u << 4)
#define CTLR_DS      (1u << 6)

#define GICR_CTLR    0x0000
#define GICR_IIDR    0x0004
#define GICR_TYPER   0x0008
#define GICR_WAKER   0x0014
#define GICR_PIDR2   0xffe8
#define SGI_BASE     0x10000
#define WAKER_SLEEP  (1u << 1)
#define WAKER_ASLEEP (1u << 2)

#define PIDR2_GICV3 0x3b

/* Offsets of the per-interrupt register arrays that have the same layout as GICv2's. */
static bool shared_layout(uint64_t offset)
{
    return (offset >= 0x0080 && offset < 0x0400) || (offset >= 0x0400 && offset < 0x0400 + VGIC_IRQ_COUNT) ||
           (offset >= 0x0c00 && offset < 0x0c00 + VGIC_IRQ_COUNT / 4);
}

/* GICD_IROUTER<n> (12.9.22): one 64-bit register per SPI, accessed whole or as aligned 32-bit
 * halves; those of SGIs and PPIs (n < 32) are reserved. */
static bool irouter_access(uint64_t offset, unsigned size)
{
    return offset >= GICD_IROUTER + 8 * 32 && offset < GICD_IROUTER + 8 * VGIC_IRQ_COUNT && (size == 8 || size == 4) &&
           (offset & (size - 1)) == 0;
}

/* In the distributor, the first bank (0..31) of each array is RAZ/WI under affinity routing. */
static bool first_bank(uint64_t offset)
{
    uint64_t base = offset >= 0x0c00 ? 0x0c00 : offset >= 0x0400 ? 0x0400 : offset & ~0x7fUL;
    uint64_t bank_bytes = offset >= 0x0c00 ? 8 : offset >= 0x0400 ? 32 : 4;
    return offset - base < bank_bytes;
}

uint64_t vgic_v3_dist_read(struct vgic *vgic, uint64_t offset, unsigned size)
{
    if (irouter_access(offset, size)) {
        uint64_t value = vgic->irouter[(offset - GICD_IROUTER) / 8];
        return (offset & 4) ? value >> 32 : (size == 8 ? value : (uint32_t)value);
    }
    if (size != 4 && !(size == 1 && offset >= 0x400 && offset < 0x400 + VGIC_IRQ_COUNT)) {
        vgic->bad_accesses++;
        return 0;
    }
    switch (offset) {
    case GICD_CTLR:
        return vgic->ctlr | CTLR_ARE | CTLR_DS;
    case GICD_TYPER:
        /* ITLinesNumber, IDbits = 9 (10-bit INTIDs), no LPIs, no security extensions */
        return ((VGIC_IRQ_COUNT / 32 - 1) & 0x1f) | (9u << 19);
    case GICD_IIDR:
        return 0x0300143bu;
    case GICD_TYPER2:
        return 0;
    case GICD_PIDR2:
        return PIDR2_GICV3;
    default:
        break;
    }
    if (shared_layout(offset)) {
        return first_bank(offset) ? 0 : vgic_dist_read(vgic, offset, size);
    }
    if (offset >= 0x0d00 && offset < 0x0d80) {
        return 0; /* IGRPMODR: group modifiers, only meaningful with two security states */
    }
    if (offset >= 0xffd0 && offset < VGIC_V3_DIST_SIZE) {
        return 0; /* other ID registers */
    }
    vgic->bad_accesses++;
    return 0;
}

void vgic_v3_dist_write(struct vgic *vgic, uint64_t offset, unsigned size, uint64_t value)
{
    if (irouter_access(offset, size)) {
        uint64_t *slot = &vgic->irouter[(offset - GICD_IROUTER) / 8];
        if (size == 8) {
            *slot = value;
        } else if (offset & 4) {
            *slot = (*slot & 0xffffffffUL) | value << 32;
        } else {
            *slot = (*slot & ~0xffffffffUL) | (uint32_t)value;
        }
        return;
    }
    if (size != 4 && !(size == 1 && offset >= 0x400 && offset < 0x400 + VGIC_IRQ_COUNT)) {
        vgic->bad_accesses++;
        return;
    }
    if (offset == GICD_CTLR) {
        vgic->ctlr = (uint32_t)value & 3;
        vgic_flush(vgic);
        return;
    }
    if (shared_layout(offset)) {
        if (!first_bank(offset)) {
            vgic_dist_write(vgic, offset, size, (uint32_t)value);
        }
        return;
    }
    if ((offset >= 0x0d00 && offset < 0x0d80) || (offset >= 0xffd0 && offset < VGIC_V3_DIST_SIZE)) {
        return;
    }
    vgic->bad_accesses++;
}

uint64_t vgic_v3_redist_read(struct vgic *vgic, uint64_t offset, unsigned size)
{
    if (offset == GICR_TYPER && (size == 8 || size == 4)) {
        return 1u << 4; /* Last: the only redistributor; processor 0, affinity 0.0.0.0 */
    }
    if (offset == GICR_TYPER + 4 && size == 4) {
        return 0;
    }
    if (offset >= SGI_BASE) {
        uint64_t sgi_offset = offset - SGI_BASE;
        if (shared_layout(sgi_offset) && first_bank(sgi_offset)) {
            return vgic_dist_read(vgic, sgi_offset, size);
        }
        if (size == 4 && sgi_offset >= 0x0d00 && sgi_offset < 0x0d04) {
            return 0;
        }
        vgic->bad_accesses++;
        return 0;
    }
    if (size != 4) {
        vgic->bad_accesses++;
        return 0;
    }
    switch (offset) {
    case GICR_CTLR:
        return 0;
    case GICR_IIDR:
        return 0x0300143bu;
    case GICR_WAKER:
        return vgic->redist_waker & WAKER_SLEEP ? WAKER_SLEEP | WAKER_ASLEEP : 0;
    case GICR_PIDR2:
        return PIDR2_GICV3;
    default:
        if (offset >= 0xffd0) {
            return 0;
        }
        vgic->bad_accesses++;
        return 0;
    }
}

void vgic_v3_redist_write(struct vgic *vgic, uint64_t offset, unsigned size, uint64_t value)
{
    if (offset >= SGI_BASE) {
        uint64_t sgi_offset = offset - SGI_BASE;
        if (shared_layout(sgi_offset) && first_bank(sgi_offset)) {
            vgic_dist_write(vgic, sgi_offset, size, (uint32_t)value);
        } else if (!(size == 4 && sgi_offset >= 0x0d00 && sgi_offset < 0x0d04)) {
            vgic->bad_accesses++;
        }
        return;
    }
    if (size == 4 && offset == GICR_WAKER) {
        vgic->redist_waker = (uint32_t)value & WAKER_SLEEP;
        return;
    }
    if (size == 4 && offset == GICR_CTLR) {
        return; /* no LPIs to enable */
    }
    vgic->bad_accesses++;
}

void vgic_v3_sgi1r(struct vgic *vgic, uint64_t value)
{
    /* INTID[27:24], Aff1[23:16], TargetList[15:0], Aff2[39:32], IRM[40], RS[47:44] (the target
     * list covers Aff0 16 * RS to 16 * RS + 15), Aff3[55:48]; this vCPU is affinity 0.0.0.0. */
    unsigned intid = (unsigned)(value >> 24) & 0xf;
    bool to_self = ((value >> 40) & 1) == 0 && ((value >> 16) & 0xff) == 0 && (value & 1) &&
                   ((value >> 32) & 0xff) == 0 && ((value >> 44) & 0xf) == 0 && ((value >> 48) & 0xff) == 0;
    if (to_self) {
        vgic_make_pending(vgic, intid);
        vgic_flush(vgic);
    }
}
