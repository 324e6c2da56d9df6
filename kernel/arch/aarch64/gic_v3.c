/* GICv3 (ARM IHI 0069): distributor with affinity routing, this core's redistributor, the CPU
 * interface and virtual interface through system registers (ICC_*, ICH_*). */
#include <board.h>
#include <kernel/arch.h>
#include "registers.h"
#include "gic_v3.h"

#if BOARD_HAS_GICV3

#define GICD_CTLR       0x0000
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_ICPENDR    0x0280
#define GICD_ICACTIVER  0x0380
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0c00
#define GICD_IROUTER    0x6000
#define GICD_CTLR_RWP   (1u << 31)
#define GICD_CTLR_ARE   (1u << 4)

#define GICR_WAKER            0x0014
#define GICR_SGI_BASE         0x10000
#define GICR_IGROUPR0         (GICR_SGI_BASE + 0x0080)
#define GICR_ISENABLER0       (GICR_SGI_BASE + 0x0100)
#define GICR_ICENABLER0       (GICR_SGI_BASE + 0x0180)
#define GICR_IPRIORITYR       (GICR_SGI_BASE + 0x0400)
#define WAKER_PROCESSOR_SLEEP (1u << 1)
#define WAKER_CHILDREN_ASLEEP (1u << 2)

/* System register encodings, so no assembler GIC extension is needed. */
#define ICC_PMR_EL1     S3_0_C4_C6_0
#define ICC_IAR1_EL1    S3_0_C12_C12_0
#define ICC_EOIR1_EL1   S3_0_C12_C12_1
#define ICC_BPR1_EL1    S3_0_C12_C12_3
#define ICC_CTLR_EL1    S3_0_C12_C12_4
#define ICC_IGRPEN1_EL1 S3_0_C12_C12_7
#define ICC_SRE_EL2     S3_4_C12_C9_5
#define ICH_AP0R0_EL2   S3_4_C12_C8_0
#define ICH_AP1R0_EL2   S3_4_C12_C9_0
#define ICH_HCR_EL2     S3_4_C12_C11_0
#define ICH_VTR_EL2     S3_4_C12_C11_1
#define ICH_EISR_EL2    S3_4_C12_C11_3
#define ICH_VMCR_EL2    S3_4_C12_C11_7
#define ICH_LR0_EL2     S3_4_C12_C12_0
#define ICH_LR1_EL2     S3_4_C12_C12_1
#define ICH_LR2_EL2     S3_4_C12_C12_2
#define ICH_LR3_EL2     S3_4_C12_C12_3

#define sysreg_read(enc)         read_sysreg(enc)
#define sysreg_write(enc, value) write_sysreg(enc, value)

static void dist_wait(void)
{
    while (mmio_read32(BOARD_GICD_BASE + GICD_CTLR) & GICD_CTLR_RWP) {
    }
}

static paddr_t redist(unsigned offset)
{
    return BOARD_GICR_BASE + offset;
}

void gicv3_init(void)
{
    mmio_write32(BOARD_GICD_BASE + GICD_CTLR, 0);
    dist_wait();
    for (unsigned i = 32; i <= BOARD_GIC_MAX_INTID; i += 32) {
        mmio_write32(BOARD_GICD_BASE + GICD_ICENABLER + i / 8, 0xffffffffu);
        mmio_write32(BOARD_GICD_BASE + GICD_ICPENDR + i / 8, 0xffffffffu);
        mmio_write32(BOARD_GICD_BASE + GICD_ICACTIVER + i / 8, 0xffffffffu);
        mmio_write32(BOARD_GICD_BASE + GICD_IGROUPR + i / 8, 0xffffffffu);
    }
    for (unsigned i = 32; i <= BOARD_GIC_MAX_INTID; i += 4) {
        mmio_write32(BOARD_GICD_BASE + GICD_IPRIORITYR + i, 0xa0a0a0a0u);
    }
    for (unsigned i = 32; i <= BOARD_GIC_MAX_INTID; i++) {
        /* Route every SPI to core 0 (affinity 0.0.0.0). */
        *(volatile uint64_t *)(BOARD_GICD_BASE + GICD_IROUTER + 8 * i) = 0;
    }
    mmio_write32(BOARD_GICD_BASE + GICD_CTLR, GICD_CTLR_ARE | 3);
    dist_wait();

    uint32_t waker = mmio_read32(redist(GICR_WAKER));
    mmio_write32(redist(GICR_WAKER), waker & ~WAKER_PROCESSOR_SLEEP);
    while (mmio_read32(redist(GICR_WAKER)) & WAKER_CHILDREN_ASLEEP) {
    }
    mmio_write32(redist(GICR_ICENABLER0), 0xffffffffu);
    mmio_write32(redist(GICR_IGROUPR0), 0xffffffffu);
    for (unsigned i = 0; i < 32; i += 4) {
        mmio_write32(redist(GICR_IPRIORITYR + i), 0xa0a0a0a0u);
    }

    /* System-register interface at EL2, and let EL1 use its (virtual) one. */
    sysreg_write(ICC_SRE_EL2, 0xf);
    isb();
    sysreg_write(ICC_PMR_EL1, 0xf0);
    sysreg_write(ICC_BPR1_EL1, 0);
    sysreg_write(ICC_CTLR_EL1, 0);
    sysreg_write(ICC_IGRPEN1_EL1, 1);
    sysreg_write(ICH_HCR_EL2, 1);
    isb();
}

