/*
 * A VMM PD's view of its guest: load and start Linux, and handle every exit the kernel delivers
 * as a fault (MMIO to the emulated GIC distributor, PSCI calls, the virtual timer, GIC
 * maintenance), plus interrupts of passed-through devices. This is the glue between the portable
 * parts (mmio_decode, vgic, psci, fdt, linux, the device registries, virtio) and the kernel
 * (libmicrokit calls).
 */
#pragma once

#include <stddef.h>
#include <microkit.h>
#include <vmm/mmio_registry.h>
#include <vmm/vgic.h>
#include <vmm/virtio_mmio.h>

#define VMM_MAX_PASSTHROUGH 8

struct vmm_passthrough_irq {
    unsigned virq;            /* INTID the guest sees */
    microkit_channel channel; /* the VMM's IRQ channel for the physical interrupt */
};

#define VMM_MAX_VIRTIO         4
#define VMM_MAX_PANIC_RESTARTS 5
#define VMM_PANIC_SIZE         2 /* the pvpanic-mmio window */

/* A virtio device as vmm_register_virtio wired it: its transport, and the vIRQ its interrupt
 * line drives. */
struct vmm_virtio {
    struct vmm_guest *guest;
    struct virtio_mmio *transport;
    unsigned virq;
    uint64_t gpa;
    unsigned reported; /* the kinds of driver error already told this boot (one bit each) */
};

struct vmm_guest {
    const char *name;
    microkit_child vcpu;
    uint64_t ram_gpa;
    uint64_t ram_size;
    uintptr_t ram_vaddr; /* where the VMM maps guest RAM */
    const uint8_t *kernel;
    size_t kernel_length;
    const uint8_t *initrd;
    size_t initrd_length;
    const uint8_t *dtb; /* for a GICv2 guest */
    size_t dtb_length;
    const uint8_t *dtb_gicv3; /* for a GICv3 guest */
    size_t dtb_gicv3_length;
    /* The physical distributor, mapped read-only, to tell which GIC the board has (GICD_PIDR2):
     * the guest gets the same kind, its CPU interface being the hardware's virtual one. */
    uintptr_t gicd_probe_vaddr;
    uint64_t gicd_gpa; /* where the guest finds the (emulated) distributor */
    uint64_t gicr_gpa; /* and, on a GICv3, the redistributor of vCPU 0 */
    const char *bootargs;
    struct vmm_passthrough_irq passthrough[VMM_MAX_PASSTHROUGH];
    unsigned passthrough_count;
    const uint32_t *stop_watchers; /* channels told when the guest stops for good */
    unsigned stop_watcher_count;
    /* state */
    struct vgic vgic;
    unsigned gic_version;
    unsigned unknown_sysregs;
    struct mmio_registry mmio;
    struct virq_registry virqs;
    struct vmm_virtio virtio[VMM_MAX_VIRTIO];
    unsigned virtio_count;
    /* Called on each of the guest's virtual timer ticks (at least HZ times a second while the
     * guest runs): for work a device batches, such as console output. */
    void (*on_tick)(void *context);
    void *on_tick_context;
    /* Called when the guest enables an SPI at the distributor (struct vgic's enable_hook). */
    void (*on_irq_enable)(void *context, unsigned irq);
    void *on_irq_enable_context;
    bool running;
    bool powered_off;   /* stopped by its own PSCI SYSTEM_OFF */
    uint64_t panic_gpa; /* its pvpanic-mmio device, or 0 */
    bool panicked;      /* it wrote PANICKED there; acted on once the access completes */
    unsigned panics;
    unsigned boots;
};

struct vmm_config;
/* Fill the guest's description from the VMM's generated configuration, after checking it (a
 * message naming the field if it is wrong). */
bool vmm_guest_configure(struct vmm_guest *guest, const struct vmm_config *config);
/* Copy the images into guest RAM (fresh on every call), patch the device tree, start the vCPU. */
bool vmm_start_guest(struct vmm_guest *guest);
/* The fault() entry point's work for faults of this guest's vCPU. */
bool vmm_handle_fault(struct vmm_guest *guest, microkit_msginfo msginfo, microkit_msginfo *reply);
/* Emulate [base, base + size) of guest-physical space with these handlers. False if the table
 * is full or the region overlaps one already registered. The GIC registers itself at start. */
bool vmm_register_mmio(struct vmm_guest *guest, uint64_t base, uint64_t size, vmm_mmio_read_fn read,
                       vmm_mmio_write_fn write, void *context);
/* An emulated device's level interrupt `virq`: vmm_virq_update injects it while the line is up,
 * and when the guest ends it the line is sampled again (a level interrupt that is still
 * asserted fires again, as on a real GIC). False if the table is full, virq is not an SPI or
 * already has a source. */
bool vmm_register_virq(struct vmm_guest *guest, unsigned virq, vmm_virq_level_fn asserted, void *context);
/* A virtio-mmio device (its transport initialised by the device's init): guest accesses to
 * [gpa, gpa + VIRTIO_MMIO_SIZE) go to the transport, and its interrupt line is the level SPI
 * `intid`. A guest restart resets the device. False, and nothing registered, if any of it is
 * refused (window overlap, vIRQ taken or not an SPI, tables full). */
bool vmm_register_virtio(struct vmm_guest *guest, uint64_t gpa, unsigned intid, struct virtio_mmio *transport);
/* The device's line may have risen: inject if it is up and not already pending or active. */
void vmm_virq_update(struct vmm_guest *guest, unsigned virq);
/* A notification on one of the passthrough IRQ channels. True if it was one. */
bool vmm_handle_irq(struct vmm_guest *guest, microkit_channel channel);
