/* What the GICv2 and GICv3 register maps share with the vGIC core (vgic.c). */
#pragma once

#include <vmm/vgic.h>

bool vgic_bit(const uint32_t *bits, unsigned irq);
void vgic_set_bit(uint32_t *bits, unsigned irq, bool value);
bool vgic_in_lr(const struct vgic *vgic, unsigned irq);
void vgic_make_pending(struct vgic *vgic, unsigned irq);
/* Fill free list registers from the queue. */
void vgic_flush(struct vgic *vgic);
