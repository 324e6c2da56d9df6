/* The guest's kernel and initramfs (guest_images.S) and device trees (guest_dtb.S) embedded in a
 * VMM's ELF (every example's VMM is built with them), handed to the VMM library. */
#pragma once

#include <vmm/vmm.h>

extern const uint8_t guest_kernel[], guest_kernel_end[];
extern const uint8_t guest_initrd[], guest_initrd_end[];
extern const uint8_t guest_dtb[], guest_dtb_end[];
extern const uint8_t guest_dtb_gicv3[], guest_dtb_gicv3_end[];

static inline void guest_images_attach(struct vmm_guest *guest)
{
    guest->kernel = guest_kernel;
    guest->kernel_length = (size_t)(guest_kernel_end - guest_kernel);
    guest->initrd = guest_initrd;
    guest->initrd_length = (size_t)(guest_initrd_end - guest_initrd);
    guest->dtb = guest_dtb;
    guest->dtb_length = (size_t)(guest_dtb_end - guest_dtb);
    guest->dtb_gicv3_length = (size_t)(guest_dtb_gicv3_end - guest_dtb_gicv3);
    /* A board without a GICv3 gets no GICv3 device tree. */
    guest->dtb_gicv3 = guest->dtb_gicv3_length != 0 ? guest_dtb_gicv3 : NULL;
}
