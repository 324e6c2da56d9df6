/* PD entry. The kernel sets SP to the top of the PD's stack at boot, but a parent's
 * microkit_pd_restart changes only the pc: the stack is set again here, so that every restart
 * starts with the whole stack, not below the frames of the run that faulted. */
    .section .text.start, "ax"
    .global _start
    .type _start, %function
_start:
    adrp    x0, tessera_stack_top
    ldr     x0, [x0, :lo12:tessera_stack_top]
    mov     sp, x0
    mov     x29, xzr
    mov     x30, xzr
    bl      tessera_pd_main
1:  b       1b
    .size _start, . - _start
