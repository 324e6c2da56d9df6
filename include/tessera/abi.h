/*
 * The kernel's system-call ABI, shared by the kernel and the PD runtime (libmicrokit).
 *
 * A PD enters the kernel with `svc #0`, x7 = call number, arguments in x0..x6. Message registers
 * MR0..MR3 travel in x2..x5; MR4 and up stay in the caller's IPC buffer and the kernel copies
 * them. Results come back in x0..x6; every register not listed as a result is preserved.
 */
#pragma once

enum tessera_syscall {
    /* Block until an event. Out: x0 = enum tessera_event, x1 = msginfo, x2..x5 = MR0..MR3,
     * x6 = notification word (EVENT_NOTIFY), channel id (EVENT_PPC) or child id (EVENT_FAULT). */
    SYS_RECV = 0,
    /* Reply to the PPC or fault being handled (x1 msginfo, x2..x5 MRs), then SYS_RECV. */
    SYS_REPLY_RECV = 1,
    /* The deferred action (x0 = op | ch << 8, op = DEFERRED_NOTIFY or DEFERRED_IRQ_ACK), then RECV. */
    SYS_SIGNAL_RECV = 2,
    SYS_NOTIFY = 3,  /* x0 channel id */
    SYS_IRQ_ACK = 4, /* x0 IRQ id */
    /* x0 channel id, x1 msginfo, x2..x5 MRs. Out: x1 msginfo, x2..x5 MRs of the reply. */
    SYS_PPCALL = 5,
    /* x0 child id, x1 enum tessera_child_op, x2 pc (RESTART). Out: x0 error. */
    SYS_CHILD_CTL = 6,
    /* x0 child id, x1 count <= TESSERA_USER_CONTEXT_WORDS: registers into IPC buffer MR0.. */
    SYS_TCB_READ = 7,
    /* x0 child id, x1 resume (0/1), x2 count: registers from IPC buffer MR0.. . Out: x0 error. */
    SYS_TCB_WRITE = 8,
    SYS_VCPU_READ_REG = 9,   /* x0 vcpu id, x1 reg. Out: x0 error, x1 value */
    SYS_VCPU_WRITE_REG = 10, /* x0 vcpu id, x1 reg, x2 value. Out: x0 error */
    SYS_VCPU_INJECT = 11,    /* x0 vcpu id, x1 packed word (TESSERA_INJECT_*). Out: x0 error */
    SYS_VCPU_ACK_VPPI = 12,  /* x0 vcpu id, x1 INTID. Out: x0 error */
    SYS_SMC = 13,            /* x0..x6 SMC arguments. Out: x0..x3. Only for PDs with smc="true" */
    SYS_DEBUG_PUTC = 14,     /* x0 character. Debug builds only */
    SYS_DEBUG_POWEROFF = 15, /* ends the whole system (PSCI SYSTEM_OFF). Debug builds only */
    /* x0 length <= TESSERA_DEBUG_TEXT_MAX: prints the IPC buffer's debug_text in one piece, so
     * lines of different PDs never mix. Out: x0 error. Debug builds only */
    SYS_DEBUG_WRITE = 16,
    /* Out: x0 = nanoseconds of the physical counter since it started (at power-on). Monotonic,
     * and the same clock for every PD whatever virtual-counter offset a vCPU has set (a PD that
     * reads cntvct_el0 itself sees the offset of whichever vCPU ran last). */
    SYS_TIME_NOW = 17,
    SYS_COUNT
};

enum tessera_event {
    EVENT_NOTIFY = 0,
    EVENT_PPC = 1,
    EVENT_FAULT = 2,
};

#define DEFERRED_NOTIFY  1
#define DEFERRED_IRQ_ACK 2

enum tessera_child_op {
    CHILD_RESTART = 0, /* set pc, resume */
    CHILD_STOP = 1,
    CHILD_RESUME = 2,
};

/* Errors (seL4's numbering, so ported code reads the same). */
enum tessera_error {
    TESSERA_OK = 0,
    TESSERA_INVALID_ARGUMENT = 1,
    TESSERA_ILLEGAL_OPERATION = 3,
    TESSERA_RANGE_ERROR = 4,
    TESSERA_DELETE_FIRST = 8,
};

