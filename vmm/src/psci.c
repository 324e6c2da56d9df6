#include <stdbool.h>
#include <vmm/psci.h>

#define FN_SMCCC_VERSION       0x80000000u
#define FN_SMCCC_ARCH_FEATURES 0x80000001u
#define FN_PSCI_VERSION        0x84000000u
#define FN_PSCI_CPU_SUSPEND    0x84000001u
#define FN_PSCI_CPU_OFF        0x84000002u
#define FN_PSCI_CPU_ON         0x84000003u
#define FN_PSCI_AFFINITY_INFO  0x84000004u
#define FN_PSCI_MIGRATE_INFO   0x84000006u
#define FN_PSCI_SYSTEM_OFF     0x84000008u
#define FN_PSCI_SYSTEM_RESET   0x84000009u
#define FN_PSCI_FEATURES       0x8400000au
#define SMC64                  0x40000000u /* the 64-bit variant of a function id */

static struct psci_result answer(uint64_t x0)
{
    return (struct psci_result){PSCI_ANSWER, x0};
}

static bool supported(uint32_t function)
{
    switch (function & ~SMC64) {
    case FN_SMCCC_VERSION:
    case FN_PSCI_VERSION:
    case FN_PSCI_CPU_OFF:
    case FN_PSCI_CPU_ON:
    case FN_PSCI_AFFINITY_INFO:
    case FN_PSCI_MIGRATE_INFO:
    case FN_PSCI_SYSTEM_OFF:
    case FN_PSCI_SYSTEM_RESET:
    case FN_PSCI_FEATURES:
        return true;
    default:
        return false;
    }
}

struct psci_result psci_handle(uint64_t function, uint64_t arg1, uint64_t arg2, uint64_t arg3, unsigned vcpu_count)
{
    (void)arg2;
    (void)arg3;
    if (function >> 32 != 0) {
        return answer(PSCI_NOT_SUPPORTED); /* SMCCC: function ids are 32 bits */
    }
    uint32_t id = (uint32_t)function;
    switch (id & ~SMC64) {
    case FN_SMCCC_VERSION:
        return answer(0x10001); /* SMCCC 1.1 */
    case FN_SMCCC_ARCH_FEATURES:
        return answer(PSCI_NOT_SUPPORTED); /* no firmware workarounds to offer */
    case FN_PSCI_VERSION:
        return answer(0x10001); /* PSCI 1.1 */
    case FN_PSCI_CPU_OFF:
        return (struct psci_result){PSCI_CPU_OFF, PSCI_SUCCESS};
    case FN_PSCI_CPU_ON: {
        uint64_t target = arg1 & 0xff00ffffffUL; /* affinity fields */
        if (target < vcpu_count) {
            return answer(PSCI_ALREADY_ON); /* only the boot vCPU exists and it runs */
        }
        return answer(PSCI_INVALID_PARAMETERS);
    }
    case FN_PSCI_AFFINITY_INFO:
        return answer((arg1 & 0xff00ffffffUL) < vcpu_count ? 0 /* ON */ : PSCI_INVALID_PARAMETERS);
    case FN_PSCI_MIGRATE_INFO:
        return answer(2); /* no trusted OS that needs migrating */
    case FN_PSCI_SYSTEM_OFF:
        return (struct psci_result){PSCI_SYSTEM_OFF, PSCI_SUCCESS};
    case FN_PSCI_SYSTEM_RESET:
        return (struct psci_result){PSCI_SYSTEM_RESET, PSCI_SUCCESS};
    case FN_PSCI_FEATURES:
        return answer(supported((uint32_t)arg1) ? PSCI_SUCCESS : PSCI_NOT_SUPPORTED);
    default:
        return answer(PSCI_NOT_SUPPORTED);
    }
}
