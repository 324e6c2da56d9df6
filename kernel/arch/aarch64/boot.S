/*
 * Entry from QEMU's loader (or U-Boot) at EL2 with the MMU off. Core 0 boots; any other core
 * parks until SMP support wakes it. We run C with the MMU off until arch_mmu_init, so all C is
 * built with -mstrict-align (accesses are Device-typed until then).
 */
    .section .text.boot, "ax"
    .global _start
_start:
    msr     daifset, #0xf
    mrs     x19, CurrentEL
    ubfx    x19, x19, #2, #2
    mrs     x20, mpidr_el1
    and     x20, x20, #0xff
    cbnz    x20, park

    /* The boot stack lives in .bss, which we clear next without touching the stack. */
    adrp    x0, boot_stack_top_storage
    add     x0, x0, :lo12:boot_stack_top_storage
    add     x0, x0, #4096
    mov     sp, x0

    /* Clear .bss: the kernel's tables, threads and stacks start zeroed. */
    adrp    x0, __bss_start
    add     x0, x0, :lo12:__bss_start
    adrp    x1, __bss_end
    add     x1, x1, :lo12:__bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:
    mov     x0, x19
    bl      arch_boot
park:
    wfe
    b       park