/* msginfo: label[63:12] | count[6:0] (seL4's layout; the middle bits are always zero here). */
#define TESSERA_MSG_MAX_WORDS 64

/* Fault labels and message layouts, as seL4 MCS delivers them to a VMM. */
enum tessera_fault_label {
    FAULT_USER_EXCEPTION = 3,   /* MR0 pc, MR1 sp, MR2 spsr, MR3 esr, MR4 code */
    FAULT_VM = 6,               /* MR0 pc, MR1 address (IPA), MR2 prefetch (0/1), MR3 esr */
    FAULT_VGIC_MAINTENANCE = 7, /* MR0 list register index, or -1 */
    FAULT_VCPU = 8,             /* MR0 esr (HVC, SMC, trapped system register, WFx if forwarded) */
    FAULT_VPPI = 9,             /* MR0 INTID (27, the virtual timer) */
};

/* TCB_READ/TCB_WRITE order (seL4_UserContext): 36 words. */
#define TESSERA_USER_CONTEXT_WORDS 36
enum tessera_user_context {
    UCTX_PC = 0,
    UCTX_SP = 1,
    UCTX_SPSR = 2,
    UCTX_X0 = 3, /* x0..x8 at 3..11 */
    UCTX_X16 = 12,
    UCTX_X17 = 13,
    UCTX_X18 = 14,
    UCTX_X29 = 15,
    UCTX_X30 = 16,
    UCTX_X9 = 17,  /* x9..x15 at 17..23 */
    UCTX_X19 = 24, /* x19..x28 at 24..33 */
    UCTX_TPIDR_EL0 = 34,
    UCTX_TPIDRRO_EL0 = 35,
};

/* VCPU_READ_REG/VCPU_WRITE_REG register numbers (seL4_VCPUReg). */
enum tessera_vcpu_reg {
    VCPU_SCTLR = 0,
    VCPU_CPACR = 1,
    VCPU_TTBR0 = 2,
    VCPU_TTBR1 = 3,
    VCPU_TCR = 4,
    VCPU_MAIR = 5,
    VCPU_AMAIR = 6,
    VCPU_CIDR = 7,
    VCPU_ACTLR = 8,
    VCPU_AFSR0 = 9,
    VCPU_AFSR1 = 10,
    VCPU_ESR = 11,
    VCPU_FAR = 12,
    VCPU_PAR = 13,
    VCPU_VBAR = 14,
    VCPU_TPIDR_EL1 = 15,
    VCPU_VMPIDR_EL2 = 16,
    VCPU_SP_EL1 = 17,
    VCPU_ELR_EL1 = 18,
    VCPU_SPSR_EL1 = 19,
    VCPU_CNTV_CTL = 20,
    VCPU_CNTV_CVAL = 21,
    VCPU_CNTVOFF = 22,
    VCPU_CNTKCTL_EL1 = 23,
    VCPU_REG_COUNT = 24
};

/* VCPU_INJECT word: vintid[15:0] | priority[23:16] | group[31:24] | list register index[39:32]. */
#define TESSERA_INJECT_WORD(vintid, prio, group, lr)                                            \
    ((unsigned long)(vintid) | ((unsigned long)(prio) << 16) | ((unsigned long)(group) << 24) | \
     ((unsigned long)(lr) << 32))

/* PD address-space layout: programs are linked at 0x20_0000; the IPC buffer is the top page of a
 * 40-bit IPA space, with a guard page below it and the stack below that. */
#define TESSERA_PD_LINK_BASE     0x200000UL
#define TESSERA_PD_IPC_BUFFER    0xfffffff000UL
#define TESSERA_PD_STACK_TOP     0xffffffe000UL
#define TESSERA_PD_STACK_DEFAULT 0x2000UL

/* IPC buffer layout: message registers first, then the text of SYS_DEBUG_WRITE (apart, so that
 * printing never disturbs a message being built). */
#define TESSERA_DEBUG_TEXT_MAX 256
struct tessera_ipc_buffer {
    unsigned long mrs[TESSERA_MSG_MAX_WORDS];
    char debug_text[TESSERA_DEBUG_TEXT_MAX];
};
