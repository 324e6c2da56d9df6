/*
 * The virtual GIC distributor of one VM (GICv2, ARM IHI 0048B section 4.3), emulated by
 * trapping, plus the bookkeeping of the four list registers through which the kernel delivers
 * virtual interrupts. Portable: the VMM glue performs the actions (inject into a list register,
 * acknowledge a source) this code asks for. One vCPU for now; targets are kept for later.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VGIC_IRQ_COUNT 288 /* INTIDs 0..287, as QEMU virt's GIC */
#define VGIC_LR_COUNT  4
#define VGIC_NO_IRQ    0xffff
#define VGIC_DIST_SIZE 0x1000

/* Puts a virtual IRQ into list register `lr`; returns false if the kernel refused (the LR still
 * holds an active interrupt). */
typedef bool (*vgic_inject_fn)(void *context, unsigned lr, unsigned irq, unsigned priority);

struct vgic {
    uint32_t ctlr;
    uint32_t group[VGIC_IRQ_COUNT / 32];
    uint32_t enabled[VGIC_IRQ_COUNT / 32];
    uint32_t pending[VGIC_IRQ_COUNT / 32]; /* waiting for a list register */
    uint32_t config[VGIC_IRQ_COUNT / 16];
    uint8_t priority[VGIC_IRQ_COUNT];
    uint8_t targets[VGIC_IRQ_COUNT];
    uint16_t lr_irq[VGIC_LR_COUNT]; /* what each list register holds, or VGIC_NO_IRQ */
    uint16_t queue[VGIC_IRQ_COUNT]; /* pending IRQs in arrival order (no duplicates) */
    unsigned queue_length;
    unsigned bad_accesses; /* guest accesses to offsets or widths the GIC does not have */
    /* GICv3 only */
    uint32_t redist_waker;
    uint64_t irouter[VGIC_IRQ_COUNT];
    vgic_inject_fn inject;
    void *context;
    /* Called for each SPI the guest enables (a set bit in a GICD_ISENABLER write), before the
     * enable takes effect: a doorbell for the VMM (the driver VM's UIO block server re-enables
     * its interrupt to signal). NULL: nothing. */
    void (*enable_hook)(void *context, unsigned irq);
    void *enable_hook_context;
};

void vgic_init(struct vgic *vgic, vgic_inject_fn inject, void *context);
/* Guest accesses to the distributor page. Reads of unknown offsets return 0 (RAZ/WI), counted. */
uint32_t vgic_dist_read(struct vgic *vgic, uint64_t offset, unsigned size);
void vgic_dist_write(struct vgic *vgic, uint64_t offset, unsigned size, uint32_t value);
/* A source raised `irq` (edge, or level just asserted). False if irq is out of range. */
bool vgic_inject(struct vgic *vgic, unsigned irq);
/* The guest ended the interrupt in list register `lr` (GIC maintenance): frees the LR, refills
 * it from the queue, and returns the IRQ that ended (so its source can be acknowledged), or
 * VGIC_NO_IRQ. */
unsigned vgic_end_of_interrupt(struct vgic *vgic, unsigned lr);
bool vgic_is_pending(const struct vgic *vgic, unsigned irq);
/* A level source fell before its pending interrupt was delivered: forget the pending state (an
 * interrupt already in a list register is the guest's to end). */
void vgic_withdraw(struct vgic *vgic, unsigned irq);

/* GICv3 (ARM IHI 0069, chapter 12): the distributor with affinity routing, and the one vCPU's
 * redistributor (RD_base frame, then SGI_base frame). The same state and list registers. */
#define VGIC_V3_DIST_SIZE   0x10000
#define VGIC_V3_REDIST_SIZE 0x20000
uint64_t vgic_v3_dist_read(struct vgic *vgic, uint64_t offset, unsigned size);
void vgic_v3_dist_write(struct vgic *vgic, uint64_t offset, unsigned size, uint64_t value);
uint64_t vgic_v3_redist_read(struct vgic *vgic, uint64_t offset, unsigned size);
void vgic_v3_redist_write(struct vgic *vgic, uint64_t offset, unsigned size, uint64_t value);
/* A write to ICC_SGI1R_EL1 (trapped): raise the SGI if it targets this vCPU. */
void vgic_v3_sgi1r(struct vgic *vgic, uint64_t value);
