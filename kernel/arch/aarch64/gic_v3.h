/* GICv3 back end of gic.h. */
#pragma once

#include "gic.h"

void gicv3_init(void);
uint32_t gicv3_acknowledge(void);
void gicv3_end_of_interrupt(uint32_t intid);
void gicv3_mask(uint32_t intid);
void gicv3_unmask(uint32_t intid);
void gicv3_configure_spi(uint32_t intid, bool edge);
unsigned gicv3_lr_count(void);
uint64_t gicv3_read_lr(unsigned index);
void gicv3_write_lr(unsigned index, uint64_t value);
uint32_t gicv3_eoi_status(void);
void gicv3_vcpu_save(struct vgic_state *state);
void gicv3_vcpu_restore(const struct vgic_state *state);
