/* The guest's kernel, initramfs and device tree, embedded in the VMM's ELF. */
    .section .rodata
    .balign 4096
    .global guest_kernel, guest_kernel_end
guest_kernel:
    .incbin GUEST_KERNEL
guest_kernel_end:
    .balign 4096
    .global guest_initrd, guest_initrd_end
guest_initrd:
    .incbin GUEST_INITRD
guest_initrd_end:
    .balign 8
    .global guest_dtb, guest_dtb_end
guest_dtb:
    .incbin GUEST_DTB
guest_dtb_end:
    .balign 8
    .global guest_dtb_gicv3, guest_dtb_gicv3_end
guest_dtb_gicv3:
    .incbin GUEST_DTB_GICV3
guest_dtb_gicv3_end:
