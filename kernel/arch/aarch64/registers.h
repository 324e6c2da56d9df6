/* Access to system registers and devices, and bit definitions of the EL2 registers we program
 * (Arm ARM D13, "AArch64 System Register Descriptions"). Only what the kernel uses. Private to
 * kernel/arch/aarch64/: the portable core goes through <kernel/arch.h>. */
#pragma once

#include <kernel/types.h>

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

/* HCR_EL2 */
#define HCR_VM   (1UL << 0)
#define HCR_SWIO (1UL << 1)
#define HCR_FMO  (1UL << 3)
#define HCR_IMO  (1UL << 4)
#define HCR_AMO  (1UL << 5)
#define HCR_DC   (1UL << 12)
#define HCR_TWI  (1UL << 13)
#define HCR_TWE  (1UL << 14)
#define HCR_TSC  (1UL << 19)
#define HCR_TGE  (1UL << 27)
#define HCR_RW   (1UL << 31)
#define HCR_APK  (1UL << 40)
#define HCR_API  (1UL << 41)

/* Native PDs: EL0 behind stage 2 only (TGE), stage-1-off accesses Normal write-back (DC). */
#define HCR_NATIVE (HCR_VM | HCR_RW | HCR_TGE | HCR_DC | HCR_AMO | HCR_IMO | HCR_FMO | HCR_TSC | HCR_SWIO)
/* vCPUs: EL1 guest with its own stage 1; physical interrupts, SMC, WFI/WFE trap to EL2. */
#define HCR_VCPU (HCR_VM | HCR_RW | HCR_AMO | HCR_IMO | HCR_FMO | HCR_TSC | HCR_TWI | HCR_TWE | HCR_SWIO)

/* SCTLR_EL2: RES1 bits plus MMU, caches, stack alignment check. */
#define SCTLR_EL2_RES1 0x30c50830UL
#define SCTLR_M        (1UL << 0)
#define SCTLR_C        (1UL << 2)
#define SCTLR_SA       (1UL << 3)
#define SCTLR_I        (1UL << 12)

/*
 * SCTLR_EL1 while native PDs run at EL0 with HCR_EL2.{TGE,DC} = {1,1} (Arm ARM D19.2.118):
 * EL0 controls only. The RES1 bits of Armv8.0 plus SA0 (stack alignment checked), DZE (DC ZVA
 * allowed), UCT (CTR_EL0 readable), nTWE (WFE not trapped) and UCI (cache cleaning by VA
 * allowed): the values Linux gives its own EL0, harmless for a PD.
 */
#define SCTLR_EL1_NATIVE 0x34d4c810UL
/* Bits that cannot affect EL0 under TGE=1 and DC=1, so a guest's value may differ in them while a
 * PD runs: M, C, SA, CP15BEN, ITD, SED, EOS, I, WXN, IESB, EIS, SPAN, EE, nTLSMD, LSMAOE, DSSBS,
 * EPAN (stage 1 of EL1&0 is off, EL1 and AArch32 are never used, exceptions go to EL2). */
#define SCTLR_EL1_NATIVE_DONT_CARE                                                                               \
    (SCTLR_M | SCTLR_C | SCTLR_SA | (1UL << 5) | (1UL << 7) | (1UL << 8) | (1UL << 11) | SCTLR_I | (1UL << 19) | \
     (1UL << 21) | (1UL << 22) | (1UL << 23) | (1UL << 25) | (1UL << 28) | (1UL << 29) | (1UL << 44) | (1UL << 57))

/* CPTR_EL2 (non-VHE): RES1 bits 13:12 and 9:0 (bit 8 is TZ on SVE cores), TFP traps FP/SIMD. */
#define CPTR_EL2_RES1 0x000032ffUL
#define CPTR_TFP      (1UL << 10)

/* CNTHCTL_EL2 (non-VHE): EL1PCTEN lets EL1/EL0 read CNTPCT; EL1PCEN (0) traps the EL1 physical
 * timer, which no guest or PD here owns. */
#define CNTHCTL_EL1PCTEN (1UL << 0)

/* ESR_EL2 exception classes. */
#define ESR_EC_SHIFT  26
#define EC_UNKNOWN    0x00
#define EC_WFX        0x01
#define EC_FP         0x07
#define EC_SVC64      0x15
#define EC_HVC64      0x16
#define EC_SMC64      0x17
#define EC_SYSREG     0x18
#define EC_SVE        0x19
#define EC_PAC        0x09
#define EC_IABT_LOWER 0x20
#define EC_PC_ALIGN   0x22
#define EC_DABT_LOWER 0x24
#define EC_SP_ALIGN   0x26
#define EC_SERROR     0x2f
#define EC_BRK        0x3c

/* SPSR_EL2: mode M[3:0] (M[4] = 0: AArch64), interrupt masks, condition flags. */
#define SPSR_EL0T      0x0UL
#define SPSR_EL1T      0x4UL
#define SPSR_EL1H      0x5UL
#define SPSR_MODE_MASK 0xfUL
#define SPSR_DAIF      (0xfUL << 6)
#define SPSR_NZCV      (0xfUL << 28)
