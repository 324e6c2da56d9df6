/*
 * vCPU state switching and the kernel's part of virtualisation: list registers, the virtual
 * timer PPI, GIC maintenance and WFI. Everything else a guest does becomes a fault message to
 * its VMM (see traps.c).
 *
 * Lazy switching, as seL4 does: the EL1 registers of the last vCPU that ran (`loaded`) stay in
 * the hardware while native PDs run, except SCTLR/CPACR/CNTKCTL, which native PDs need set their
 * way and which are saved into the vCPU on the way out (SCTLR stays too when its EL0 bits are
 * what PDs need: Linux's are). Its timer keeps counting with PPI 27
 * masked, so a timer that expires meanwhile is seen as soon as the vCPU runs again. A different
 * vCPU gets a full save and restore.
 */
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include "gic.h"
#include "internal.h"
#include "registers.h"

static struct vcpu *loaded;     /* whose EL1 state is in the registers */
static bool native_mode = true; /* HCR and the three shared registers are set for native PDs */
/* SCTLR_EL1 as last written or read by the kernel (arch_cpu_init leaves the native value). A write
 * is worth avoiding: it may switch the MMU, so CPUs and emulators may flush TLBs on every one. */
static uint64_t hw_sctlr = SCTLR_EL1_NATIVE;

static void set_sctlr(uint64_t value)
{
    if (value != hw_sctlr) {
        write_sysreg(sctlr_el1, value);
        hw_sctlr = value;
    }
}

/* A vCPU's SCTLR_EL1 may stay in place while native PDs run if every bit that can affect EL0
 * there matches the native value: PDs then run exactly as under SCTLR_EL1_NATIVE. */
static bool sctlr_fits_native(uint64_t value)
{
    return ((value ^ SCTLR_EL1_NATIVE) & ~SCTLR_EL1_NATIVE_DONT_CARE) == 0;
}

#define SCTLR_EL1_RESET      0x30d00800UL
#define CPACR_FPEN_ALL       (3UL << 20)
#define CNTKCTL_EL0_COUNTERS 0x3UL /* EL0PCTEN | EL0VCTEN: PDs may read the counters */

void arch_vcpu_init(struct vcpu *vcpu)
{
    vcpu->arch.regs[VCPU_SCTLR] = SCTLR_EL1_RESET;
    vcpu->arch.regs[VCPU_VMPIDR_EL2] = 0x80000000UL | vcpu->id;
    vcpu->arch.regs[VCPU_CPACR] = CPACR_FPEN_ALL;
    vcpu->arch.vgic.hcr = 1; /* virtual CPU interface enabled */
    vcpu->thread.frame.spsr = SPSR_EL1H | SPSR_DAIF;
}

