/* GICv2 (ARM IHI 0048B): distributor, CPU interface, virtual interface control (GICH). */
#include <board.h>
#include <kernel/arch.h>
#include "registers.h"
#include "gic_v2.h"

#define GICD_CTLR       0x000
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ICPENDR    0x280
#define GICD_ICACTIVER  0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00

#define GICC_CTLR 0x00
#define GICC_PMR  0x04
#define GICC_BPR  0x08
#define GICC_IAR  0x0c
#define GICC_EOIR 0x10

#define GICH_HCR   0x000
#define GICH_VTR   0x004
#define GICH_VMCR  0x008
#define GICH_MISR  0x010
#define GICH_EISR0 0x020
#define GICH_APR   0x0f0
#define GICH_LR0   0x100

/* GICv2 list register: VirtualID[9:0], EOI[19], Priority[27:23], State[29:28], Grp1[30]. */
#define V2_LR_EOI     (1u << 19)
#define V2_LR_PENDING (1u << 28)
#define V2_LR_ACTIVE  (1u << 29)
#define V2_LR_GRP1    (1u << 30)

static void dist_write(unsigned offset, uint32_t value)
{
    mmio_write32(BOARD_GICD_BASE + offset, value);
}

static uint32_t dist_read(unsigned offset)
{
    return mmio_read32(BOARD_GICD_BASE + offset);
}

void gicv2_init(void)
{
    dist_write(GICD_CTLR, 0);
    for (unsigned i = 32; i <= BOARD_GIC_MAX_INTID; i += 32) {
        dist_write(GICD_ICENABLER + i / 8, 0xffffffffu);
        dist_write(GICD_ICPENDR + i / 8, 0xffffffffu);
        dist_write(GICD_ICACTIVER + i / 8, 0xffffffffu);
    }
    for (unsigned i = 32; i <= BOARD_GIC_MAX_INTID; i += 4) {
        dist_write(GICD_IPRIORITYR + i, 0xa0a0a0a0u);
        dist_write(GICD_ITARGETSR + i, 0x01010101u);
    }
    /* SGIs and PPIs of this core: disabled until asked for, mid priority. */
    dist_write(GICD_ICENABLER, 0xffffffffu);
    for (unsigned i = 0; i < 32; i += 4) {
        dist_write(GICD_IPRIORITYR + i, 0xa0a0a0a0u);
    }
    dist_write(GICD_CTLR, 3);

    mmio_write32(BOARD_GICC_BASE + GICC_PMR, 0xf0);
    mmio_write32(BOARD_GICC_BASE + GICC_BPR, 0);
    mmio_write32(BOARD_GICC_BASE + GICC_CTLR, 3);
    mmio_write32(BOARD_GICH_BASE + GICH_HCR, 1);
}

uint32_t gicv2_acknowledge(void)
{
    return mmio_read32(BOARD_GICC_BASE + GICC_IAR) & 0x3ff;
}

void gicv2_end_of_interrupt(uint32_t intid)
{
    mmio_write32(BOARD_GICC_BASE + GICC_EOIR, intid);
}

void gicv2_mask(uint32_t intid)
{
    dist_write(GICD_ICENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

void gicv2_unmask(uint32_t intid)
{
    dist_write(GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
}

void gicv2_configure_spi(uint32_t intid, bool edge)
{
    unsigned offset = GICD_ICFGR + (intid / 16) * 4;
    unsigned shift = (intid % 16) * 2 + 1;
    uint32_t value = dist_read(offset) & ~(1u << shift);
    dist_write(offset, value | ((edge ? 1u : 0u) << shift));
}

unsigned gicv2_lr_count(void)
{
    return (mmio_read32(BOARD_GICH_BASE + GICH_VTR) & 0x3f) + 1;
}

static uint32_t lr_to_v2(uint64_t lr)
{
    uint32_t value = (uint32_t)(lr & 0x3ff);
    value |= (uint32_t)((lr >> LR_PRIORITY_SHIFT) >> 3 & 0x1f) << 23;
    value |= (lr & LR_STATE_PENDING) ? V2_LR_PENDING : 0;
    value |= (lr & LR_STATE_ACTIVE) ? V2_LR_ACTIVE : 0;
    value |= (lr & LR_GROUP1) ? V2_LR_GRP1 : 0;
    value |= (lr & LR_EOI) ? V2_LR_EOI : 0;
    return value;
}

static uint64_t lr_from_v2(uint32_t value)
{
    uint64_t lr = value & 0x3ff;
    lr |= (uint64_t)((value >> 23) & 0x1f) << 3 << LR_PRIORITY_SHIFT;
    lr |= (value & V2_LR_PENDING) ? LR_STATE_PENDING : 0;
    lr |= (value & V2_LR_ACTIVE) ? LR_STATE_ACTIVE : 0;
    lr |= (value & V2_LR_GRP1) ? LR_GROUP1 : 0;
    lr |= (value & V2_LR_EOI) ? LR_EOI : 0;
    return lr;
}

uint64_t gicv2_read_lr(unsigned index)
{
    return lr_from_v2(mmio_read32(BOARD_GICH_BASE + GICH_LR0 + 4 * index));
}

void gicv2_write_lr(unsigned index, uint64_t value)
{
    mmio_write32(BOARD_GICH_BASE + GICH_LR0 + 4 * index, lr_to_v2(value));
}

uint32_t gicv2_eoi_status(void)
{
    return mmio_read32(BOARD_GICH_BASE + GICH_EISR0);
}

void gicv2_vcpu_save(struct vgic_state *state)
{
    state->hcr = mmio_read32(BOARD_GICH_BASE + GICH_HCR);
    state->vmcr = mmio_read32(BOARD_GICH_BASE + GICH_VMCR);
    state->apr[0] = mmio_read32(BOARD_GICH_BASE + GICH_APR);
    for (unsigned i = 0; i < 4; i++) {
        state->lr[i] = gicv2_read_lr(i);
    }
}

void gicv2_vcpu_restore(const struct vgic_state *state)
{
    mmio_write32(BOARD_GICH_BASE + GICH_VMCR, state->vmcr);
    mmio_write32(BOARD_GICH_BASE + GICH_APR, state->apr[0]);
    for (unsigned i = 0; i < 4; i++) {
        gicv2_write_lr(i, state->lr[i]);
    }
    mmio_write32(BOARD_GICH_BASE + GICH_HCR, state->hcr);
}
