/* PSCI 1.1 (Arm DEN 0022) and the SMCCC calls Linux probes, for a guest whose conduit is SMC.
 * Portable: returns what to answer and what the VMM must do. */
#pragma once

#include <stdint.h>

#define PSCI_SUCCESS            0
#define PSCI_NOT_SUPPORTED      ((uint64_t)-1)
#define PSCI_INVALID_PARAMETERS ((uint64_t)-2)
#define PSCI_ALREADY_ON         ((uint64_t)-4)

enum psci_action {
    PSCI_ANSWER,       /* put x0 in the caller's x0 and resume it */
    PSCI_SYSTEM_OFF,   /* the guest asked to power off */
    PSCI_SYSTEM_RESET, /* the guest asked to restart */
    PSCI_CPU_OFF,      /* the calling vCPU stops */
};

struct psci_result {
    enum psci_action action;
    uint64_t x0;
};

/* function = x0 of the call, args = x1..x3. vcpu_count: vCPUs the VM has (MPIDR 0..n-1). */
struct psci_result psci_handle(uint64_t function, uint64_t arg1, uint64_t arg2, uint64_t arg3, unsigned vcpu_count);
