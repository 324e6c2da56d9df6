/* Host stand-in for include/tessera/syscall.h (found first by tests/unit/test_runtime.c's
 * build): every system call goes to the test's fake kernel instead of `svc #0`. */
#pragma once

#include <stdint.h>

struct tessera_result2 {
    uint64_t x0;
    uint64_t x1;
};

struct tessera_event_regs {
    uint64_t x[7];
};

/* In the test: records the call and answers as the test set it up. x0..x6 in and out. */
void fake_syscall(uint64_t number, struct tessera_event_regs *regs);

static inline uint64_t tessera_syscall1(uint64_t number, uint64_t a0)
{
    struct tessera_event_regs r = {{a0}};
    fake_syscall(number, &r);
    return r.x[0];
}

static inline uint64_t tessera_syscall2(uint64_t number, uint64_t a0, uint64_t a1)
{
    struct tessera_event_regs r = {{a0, a1}};
    fake_syscall(number, &r);
    return r.x[0];
}

static inline struct tessera_result2 tessera_syscall2_result2(uint64_t number, uint64_t a0, uint64_t a1)
{
    struct tessera_event_regs r = {{a0, a1}};
    fake_syscall(number, &r);
    return (struct tessera_result2){r.x[0], r.x[1]};
}

static inline uint64_t tessera_syscall3(uint64_t number, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct tessera_event_regs r = {{a0, a1, a2}};
    fake_syscall(number, &r);
    return r.x[0];
}

static inline void tessera_syscall_event(uint64_t number, struct tessera_event_regs *regs)
{
    fake_syscall(number, regs);
}
