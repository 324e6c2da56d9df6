/*
 * The physical GIC as the kernel uses it: distributor and CPU interface for interrupts that
 * reach EL2 (the arch_irq_* calls of <kernel/arch.h>), and the virtual CPU interface (list
 * registers) for vCPUs. GICv2 and GICv3 are both supported; the version is read from
 * ID_AA64PFR0_EL1 at boot and each call dispatches on it. The interrupt ids the kernel keeps
 * (INTID_*) and struct vgic_state are in <arch/machine.h>.
 */
#pragma once

#include <kernel/arch.h>

/* Interrupt ids 1020..1023 are special: nothing to take. */
#define INTID_FIRST_SPECIAL 1020

void gic_init(void);
unsigned gic_version(void);

/* List register values, kept in one format (GICv3's 64-bit layout) and converted for GICv2. */
#define LR_STATE_PENDING  (1UL << 62)
#define LR_STATE_ACTIVE   (1UL << 63)
#define LR_STATE_MASK     (3UL << 62)
#define LR_GROUP1         (1UL << 60)
#define LR_EOI            (1UL << 41)
#define LR_PRIORITY_SHIFT 48

unsigned gic_lr_count(void);
uint64_t gic_make_lr(uint32_t vintid, unsigned priority, unsigned group);
void gic_vcpu_save(struct vgic_state *state);
void gic_vcpu_restore(const struct vgic_state *state);
uint64_t gic_read_lr(unsigned index);
void gic_write_lr(unsigned index, uint64_t value);
uint32_t gic_eoi_status(void); /* bitmap of list registers whose EOI maintenance is due */
