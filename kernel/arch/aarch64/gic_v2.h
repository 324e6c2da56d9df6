/* GICv2 back end of gic.h. */
#pragma once

#include "gic.h"

void gicv2_init(void);
uint32_t gicv2_acknowledge(void);
void gicv2_end_of_interrupt(uint32_t intid);
void gicv2_mask(uint32_t intid);
void gicv2_unmask(uint32_t intid);
void gicv2_configure_spi(uint32_t intid, bool edge);
unsigned gicv2_lr_count(void);
uint64_t gicv2_read_lr(unsigned index);
void gicv2_write_lr(unsigned index, uint64_t value);
uint32_t gicv2_eoi_status(void);
void gicv2_vcpu_save(struct vgic_state *state);
void gicv2_vcpu_restore(const struct vgic_state *state);
