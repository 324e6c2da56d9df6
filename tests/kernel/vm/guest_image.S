/* The test guest, embedded in the VMM's ELF. */
    .section .rodata
    .balign 16
    .global guest_image_start
    .global guest_image_end
guest_image_start:
    .incbin GUEST_IMAGE_PATH
guest_image_end:
