/* The guest's kernel and initramfs, embedded in the VMM's ELF (one object per guest role). */
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
