/* System-call stubs for PDs (AArch64, `svc #0`, x7 = number; see abi.h). */
#pragma once

#include <stdint.h>

struct tessera_result2 {
    uint64_t x0;
    uint64_t x1;
};

static inline uint64_t tessera_syscall1(uint64_t number, uint64_t a0)
{
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x7 __asm__("x7") = number;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x7) : "memory");
    return x0;
}

static inline uint64_t tessera_syscall2(uint64_t number, uint64_t a0, uint64_t a1)
{
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x7 __asm__("x7") = number;
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1) : "r"(x7) : "memory");
    return x0;
}

static inline struct tessera_result2 tessera_syscall2_result2(uint64_t number, uint64_t a0, uint64_t a1)
{
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x7 __asm__("x7") = number;
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1) : "r"(x7) : "memory");
    return (struct tessera_result2){x0, x1};
}

static inline uint64_t tessera_syscall3(uint64_t number, uint64_t a0, uint64_t a1, uint64_t a2)
{
    register uint64_t x0 __asm__("x0") = a0;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x7 __asm__("x7") = number;
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x1), "+r"(x2) : "r"(x7) : "memory");
    return x0;
}

/* The receive family: everything in x0..x6 may come back. */
struct tessera_event_regs {
    uint64_t x[7];
};

static inline void tessera_syscall_event(uint64_t number, struct tessera_event_regs *regs)
{
    register uint64_t x0 __asm__("x0") = regs->x[0];
    register uint64_t x1 __asm__("x1") = regs->x[1];
    register uint64_t x2 __asm__("x2") = regs->x[2];
    register uint64_t x3 __asm__("x3") = regs->x[3];
    register uint64_t x4 __asm__("x4") = regs->x[4];
    register uint64_t x5 __asm__("x5") = regs->x[5];
    register uint64_t x6 __asm__("x6") = regs->x[6];
    register uint64_t x7 __asm__("x7") = number;
    __asm__ volatile("svc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
                     : "r"(x7)
                     : "memory");
    regs->x[0] = x0;
    regs->x[1] = x1;
    regs->x[2] = x2;
    regs->x[3] = x3;
    regs->x[4] = x4;
    regs->x[5] = x5;
    regs->x[6] = x6;
}
