/*
 * The part of seL4's user-level API (libsel4) that Microkit programs use, given with seL4's
 * names, types and meanings where Tessera can honour them (SPEC 5.3). Tessera has no
 * capabilities and no kernel objects: every seL4 invocation (seL4_Signal, seL4_Call,
 * seL4_TCB_*, ...) is left out, so a program that makes one fails to compile instead of doing
 * something else at run time. What is here:
 *
 *   - the fixed-width types, seL4_Word, seL4_CPtr, seL4_Bool with seL4_True/seL4_False;
 *   - seL4_Error with seL4's numbering (the kernel's errors use it too, <tessera/abi.h>);
 *   - seL4_MessageInfo_t (a struct, as in seL4, with seL4's bit layout) and its accessors;
 *   - seL4_GetMR/seL4_SetMR over the IPC buffer's message registers. Tessera has 64
 *     (seL4_MsgMaxLength here), not seL4's 120: an index outside 0..63 stops the PD with a
 *     message instead of touching another register (it never wraps);
 *   - seL4_UserContext and seL4_ARM_SMCContext, laid out as on seL4/AArch64;
 *   - the fault labels and message-register positions the kernel delivers to a fault handler;
 *   - seL4_DebugPutChar, in builds with CONFIG_PRINTING.
 */
#pragma once

#include <stdint.h>
#include <sel4/config.h>
#include <tessera/abi.h>

typedef int8_t seL4_Int8;
typedef int16_t seL4_Int16;
typedef int32_t seL4_Int32;
typedef int64_t seL4_Int64;
typedef uint8_t seL4_Uint8;
typedef uint16_t seL4_Uint16;
typedef uint32_t seL4_Uint32;
typedef uint64_t seL4_Uint64;

typedef seL4_Uint64 seL4_Word;
/* Names a slot in seL4; here only the numbers <microkit.h> gives microkit_signal_cap. */
typedef seL4_Word seL4_CPtr;
/* seL4's own choice (a signed byte), so that code storing other values in one behaves alike. */
typedef seL4_Int8 seL4_Bool;

#define seL4_True  1
#define seL4_False 0

#define seL4_WordBits      64
#define seL4_WordSizeBits  3
#define seL4_PageBits      12
#define seL4_LargePageBits 21
#define seL4_MsgMaxLength  TESSERA_MSG_MAX_WORDS

typedef enum {
    seL4_NoError = 0,
    seL4_InvalidArgument = 1,
    seL4_InvalidCapability = 2,
    seL4_IllegalOperation = 3,
    seL4_RangeError = 4,
    seL4_AlignmentError = 5,
    seL4_FailedLookup = 6,
    seL4_TruncatedMessage = 7,
    seL4_DeleteFirst = 8,
    seL4_RevokeFirst = 9,
    seL4_NotEnoughMemory = 10,
    seL4_NumErrors
} seL4_Error;

_Static_assert((int)seL4_InvalidArgument == (int)TESSERA_INVALID_ARGUMENT &&
                   (int)seL4_IllegalOperation == (int)TESSERA_ILLEGAL_OPERATION &&
                   (int)seL4_RangeError == (int)TESSERA_RANGE_ERROR &&
                   (int)seL4_DeleteFirst == (int)TESSERA_DELETE_FIRST,
               "the kernel's errors are seL4's numbers");

/* label[63:12] capsUnwrapped[11:9] extraCaps[8:7] length[6:0], one word as in seL4. The cap
 * fields are kept as given but mean nothing here: no capability is ever transferred. */
typedef struct seL4_MessageInfo {
    seL4_Uint64 words[1];
} seL4_MessageInfo_t;

#define SEL4_MSGINFO_LABEL_BITS  52
#define SEL4_MSGINFO_LENGTH_MASK 0x7fULL

static inline seL4_MessageInfo_t seL4_MessageInfo_new(seL4_Uint64 label, seL4_Uint64 capsUnwrapped,
                                                      seL4_Uint64 extraCaps, seL4_Uint64 length)
{
    seL4_MessageInfo_t info;
    info.words[0] = ((label & ((1ULL << SEL4_MSGINFO_LABEL_BITS) - 1)) << 12) | ((capsUnwrapped & 0x7ULL) << 9) |
                    ((extraCaps & 0x3ULL) << 7) | (length & SEL4_MSGINFO_LENGTH_MASK);
    return info;
}

static inline seL4_Uint64 seL4_MessageInfo_get_label(seL4_MessageInfo_t info)
{
    return info.words[0] >> 12;
}

