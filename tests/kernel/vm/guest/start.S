/* A tiny bare-metal EL1 guest for the kernel's VM tests: stack, vectors, then C. */
    .section .text.start, "ax"
    .global _start
_start:
    adrp    x0, guest_stack_top
    add     x0, x0, :lo12:guest_stack_top
    mov     sp, x0
    adrp    x0, guest_vectors
    add     x0, x0, :lo12:guest_vectors
    msr     vbar_el1, x0
    isb
    bl      guest_main
1:  wfi
    b       1b

    .macro save_and_call handler
    stp     x29, x30, [sp, #-16]!
    stp     x0, x1, [sp, #-16]!
    stp     x2, x3, [sp, #-16]!
    stp     x4, x5, [sp, #-16]!
    stp     x6, x7, [sp, #-16]!
    stp     x8, x9, [sp, #-16]!
    stp     x10, x11, [sp, #-16]!
    stp     x12, x13, [sp, #-16]!
    stp     x14, x15, [sp, #-16]!
    stp     x16, x17, [sp, #-16]!
    stp     x18, xzr, [sp, #-16]!
    bl      \handler
    ldp     x18, xzr, [sp], #16
    ldp     x16, x17, [sp], #16
    ldp     x14, x15, [sp], #16
    ldp     x12, x13, [sp], #16
    ldp     x10, x11, [sp], #16
    ldp     x8, x9, [sp], #16
    ldp     x6, x7, [sp], #16
    ldp     x4, x5, [sp], #16
    ldp     x2, x3, [sp], #16
    ldp     x0, x1, [sp], #16
    ldp     x29, x30, [sp], #16
    eret
    .endm

    .balign 0x800
guest_vectors:
    .balign 0x80
    b       guest_unexpected   /* EL1t sync */
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected   /* EL1h sync */
    .balign 0x80
    b       irq_entry          /* EL1h IRQ */
    .balign 0x80
    b       irq_entry          /* EL1h FIQ */
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected
    .balign 0x80
    b       guest_unexpected

irq_entry:
    save_and_call guest_irq

guest_unexpected:
    save_and_call guest_exception
