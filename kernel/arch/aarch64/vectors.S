/*
 * EL2 exception vectors and the kernel entry/exit paths.
 *
 * While a thread runs, SP_EL2 points just past its struct frame (arch_kernel_exit leaves it
 * there), so an exception from a lower EL pushes the thread's registers straight into its frame.
 * The kernel then switches to the per-CPU kernel stack (TPIDR_EL2 -> struct cpu, whose first word
 * is the stack top). The kernel is not preemptible: it runs with interrupts masked and every entry
 * ends in arch_kernel_exit of whichever thread runs next (or in arch_idle).
 */
#define FRAME_SIZE 272

    .macro save_frame
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #16 * 0]
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    mrs     x0, sp_el0
    stp     x30, x0, [sp, #16 * 15]
    mrs     x0, elr_el2
    mrs     x1, spsr_el2
    stp     x0, x1, [sp, #16 * 16]
    mov     x0, sp
    mrs     x1, tpidr_el2
    ldr     x1, [x1]
    mov     sp, x1
    .endm

    .macro vector_entry target
    .balign 0x80
    b       \target
    .endm

    .section .text.vectors, "ax"
    .balign 0x800
    .global el2_vectors
el2_vectors:
    /* Current EL with SP_EL0: never used. */
    vector_entry el2_unexpected
    vector_entry el2_unexpected
    vector_entry el2_unexpected
    vector_entry el2_unexpected
    /* Current EL with SP_ELx: a kernel bug, or an interrupt while idle. */
    vector_entry el2_current_sync
    vector_entry el2_current_irq
    vector_entry el2_current_irq
    vector_entry el2_unexpected
    /* Lower EL, AArch64: PDs (EL0) and guests (EL1). */
    vector_entry el2_lower_sync
    vector_entry el2_lower_irq
    vector_entry el2_lower_irq
    vector_entry el2_lower_serror
    /* Lower EL, AArch32: never allowed (HCR_EL2.RW = 1, SPSR writes are sanitised). */
    vector_entry el2_unexpected
    vector_entry el2_unexpected
    vector_entry el2_unexpected
    vector_entry el2_unexpected

    .text
el2_lower_sync:
    save_frame
    bl      handle_lower_sync
    b       el2_unexpected

el2_lower_irq:
    save_frame
    bl      handle_lower_irq
    b       el2_unexpected

el2_lower_serror:
    save_frame
    bl      handle_lower_serror
    b       el2_unexpected

el2_current_irq:
    /* Only the idle loop runs with interrupts unmasked; its context is not worth keeping. */
    mrs     x1, tpidr_el2
    ldr     x1, [x1]
    mov     sp, x1
    bl      handle_idle_irq
    b       el2_unexpected

el2_current_sync:
    mrs     x1, tpidr_el2
    ldr     x1, [x1]
    mov     sp, x1
    bl      handle_kernel_sync
    b       el2_unexpected

el2_unexpected:
    mrs     x1, tpidr_el2
    ldr     x1, [x1]
    mov     sp, x1
    bl      handle_unexpected_exception
1:  b       1b

/* arch_kernel_exit(struct frame *frame): restore a thread and eret into it. */
    .global arch_kernel_exit
arch_kernel_exit:
    mov     sp, x0
    ldp     x0, x1, [sp, #16 * 16]
    msr     elr_el2, x0
    msr     spsr_el2, x1
    ldp     x30, x0, [sp, #16 * 15]
    msr     sp_el0, x0
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    add     sp, sp, #FRAME_SIZE
    eret

/* arch_idle: wait for an interrupt on the kernel stack with interrupts unmasked. */
    .global arch_idle
arch_idle:
    mrs     x1, tpidr_el2
    ldr     x1, [x1]
    mov     sp, x1
    msr     daifclr, #0x3
1:  wfi
    b       1b