static void save_el1(struct vcpu *v)
{
    uint64_t *r = v->arch.regs;
    if (!native_mode) {
        r[VCPU_SCTLR] = read_sysreg(sctlr_el1);
        hw_sctlr = r[VCPU_SCTLR];
        r[VCPU_CPACR] = read_sysreg(cpacr_el1);
        r[VCPU_CNTKCTL_EL1] = read_sysreg(cntkctl_el1);
    }
    r[VCPU_TTBR0] = read_sysreg(ttbr0_el1);
    r[VCPU_TTBR1] = read_sysreg(ttbr1_el1);
    r[VCPU_TCR] = read_sysreg(tcr_el1);
    r[VCPU_MAIR] = read_sysreg(mair_el1);
    r[VCPU_AMAIR] = read_sysreg(amair_el1);
    r[VCPU_CIDR] = read_sysreg(contextidr_el1);
    r[VCPU_ACTLR] = read_sysreg(actlr_el1);
    r[VCPU_AFSR0] = read_sysreg(afsr0_el1);
    r[VCPU_AFSR1] = read_sysreg(afsr1_el1);
    r[VCPU_ESR] = read_sysreg(esr_el1);
    r[VCPU_FAR] = read_sysreg(far_el1);
    r[VCPU_PAR] = read_sysreg(par_el1);
    r[VCPU_VBAR] = read_sysreg(vbar_el1);
    r[VCPU_TPIDR_EL1] = read_sysreg(tpidr_el1);
    r[VCPU_VMPIDR_EL2] = read_sysreg(vmpidr_el2);
    r[VCPU_SP_EL1] = read_sysreg(sp_el1);
    r[VCPU_ELR_EL1] = read_sysreg(elr_el1);
    r[VCPU_SPSR_EL1] = read_sysreg(spsr_el1);
    r[VCPU_CNTV_CTL] = read_sysreg(cntv_ctl_el0);
    r[VCPU_CNTV_CVAL] = read_sysreg(cntv_cval_el0);
    r[VCPU_CNTVOFF] = read_sysreg(cntvoff_el2);
    v->arch.extra[VCPU_EXTRA_CSSELR] = read_sysreg(csselr_el1);
    v->arch.extra[VCPU_EXTRA_MDSCR] = read_sysreg(mdscr_el1);
    /* Stop its timer so it cannot signal while another vCPU's state is loaded. */
    write_sysreg(cntv_ctl_el0, 0);
    gic_vcpu_save(&v->arch.vgic);
}

static void restore_el1(struct vcpu *v)
{
    const uint64_t *r = v->arch.regs;
    write_sysreg(ttbr0_el1, r[VCPU_TTBR0]);
    write_sysreg(ttbr1_el1, r[VCPU_TTBR1]);
    write_sysreg(tcr_el1, r[VCPU_TCR]);
    write_sysreg(mair_el1, r[VCPU_MAIR]);
    write_sysreg(amair_el1, r[VCPU_AMAIR]);
    write_sysreg(contextidr_el1, r[VCPU_CIDR]);
    write_sysreg(actlr_el1, r[VCPU_ACTLR]);
    write_sysreg(afsr0_el1, r[VCPU_AFSR0]);
    write_sysreg(afsr1_el1, r[VCPU_AFSR1]);
    write_sysreg(esr_el1, r[VCPU_ESR]);
    write_sysreg(far_el1, r[VCPU_FAR]);
    write_sysreg(par_el1, r[VCPU_PAR]);
    write_sysreg(vbar_el1, r[VCPU_VBAR]);
    write_sysreg(tpidr_el1, r[VCPU_TPIDR_EL1]);
    write_sysreg(vmpidr_el2, r[VCPU_VMPIDR_EL2]);
    write_sysreg(sp_el1, r[VCPU_SP_EL1]);
    write_sysreg(elr_el1, r[VCPU_ELR_EL1]);
    write_sysreg(spsr_el1, r[VCPU_SPSR_EL1]);
    write_sysreg(cntvoff_el2, r[VCPU_CNTVOFF]);
    write_sysreg(cntv_cval_el0, r[VCPU_CNTV_CVAL]);
    write_sysreg(cntv_ctl_el0, r[VCPU_CNTV_CTL]);
    write_sysreg(csselr_el1, v->arch.extra[VCPU_EXTRA_CSSELR]);
    write_sysreg(mdscr_el1, v->arch.extra[VCPU_EXTRA_MDSCR]);
    gic_vcpu_restore(&v->arch.vgic);
}

