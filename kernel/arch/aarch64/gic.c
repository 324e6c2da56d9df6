/* Version dispatch for gic.h: GICv3 when ID_AA64PFR0_EL1.GIC says the system-register interface
 * exists and the board has redistributors, GICv2 otherwise. */
#include <board.h>
#include <kernel/arch.h>
#include "gic_v2.h"
#include "registers.h"
#include "gic_v3.h"

static unsigned version;

/* Boards without a GICv3 (the Odroid-C4's GIC-400) compile the GICv3 calls away. */
static inline bool use_v3(void)
{
    return BOARD_HAS_GICV3 && version == 3;
}

void gic_init(void)
{
    word_t pfr0 = read_sysreg(id_aa64pfr0_el1);
    version = (((pfr0 >> 24) & 0xf) != 0 && BOARD_HAS_GICV3) ? 3 : 2;
    if (use_v3()) {
        gicv3_init();
    } else {
        gicv2_init();
    }
}

unsigned gic_version(void)
{
    return version;
}

const char *arch_irq_controller_name(void)
{
    return use_v3() ? "GICv3" : "GICv2";
}

uint32_t arch_irq_acknowledge(void)
{
    uint32_t intid = use_v3() ? gicv3_acknowledge() : gicv2_acknowledge();
    return intid >= INTID_FIRST_SPECIAL ? ARCH_IRQ_NONE : intid;
}

void arch_irq_end(uint32_t intid)
{
    if (use_v3()) {
        gicv3_end_of_interrupt(intid);
    } else {
        gicv2_end_of_interrupt(intid);
    }
}

void arch_irq_mask(uint32_t intid)
{
    if (use_v3()) {
        gicv3_mask(intid);
    } else {
        gicv2_mask(intid);
    }
}

void arch_irq_unmask(uint32_t intid)
{
    if (use_v3()) {
        gicv3_unmask(intid);
    } else {
        gicv2_unmask(intid);
    }
}

void arch_irq_configure(uint32_t intid, bool edge)
{
    if (use_v3()) {
        gicv3_configure_spi(intid, edge);
    } else {
        gicv2_configure_spi(intid, edge);
    }
}

unsigned gic_lr_count(void)
{
    unsigned count = use_v3() ? gicv3_lr_count() : gicv2_lr_count();
    return count > 4 ? 4 : count;
}

uint64_t gic_make_lr(uint32_t vintid, unsigned priority, unsigned group)
{
    return (uint64_t)vintid | ((uint64_t)(priority & 0xff) << LR_PRIORITY_SHIFT) | (group ? LR_GROUP1 : 0) |
           LR_STATE_PENDING | LR_EOI;
}

uint64_t gic_read_lr(unsigned index)
{
    return use_v3() ? gicv3_read_lr(index) : gicv2_read_lr(index);
}

void gic_write_lr(unsigned index, uint64_t value)
{
    if (use_v3()) {
        gicv3_write_lr(index, value);
    } else {
        gicv2_write_lr(index, value);
    }
}

uint32_t gic_eoi_status(void)
{
    return use_v3() ? gicv3_eoi_status() : gicv2_eoi_status();
}

void gic_vcpu_save(struct vgic_state *state)
{
    if (use_v3()) {
        gicv3_vcpu_save(state);
    } else {
        gicv2_vcpu_save(state);
    }
}

void gic_vcpu_restore(const struct vgic_state *state)
{
    if (use_v3()) {
        gicv3_vcpu_restore(state);
    } else {
        gicv2_vcpu_restore(state);
    }
}
