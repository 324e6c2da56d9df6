/* The kernel's clock: the counter (CNTPCT_EL0) and the EL2 physical timer (CNTHP, PPI 26). */
#include <kernel/arch.h>
#include "internal.h"
#include "registers.h"

#define CNTHP_ENABLE 1UL

uint64_t arch_counter_frequency(void)
{
    return read_sysreg(cntfrq_el0);
}

void arch_timer_set_deadline(uint64_t ticks)
{
    if (ticks == UINT64_MAX) {
        write_sysreg(cnthp_ctl_el2, 0);
        return;
    }
    write_sysreg(cnthp_cval_el2, ticks);
    write_sysreg(cnthp_ctl_el2, CNTHP_ENABLE);
}

void arch_timer_disable(void)
{
    write_sysreg(cnthp_ctl_el2, 0);
    isb();
}

void arch_timer_init(void)
{
    write_sysreg(cnthp_ctl_el2, 0);
    arch_irq_unmask(INTID_HYP_TIMER);
    arch_irq_unmask(INTID_MAINTENANCE);
}