uint32_t gicv3_acknowledge(void)
{
    return (uint32_t)sysreg_read(ICC_IAR1_EL1) & 0xffffff;
}

void gicv3_end_of_interrupt(uint32_t intid)
{
    sysreg_write(ICC_EOIR1_EL1, intid);
    isb();
}

void gicv3_mask(uint32_t intid)
{
    if (intid < 32) {
        mmio_write32(redist(GICR_ICENABLER0), 1u << intid);
    } else {
        mmio_write32(BOARD_GICD_BASE + GICD_ICENABLER + (intid / 32) * 4, 1u << (intid % 32));
    }
}

void gicv3_unmask(uint32_t intid)
{
    if (intid < 32) {
        mmio_write32(redist(GICR_ISENABLER0), 1u << intid);
    } else {
        mmio_write32(BOARD_GICD_BASE + GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
    }
}

void gicv3_configure_spi(uint32_t intid, bool edge)
{
    paddr_t reg = BOARD_GICD_BASE + GICD_ICFGR + (intid / 16) * 4;
    unsigned shift = (intid % 16) * 2 + 1;
    uint32_t value = mmio_read32(reg) & ~(1u << shift);
    mmio_write32(reg, value | ((edge ? 1u : 0u) << shift));
}

unsigned gicv3_lr_count(void)
{
    return (unsigned)(sysreg_read(ICH_VTR_EL2) & 0x1f) + 1;
}

uint64_t gicv3_read_lr(unsigned index)
{
    switch (index) {
    case 0:
        return sysreg_read(ICH_LR0_EL2);
    case 1:
        return sysreg_read(ICH_LR1_EL2);
    case 2:
        return sysreg_read(ICH_LR2_EL2);
    default:
        return sysreg_read(ICH_LR3_EL2);
    }
}

void gicv3_write_lr(unsigned index, uint64_t value)
{
    switch (index) {
    case 0:
        sysreg_write(ICH_LR0_EL2, value);
        break;
    case 1:
        sysreg_write(ICH_LR1_EL2, value);
        break;
    case 2:
        sysreg_write(ICH_LR2_EL2, value);
        break;
    default:
        sysreg_write(ICH_LR3_EL2, value);
        break;
    }
}

uint32_t gicv3_eoi_status(void)
{
    return (uint32_t)sysreg_read(ICH_EISR_EL2);
}

void gicv3_vcpu_save(struct vgic_state *state)
{
    state->hcr = (uint32_t)sysreg_read(ICH_HCR_EL2);
    state->vmcr = (uint32_t)sysreg_read(ICH_VMCR_EL2);
    state->apr[0] = (uint32_t)sysreg_read(ICH_AP0R0_EL2);
    state->apr[1] = (uint32_t)sysreg_read(ICH_AP1R0_EL2);
    for (unsigned i = 0; i < 4; i++) {
        state->lr[i] = gicv3_read_lr(i);
    }
}

void gicv3_vcpu_restore(const struct vgic_state *state)
{
    sysreg_write(ICH_VMCR_EL2, state->vmcr);
    sysreg_write(ICH_AP0R0_EL2, state->apr[0]);
    sysreg_write(ICH_AP1R0_EL2, state->apr[1]);
    for (unsigned i = 0; i < 4; i++) {
        gicv3_write_lr(i, state->lr[i]);
    }
    sysreg_write(ICH_HCR_EL2, state->hcr);
    isb();
}

#endif /* BOARD_HAS_GICV3 */