static inline seL4_Uint64 seL4_MessageInfo_get_length(seL4_MessageInfo_t info)
{
    return info.words[0] & SEL4_MSGINFO_LENGTH_MASK;
}

static inline seL4_MessageInfo_t seL4_MessageInfo_set_label(seL4_MessageInfo_t info, seL4_Uint64 label)
{
    info.words[0] = (info.words[0] & 0xfffULL) | ((label & ((1ULL << SEL4_MSGINFO_LABEL_BITS) - 1)) << 12);
    return info;
}

static inline seL4_MessageInfo_t seL4_MessageInfo_set_length(seL4_MessageInfo_t info, seL4_Uint64 length)
{
    info.words[0] = (info.words[0] & ~SEL4_MSGINFO_LENGTH_MASK) | (length & SEL4_MSGINFO_LENGTH_MASK);
    return info;
}

/* The runtime's IPC buffer (the page at TESSERA_PD_IPC_BUFFER in every PD); host tests of the
 * runtime point it at memory of their own. */
#ifndef TESSERA_RUNTIME_IPC_BUFFER
#define TESSERA_RUNTIME_IPC_BUFFER ((struct tessera_ipc_buffer *)TESSERA_PD_IPC_BUFFER)
#endif

/* Stops the PD, naming the bad index (runtime/src/crash.c). */
void tessera_mr_index_fault(const char *call, long index) __attribute__((noreturn));

static inline seL4_Word seL4_GetMR(int i)
{
    if (i < 0 || i >= seL4_MsgMaxLength) {
        tessera_mr_index_fault("seL4_GetMR", i);
    }
    return TESSERA_RUNTIME_IPC_BUFFER->mrs[i];
}

static inline void seL4_SetMR(int i, seL4_Word mr)
{
    if (i < 0 || i >= seL4_MsgMaxLength) {
        tessera_mr_index_fault("seL4_SetMR", i);
    }
    TESSERA_RUNTIME_IPC_BUFFER->mrs[i] = mr;
}

/* A thread's general registers in seL4's AArch64 order: what TCB_READ/TCB_WRITE move
 * (tessera_tcb_read_registers in <microkit.h>; UCTX_* in <tessera/abi.h>). */
typedef struct seL4_UserContext_ {
    seL4_Word pc, sp, spsr, x0, x1, x2, x3, x4, x5, x6, x7, x8, x16, x17, x18, x29, x30, x9, x10, x11, x12, x13, x14,
        x15, x19, x20, x21, x22, x23, x24, x25, x26, x27, x28, tpidr_el0, tpidrro_el0;
} seL4_UserContext;

_Static_assert(sizeof(seL4_UserContext) == TESSERA_USER_CONTEXT_WORDS * sizeof(seL4_Word),
               "seL4_UserContext is the kernel's register order");

/* Arguments and results of an SMC (microkit_arm_smc_call in <microkit.h> says what Tessera
 * passes). */
typedef struct seL4_ARM_SMCContext_ {
    seL4_Word x0, x1, x2, x3, x4, x5, x6, x7;
} seL4_ARM_SMCContext;

/* Fault labels as this kernel delivers them to fault(), and where each message puts what. */
typedef enum {
    seL4_Fault_NullFault = 0,
    seL4_Fault_UserException = FAULT_USER_EXCEPTION,
    seL4_Fault_VMFault = FAULT_VM,
    seL4_Fault_VGICMaintenance = FAULT_VGIC_MAINTENANCE,
    seL4_Fault_VCPUFault = FAULT_VCPU,
    seL4_Fault_VPPIEvent = FAULT_VPPI,
} seL4_FaultType;

enum {
    seL4_VMFault_IP = 0,
    seL4_VMFault_Addr = 1,
    seL4_VMFault_PrefetchFault = 2,
    seL4_VMFault_FSR = 3,
    seL4_VMFault_Length = 4,
};

enum {
    seL4_UserException_FaultIP = 0,
    seL4_UserException_SP = 1,
    seL4_UserException_SPSR = 2,
    seL4_UserException_Number = 3,
    seL4_UserException_Code = 4,
    seL4_UserException_Length = 5,
};

#ifdef CONFIG_PRINTING
/* One character straight to the kernel's debug console (runtime/src/debug.c). */
void tessera_debug_putc(int c);

static inline void seL4_DebugPutChar(char c)
{
    tessera_debug_putc(c);
}
#endif
