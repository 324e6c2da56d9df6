/* PD entry: the kernel has set SP to the top of the PD's stack. */
    .section .text.start, "ax"
    .global _start
_start:
    bl      tessera_pd_main
1:  b       1b
