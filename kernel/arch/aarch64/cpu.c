/* Per-CPU state and the EL2 control registers, set once at boot (every field explicitly: several
 * reset to UNKNOWN on hardware). */
#include <board.h>
#include <kernel/arch.h>
#include <kernel/boot.h>
#include <kernel/printk.h>
#include "gic.h"
#include "internal.h"
#include "registers.h"

struct cpu {
    uint64_t kernel_stack_top; /* first: vectors.S loads it through TPIDR_EL2 */
    unsigned index;
};

#define KERNEL_STACK_SIZE 16384

static uint8_t kernel_stack[1][KERNEL_STACK_SIZE] __attribute__((aligned(16)));
static struct cpu cpus[1];

uint8_t boot_stack_top_storage[4096] __attribute__((aligned(16)));

extern char el2_vectors[];

void arch_cpu_init(void)
{
    cpus[0].kernel_stack_top = (uint64_t)&kernel_stack[0][KERNEL_STACK_SIZE];
    cpus[0].index = 0;
    write_sysreg(tpidr_el2, (uint64_t)&cpus[0]);
    write_sysreg(vbar_el2, (uint64_t)el2_vectors);
    write_sysreg(hcr_el2, HCR_NATIVE);
    /* Trap FP/SIMD: switched lazily on first use. */
    write_sysreg(cptr_el2, CPTR_EL2_RES1 | CPTR_TFP);
    write_sysreg(cnthctl_el2, CNTHCTL_EL1PCTEN);
    write_sysreg(cntvoff_el2, 0);
    /* MDCR_EL2: HPMN = PMCR_EL0.N, no debug traps. */
    write_sysreg(mdcr_el2, (read_sysreg(pmcr_el0) >> 11) & 0x1f);
    write_sysreg(vpidr_el2, read_sysreg(midr_el1));
    write_sysreg(vmpidr_el2, read_sysreg(mpidr_el1));
    write_sysreg(sctlr_el1, SCTLR_EL1_NATIVE);
    write_sysreg(cpacr_el1, 3UL << 20);
    write_sysreg(cntkctl_el1, 3);
    isb();
}

void arch_boot(unsigned current_el)
{
    if (current_el != 2) {
        kprintf("K| Tessera must be started at EL2 (started at EL%u): use -machine virt,virtualization=on\n",
                current_el);
        for (;;) {
        }
    }
    arch_cpu_init();
    arch_mmu_init();
    gic_init();
    arch_timer_init();
    arch_stage2_init();
    kernel_boot((const struct sysimage *)BOARD_SYSIMAGE_BASE);
}

void arch_halt(void)
{
    for (;;) {
        __asm__ volatile("msr daifset, #0xf; wfi");
    }
}

void arch_poweroff(void)
{
    register uint64_t x0 __asm__("x0") = 0x84000008UL; /* PSCI SYSTEM_OFF */
    __asm__ volatile("smc #0" : "+r"(x0)::"memory");
    kpanic("PSCI SYSTEM_OFF returned");
}

/* An SMC on behalf of a PD allowed to make them (smc="true"): x0..x6 in, x0..x3 out (SMCCC). */
void arch_smc(struct frame *f)
{
    register uint64_t x0 __asm__("x0") = f->x[0];
    register uint64_t x1 __asm__("x1") = f->x[1];
    register uint64_t x2 __asm__("x2") = f->x[2];
    register uint64_t x3 __asm__("x3") = f->x[3];
    register uint64_t x4 __asm__("x4") = f->x[4];
    register uint64_t x5 __asm__("x5") = f->x[5];
    register uint64_t x6 __asm__("x6") = f->x[6];
    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5), "+r"(x6)
                     :
                     : "x7", "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "memory");
    f->x[0] = x0;
    f->x[1] = x1;
    f->x[2] = x2;
    f->x[3] = x3;
}
