#include <vmm/vgic.h>
#include "vgic_internal.h"

bool vgic_bit(const uint32_t *bits, unsigned irq)
{
    return (bits[irq / 32] >> (irq % 32)) & 1;
}

void vgic_set_bit(uint32_t *bits, unsigned irq, bool value)
{
    if (value) {
        bits[irq / 32] |= 1u << (irq % 32);
    } else {
        bits[irq / 32] &= ~(1u << (irq % 32));
    }
}

bool vgic_in_lr(const struct vgic *vgic, unsigned irq)
{
    for (unsigned lr = 0; lr < VGIC_LR_COUNT; lr++) {
        if (vgic->lr_irq[lr] == irq) {
            return true;
        }
    }
    return false;
}

void vgic_init(struct vgic *vgic, vgic_inject_fn inject, void *context)
{
    uint8_t *raw = (uint8_t *)vgic;
    for (unsigned i = 0; i < sizeof(*vgic); i++) {
        raw[i] = 0;
    }
    for (unsigned lr = 0; lr < VGIC_LR_COUNT; lr++) {
        vgic->lr_irq[lr] = VGIC_NO_IRQ;
    }
    for (unsigned irq = 0; irq < 32; irq++) {
        vgic->targets[irq] = 1; /* banked: this CPU */
    }
    /* SGIs are edge-triggered and always enabled on GICv2 implementations like QEMU's. */
    vgic->config[0] = 0xaaaaaaaau;
    vgic->enabled[0] = 0xffffu;
    vgic->inject = inject;
    vgic->context = context;
}

static bool deliverable(const struct vgic *vgic, unsigned irq)
{
    /* EnableGrp0 or EnableGrp1: Linux uses group 0 on GICv2 and group 1 on GICv3. */
    return (vgic->ctlr & 3) != 0 && vgic_bit(vgic->enabled, irq);
}

/* Fill free list registers from the queue, oldest first, skipping what cannot be delivered yet. */
void vgic_flush(struct vgic *vgic)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < vgic->queue_length; i++) {
        unsigned irq = vgic->queue[i];
        bool placed = false;
        if (deliverable(vgic, irq) && !vgic_in_lr(vgic, irq)) {
            for (unsigned lr = 0; lr < VGIC_LR_COUNT && !placed; lr++) {
                if (vgic->lr_irq[lr] == VGIC_NO_IRQ && vgic->inject(vgic->context, lr, irq, 0)) {
                    vgic->lr_irq[lr] = (uint16_t)irq;
                    vgic_set_bit(vgic->pending, irq, false);
                    placed = true;
                }
            }
        }
        if (!placed) {
            vgic->queue[kept++] = (uint16_t)irq;
        }
    }
    vgic->queue_length = kept;
}

void vgic_make_pending(struct vgic *vgic, unsigned irq)
{
    if (vgic_bit(vgic->pending, irq)) {
        return; /* already waiting: a second assertion adds nothing */
    }
    vgic_set_bit(vgic->pending, irq, true);
    vgic->queue[vgic->queue_length++] = (uint16_t)irq;
}

bool vgic_inject(struct vgic *vgic, unsigned irq)
{
    if (irq >= VGIC_IRQ_COUNT) {
        return false;
    }
    if (!vgic_in_lr(vgic, irq)) {
        vgic_make_pending(vgic, irq);
    }
    vgic_flush(vgic);
    return true;
}

unsigned vgic_end_of_interrupt(struct vgic *vgic, unsigned lr)
{
    if (lr >= VGIC_LR_COUNT) {
        return VGIC_NO_IRQ;
    }
    unsigned irq = vgic->lr_irq[lr];
    vgic->lr_irq[lr] = VGIC_NO_IRQ;
    vgic_flush(vgic);
    return irq;
}

bool vgic_is_pending(const struct vgic *vgic, unsigned irq)
{
    return irq < VGIC_IRQ_COUNT && (vgic_bit(vgic->pending, irq) || vgic_in_lr(vgic, irq));
}

void vgic_withdraw(struct vgic *vgic, unsigned irq)
{
    if (irq >= VGIC_IRQ_COUNT || !vgic_bit(vgic->pending, irq)) {
        return;
    }
    vgic_set_bit(vgic->pending, irq, false);
    unsigned kept = 0;
    for (unsigned q = 0; q < vgic->queue_length; q++) {
        if (vgic->queue[q] != irq) {
            vgic->queue[kept++] = vgic->queue[q];
        }
    }
    vgic->queue_length = kept;
}