static void enter_native_mode(void)
{
    if (native_mode) {
        return;
    }
    if (loaded != NULL) {
        loaded->arch.regs[VCPU_SCTLR] = read_sysreg(sctlr_el1);
        hw_sctlr = loaded->arch.regs[VCPU_SCTLR];
        loaded->arch.regs[VCPU_CPACR] = read_sysreg(cpacr_el1);
        loaded->arch.regs[VCPU_CNTKCTL_EL1] = read_sysreg(cntkctl_el1);
    }
    arch_irq_mask(INTID_VTIMER);
    /* GIC maintenance is level-triggered and only a running vCPU can be told about it: keep it
     * masked while native PDs run, or an EOI the guest made just before it trapped would
     * interrupt them forever. It fires again as soon as the vCPU is back. */
    arch_irq_mask(INTID_MAINTENANCE);
    if (!sctlr_fits_native(hw_sctlr)) {
        set_sctlr(SCTLR_EL1_NATIVE);
    }
    write_sysreg(cpacr_el1, CPACR_FPEN_ALL);
    write_sysreg(cntkctl_el1, CNTKCTL_EL0_COUNTERS);
    write_sysreg(hcr_el2, HCR_NATIVE);
    native_mode = true;
}

static void enter_vcpu_mode(struct vcpu *v)
{
    bool other_vcpu = loaded != v;
    if (other_vcpu) {
        if (loaded != NULL) {
            save_el1(loaded);
        }
        restore_el1(v);
        loaded = v;
    }
    /* The three shared registers hold native values, or (straight from another vCPU) that
     * vCPU's: either way they must become this vCPU's own. */
    if (native_mode || other_vcpu) {
        set_sctlr(v->arch.regs[VCPU_SCTLR]);
        write_sysreg(cpacr_el1, v->arch.regs[VCPU_CPACR]);
        write_sysreg(cntkctl_el1, v->arch.regs[VCPU_CNTKCTL_EL1]);
    }
    if (native_mode) {
        write_sysreg(hcr_el2, HCR_VCPU);
        native_mode = false;
    }
    /* Masked in native mode, or by irq.c when it fired while the loaded vCPU could not take it;
     * a vCPU coming in, from native mode or straight from another vCPU, must hear of its EOIs
     * (it stayed masked on a vCPU-to-vCPU switch, so a guest's EOIs went unreported and its
     * timer and devices fell silent). */
    arch_irq_unmask(INTID_MAINTENANCE);
    if (!v->arch.vppi_masked) {
        arch_irq_unmask(INTID_VTIMER);
    } else {
        arch_irq_mask(INTID_VTIMER);
    }
}

void arch_vcpu_switch(struct thread *next)
{
    if (next->is_vcpu) {
        enter_vcpu_mode(next->vcpu);
    } else {
        enter_native_mode();
    }
}

/* While native PDs run, these three live in the vCPU struct; the rest stay in hardware. */
static bool reg_in_hardware(struct vcpu *v, uint64_t reg)
{
    if (v != loaded) {
        return false;
    }
    if (native_mode && (reg == VCPU_SCTLR || reg == VCPU_CPACR || reg == VCPU_CNTKCTL_EL1)) {
        return false;
    }
    return true;
}

static uint64_t hw_read(uint64_t reg)
{
    switch (reg) {
    case VCPU_SCTLR:
        return read_sysreg(sctlr_el1);
    case VCPU_CPACR:
        return read_sysreg(cpacr_el1);
    case VCPU_TTBR0:
        return read_sysreg(ttbr0_el1);
    case VCPU_TTBR1:
        return read_sysreg(ttbr1_el1);
    case VCPU_TCR:
        return read_sysreg(tcr_el1);
    case VCPU_MAIR:
        return read_sysreg(mair_el1);
    case VCPU_AMAIR:
        return read_sysreg(amair_el1);
    case VCPU_CIDR:
        return read_sysreg(contextidr_el1);
    case VCPU_ACTLR:
        return read_sysreg(actlr_el1);
    case VCPU_AFSR0:
        return read_sysreg(afsr0_el1);
    case VCPU_AFSR1:
        return read_sysreg(afsr1_el1);
    case VCPU_ESR:
        return read_sysreg(esr_el1);
    case VCPU_FAR:
        return read_sysreg(far_el1);
    case VCPU_PAR:
        return read_sysreg(par_el1);
    case VCPU_VBAR:
        return read_sysreg(vbar_el1);
    case VCPU_TPIDR_EL1:
        return read_sysreg(tpidr_el1);
    case VCPU_VMPIDR_EL2:
        return read_sysreg(vmpidr_el2);
    case VCPU_SP_EL1:
        return read_sysreg(sp_el1);
    case VCPU_ELR_EL1:
        return read_sysreg(elr_el1);
    case VCPU_SPSR_EL1:
        return read_sysreg(spsr_el1);
    case VCPU_CNTV_CTL:
        return read_sysreg(cntv_ctl_el0);
    case VCPU_CNTV_CVAL:
        return read_sysreg(cntv_cval_el0);
    case VCPU_CNTVOFF:
        return read_sysreg(cntvoff_el2);
    default:
        return read_sysreg(cntkctl_el1);
    }
}

