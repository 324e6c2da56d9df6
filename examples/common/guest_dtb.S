/* The guest's device trees (generated from the system's description), embedded in its VMM's
 * ELF: one for a GICv2 board and, where the board can have one, one for a GICv3. */
    .section .rodata
    .balign 8
    .global guest_dtb, guest_dtb_end
guest_dtb:
    .incbin GUEST_DTB
guest_dtb_end:
    .balign 8
    .global guest_dtb_gicv3, guest_dtb_gicv3_end
guest_dtb_gicv3:
#ifdef GUEST_DTB_GICV3
    .incbin GUEST_DTB_GICV3
#endif
guest_dtb_gicv3_end:
