/* microkit_arm_smc_call over SYS_SMC: x0..x6 in, x0..x3 out (<microkit.h> says why). */
#include <microkit.h>
#include "internal.h"

uint8_t tessera_pd_smc __attribute__((section(".data"))) = 0;

void microkit_arm_smc_call(seL4_ARM_SMCContext *args, seL4_ARM_SMCContext *response)
{
    if (!tessera_pd_smc) {
        tessera_crash("microkit_arm_smc_call: the PD may not make SMC calls (give it smc=\"true\")", args->x0);
    }
    if (args->x7 != 0) {
        tessera_crash("microkit_arm_smc_call: x7 cannot be passed (the system call number travels in it)", args->x7);
    }
    struct tessera_event_regs regs = {{args->x0, args->x1, args->x2, args->x3, args->x4, args->x5, args->x6}};
    tessera_syscall_event(SYS_SMC, &regs);
    *response = (seL4_ARM_SMCContext){regs.x[0], regs.x[1], regs.x[2], regs.x[3], 0, 0, 0, 0};
}