static void hw_write(uint64_t reg, uint64_t value)
{
    switch (reg) {
    case VCPU_SCTLR:
        write_sysreg(sctlr_el1, value);
        hw_sctlr = value;
        break;
    case VCPU_CPACR:
        write_sysreg(cpacr_el1, value);
        break;
    case VCPU_TTBR0:
        write_sysreg(ttbr0_el1, value);
        break;
    case VCPU_TTBR1:
        write_sysreg(ttbr1_el1, value);
        break;
    case VCPU_TCR:
        write_sysreg(tcr_el1, value);
        break;
    case VCPU_MAIR:
        write_sysreg(mair_el1, value);
        break;
    case VCPU_AMAIR:
        write_sysreg(amair_el1, value);
        break;
    case VCPU_CIDR:
        write_sysreg(contextidr_el1, value);
        break;
    case VCPU_ACTLR:
        write_sysreg(actlr_el1, value);
        break;
    case VCPU_AFSR0:
        write_sysreg(afsr0_el1, value);
        break;
    case VCPU_AFSR1:
        write_sysreg(afsr1_el1, value);
        break;
    case VCPU_ESR:
        write_sysreg(esr_el1, value);
        break;
    case VCPU_FAR:
        write_sysreg(far_el1, value);
        break;
    case VCPU_PAR:
        write_sysreg(par_el1, value);
        break;
    case VCPU_VBAR:
        write_sysreg(vbar_el1, value);
        break;
    case VCPU_TPIDR_EL1:
        write_sysreg(tpidr_el1, value);
        break;
    case VCPU_VMPIDR_EL2:
        write_sysreg(vmpidr_el2, value);
        break;
    case VCPU_SP_EL1:
        write_sysreg(sp_el1, value);
        break;
    case VCPU_ELR_EL1:
        write_sysreg(elr_el1, value);
        break;
    case VCPU_SPSR_EL1:
        write_sysreg(spsr_el1, value);
        break;
    case VCPU_CNTV_CTL:
        write_sysreg(cntv_ctl_el0, value);
        break;
    case VCPU_CNTV_CVAL:
        write_sysreg(cntv_cval_el0, value);
        break;
    case VCPU_CNTVOFF:
        write_sysreg(cntvoff_el2, value);
        break;
    default:
        write_sysreg(cntkctl_el1, value);
        break;
    }
}

bool arch_vcpu_read_reg(struct vcpu *vcpu, uint64_t reg, uint64_t *value)
{
    if (reg >= VCPU_REG_COUNT) {
        return false;
    }
    *value = reg_in_hardware(vcpu, reg) ? hw_read(reg) : vcpu->arch.regs[reg];
    return true;
}

bool arch_vcpu_write_reg(struct vcpu *vcpu, uint64_t reg, uint64_t value)
{
    if (reg >= VCPU_REG_COUNT) {
        return false;
    }
    if (reg_in_hardware(vcpu, reg)) {
        hw_write(reg, value);
    } else {
        vcpu->arch.regs[reg] = value;
    }
    return true;
}

static uint64_t lr_read(struct vcpu *v, unsigned index)
{
    return v == loaded ? gic_read_lr(index) : v->arch.vgic.lr[index];
}

