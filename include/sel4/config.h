/*
 * The seL4 configuration names that Microkit programs and sDDF test, set to what Tessera is.
 * Only names whose meaning holds here are defined: a program that tests one we leave out gets
 * the code path for a kernel without that feature, which is the truth.
 *
 * CONFIG_DEBUG (0 or 1) comes from the build: `make` passes -DCONFIG_DEBUG; the Microkit-style
 * SDK (runtime/sdk.mk) writes it into <kernel/gen_config.h> next to this header.
 */
#pragma once

#ifndef CONFIG_DEBUG
#if __has_include(<kernel/gen_config.h>)
#include <kernel/gen_config.h>
#endif
#endif
#ifndef CONFIG_DEBUG
#error "build with -DCONFIG_DEBUG=0 or 1, or against the Tessera Microkit SDK (which sets it)"
#endif

/* AArch64 only, one core, EL2 kernel with vCPUs (the microkit_vcpu_* calls). */
#define CONFIG_ARCH_AARCH64           1
#define CONFIG_ARCH_ARM               1
#define CONFIG_WORD_SIZE              64
#define CONFIG_MAX_NUM_NODES          1
#define CONFIG_ARM_HYPERVISOR_SUPPORT 1
/* SMC calls go through the kernel for PDs given smc="true" (microkit_arm_smc_call). */
#define CONFIG_ALLOW_SMC_CALLS 1

#if CONFIG_DEBUG
/* Debug builds print PD output (release builds drop it, as seL4 without CONFIG_PRINTING). */
#define CONFIG_DEBUG_BUILD 1
#define CONFIG_PRINTING    1
#endif
