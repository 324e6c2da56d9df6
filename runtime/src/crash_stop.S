/* tessera_stop_self(error): a breakpoint with the error in x0. The kernel reports it (or gives
 * it to the parent as a fault); a parent that resumes the PD resumes it at the breakpoint, so the
 * PD never runs on past a crash. */
    .section .text, "ax"
    .global tessera_stop_self
    .type tessera_stop_self, %function
tessera_stop_self:
1:  brk     #0x4d4b
    b       1b
    .size tessera_stop_self, . - tessera_stop_self