static void lr_write(struct vcpu *v, unsigned index, uint64_t value)
{
    if (v == loaded) {
        gic_write_lr(index, value);
    } else {
        v->arch.vgic.lr[index] = value;
    }
}

/* Word layout of abi.h TESSERA_INJECT_WORD: the seL4 checks and error codes. */
int arch_vcpu_inject(struct vcpu *v, uint64_t word)
{
    uint32_t vintid = word & 0xffff;
    unsigned priority = (word >> 16) & 0xff;
    unsigned group = (word >> 24) & 0xff;
    unsigned index = (word >> 32) & 0xff;
    if (vintid >= INTID_FIRST_SPECIAL || priority > 31 || group > 1 || index >= gic_lr_count()) {
        return TESSERA_RANGE_ERROR;
    }
    if (lr_read(v, index) & LR_STATE_ACTIVE) {
        return TESSERA_DELETE_FIRST;
    }
    /* The LR holds an 8-bit priority; the 5 bits seL4 accepts are its top bits. */
    lr_write(v, index, gic_make_lr(vintid, priority << 3, group));
    return TESSERA_OK;
}

struct vcpu *arch_vcpu_loaded(void)
{
    return loaded;
}

/* A restarted vCPU is a fresh CPU: no interrupt in flight, virtual timer unmasked. */
void arch_vcpu_reset_interrupts(struct vcpu *v)
{
    v->arch.vppi_masked = false;
    for (unsigned i = 0; i < 4; i++) {
        lr_write(v, i, 0);
    }
    if (v == loaded) {
        struct vgic_state fresh = {.hcr = 1};
        gic_vcpu_restore(&fresh);
    }
    v->arch.vgic = (struct vgic_state){.hcr = 1};
}

bool arch_vcpu_ack_vppi(struct vcpu *v, uint64_t irq)
{
    if (irq != INTID_VTIMER) {
        return false;
    }
    v->arch.vppi_masked = false;
    if (v == loaded && !native_mode) {
        arch_irq_unmask(INTID_VTIMER);
    }
    return true;
}

uint64_t arch_vcpu_timer_event(struct vcpu *v)
{
    v->arch.vppi_masked = true;
    return INTID_VTIMER;
}

uint64_t arch_vcpu_maintenance_event(struct vcpu *v)
{
    (void)v; /* the loaded vCPU: its list registers are the hardware's */
    uint32_t eoi = gic_eoi_status();
    if (eoi == 0) {
        return (uint64_t)-1;
    }
    unsigned index = (unsigned)__builtin_ctz(eoi);
    /* Clear the EOI request so the maintenance interrupt drops before it is ended. */
    gic_write_lr(index, gic_read_lr(index) & ~LR_EOI);
    return index;
}

static bool lr_pending(struct vcpu *v)
{
    for (unsigned i = 0; i < gic_lr_count(); i++) {
        if (lr_read(v, i) & LR_STATE_PENDING) {
            return true;
        }
    }
    return false;
}

/* WFI: the vCPU sleeps in the kernel (vcpu_wait.c) until an interrupt is injected or its timer
 * is due. WFE just yields. */
void vcpu_handle_wfx(struct vcpu *v, uint64_t esr)
{
    struct thread *t = &v->thread;
    t->frame.elr += 4;
    if (esr & 1) {
        sched_yield();
        return;
    }
    if (lr_pending(v)) {
        return;
    }
    uint64_t ctl = read_sysreg(cntv_ctl_el0);
    uint64_t deadline = 0;
    if ((ctl & 1) && !(ctl & 2) && !v->arch.vppi_masked) {
        if (ctl & 4) {
            return; /* already due: PPI 27 is about to fire */
        }
        deadline = read_sysreg(cntv_cval_el0) + read_sysreg(cntvoff_el2);
        if (deadline == 0) {
            deadline = 1;
        }
    }
    vcpu_wait_for_interrupt(v, deadline);
}
