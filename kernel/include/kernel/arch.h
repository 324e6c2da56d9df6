/*
 * The interface between the portable kernel core and the AArch64 EL2 code. The core never
 * touches system registers or devices itself; everything hardware goes through here.
 */
#pragma once

#include <kernel/types.h>

/* Registers a thread had when it entered the kernel; restored by kernel_exit. The layout is
 * fixed by arch/aarch64/vectors.S. */
struct frame {
    word_t x[31];
    word_t sp_el0;
    word_t elr;
    word_t spsr;
};
#define FRAME_SIZE 272

_Static_assert(sizeof(struct frame) == FRAME_SIZE, "frame layout is shared with vectors.S");

#if defined(__aarch64__)
#define read_sysreg(name)                                  \
    ({                                                     \
        word_t _value;                                     \
        __asm__ volatile("mrs %0, " #name : "=r"(_value)); \
        _value;                                            \
    })

#define write_sysreg(name, value)                            \
    do {                                                     \
        word_t _value = (value);                             \
        __asm__ volatile("msr " #name ", %0" ::"r"(_value)); \
    } while (0)

static inline void isb(void)
{
    __asm__ volatile("isb" ::: "memory");
}

static inline void dsb_ish(void)
{
    __asm__ volatile("dsb ish" ::: "memory");
}

static inline void dsb_sy(void)
{
    __asm__ volatile("dsb sy" ::: "memory");
}

static inline uint32_t mmio_read32(paddr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(paddr_t addr, uint32_t value)
{
    *(volatile uint32_t *)addr = value;
}

#endif

/* Enter a lower EL with this frame's registers; never returns. */
_Noreturn void kernel_exit(struct frame *frame);
/* Idle at EL2 until an interrupt arrives (which re-enters the kernel); never returns. */
_Noreturn void arch_idle(void);
_Noreturn void arch_poweroff(void);

/* Counter ticks (CNTPCT_EL0) and the timer the scheduler uses (CNTHP, the EL2 physical timer).
 * Host unit tests of the portable core link a fake arch layer instead (tests/unit/fake_arch.c). */
#if defined(__aarch64__)
static inline uint64_t arch_counter_now(void)
{
    isb();
    return read_sysreg(cntpct_el0);
}
#else
uint64_t arch_counter_now(void);
#endif
uint64_t arch_counter_frequency(void);
void arch_timer_set_deadline(uint64_t ticks);

/* Stage-2 address spaces. */
void arch_mmu_init(void);
void arch_stage2_init(void);
paddr_t arch_stage2_new_root(void);
bool arch_stage2_map(paddr_t root, uint64_t ipa, paddr_t pa, uint64_t size, uint32_t attrs);
bool arch_stage2_lookup(paddr_t root, uint64_t ipa, paddr_t *pa);
uint64_t arch_stage2_pages_used(void);
