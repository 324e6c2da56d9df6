/*
 * The interface between the portable kernel core (kernel/core/) and an architecture. The core
 * never touches a register, a device or an architectural constant itself: everything hardware
 * goes through the functions and names here (Hafnium's inc/hf/arch/ is the model).
 *
 * Implementations: kernel/arch/aarch64/ (EL2 on Armv8-A) for the kernel; tests/unit/fake_arch.c
 * for the host unit tests of the core. Each provides <arch/machine.h> (found through the include
 * path), which defines:
 *   struct frame        a thread's saved registers (first member of struct thread)
 *   struct arch_thread  the rest of a thread's CPU state (struct thread.arch)
 *   struct arch_vcpu    a vCPU's guest-CPU state (struct vcpu.arch)
 *   ARCH_IRQ_TIMER, ARCH_IRQ_VCPU_MAINTENANCE, ARCH_IRQ_VCPU_TIMER
 *                       interrupt ids the kernel keeps for itself
 *   ARCH_IRQ_NONE       what arch_irq_acknowledge returns when nothing is pending
 *   ARCH_SYSCALL_ARGS   argument and result slots of a system call (include/tessera/abi.h)
 * and the inline functions declared at the top below.
 */
#pragma once

#include <kernel/types.h>
#include <arch/machine.h>

struct thread;
struct vcpu;

/* Inline in <arch/machine.h>, as they run on every system call. */

/* System-call argument or result `index` (< ARCH_SYSCALL_ARGS) of a thread that entered the
 * kernel; the same slots carry an event delivered at RECV. */
static inline uint64_t arch_frame_arg(const struct frame *f, unsigned index);
static inline void arch_frame_set_arg(struct frame *f, unsigned index, uint64_t value);
static inline uint64_t arch_frame_syscall_number(const struct frame *f);
static inline uint64_t arch_frame_pc(const struct frame *f);
static inline void arch_frame_set_pc(struct frame *f, uint64_t pc);
/* The physical counter: monotonic, the same for every thread, never offset for a vCPU. */
static inline uint64_t arch_counter_now(void);

/* Entering threads and leaving the kernel. */

/* Enter the thread whose registers are `frame`; never returns. */
_Noreturn void arch_kernel_exit(struct frame *frame);
/* Idle until an interrupt arrives (which re-enters the kernel); never returns. */
_Noreturn void arch_idle(void);
_Noreturn void arch_poweroff(void);
/* Stop this CPU for good (after a panic). */
_Noreturn void arch_halt(void);
/* `next` is about to run: load its address space and lazily switched state. */
void arch_switch_thread(struct thread *next);
/* A native PD's first registers: unprivileged, at `entry` with stack `stack_top`. */
void arch_thread_init_native(struct thread *t, uint64_t entry, uint64_t stack_top);
/* The first `count` (<= TESSERA_USER_CONTEXT_WORDS) words of a thread's registers in
 * seL4_UserContext order (abi.h). A write is sanitised: no value lets the thread run at a
 * privilege it does not have. */
void arch_user_context_read(const struct thread *t, uint64_t *words, unsigned count);
void arch_user_context_write(struct thread *t, const uint64_t *words, unsigned count);
/* The FAULT_USER_EXCEPTION message (abi.h) for thread `t`, with `code` as its last word. */
void arch_user_exception_message(const struct thread *t, uint64_t code, uint64_t mrs[5]);
/* A firmware call on behalf of a PD allowed to make them: arguments and results in its frame. */
void arch_smc(struct frame *f);

/* Time: the physical counter's rate and the kernel's one timer. */

uint64_t arch_counter_frequency(void);
/* Interrupt (ARCH_IRQ_TIMER) when the counter reaches `ticks`; UINT64_MAX: never. */
void arch_timer_set_deadline(uint64_t ticks);
/* The timer fired: silence it until the next arch_timer_set_deadline. */
void arch_timer_disable(void);

/* The interrupt controller. */

/* The highest-priority pending interrupt, now active; ARCH_IRQ_NONE if there is none. */
uint32_t arch_irq_acknowledge(void);
void arch_irq_end(uint32_t irq);
void arch_irq_mask(uint32_t irq);
void arch_irq_unmask(uint32_t irq);
/* A device interrupt (the system image's IRQs), edge- or level-triggered, routed to this CPU. */
void arch_irq_configure(uint32_t irq, bool edge);
/* For the boot report ("GICv3"). */
const char *arch_irq_controller_name(void);

/* Address spaces: one translation table per PD and per VM, built once at boot. */

paddr_t arch_stage2_new_root(void);
bool arch_stage2_map(paddr_t root, uint64_t ipa, paddr_t pa, uint64_t size, uint32_t attrs);
/* What struct thread.address_space holds for table `root` tagged `vmid`. */
uint64_t arch_address_space(paddr_t root, uint16_t vmid);
/* Every table is written: make them visible to the table walker, forget stale translations. */
void arch_stage2_commit(void);
uint64_t arch_stage2_pages_used(void);
void arch_zero_memory(paddr_t base, uint64_t size);

/* vCPUs: the guest-CPU half (the thread half is the core's, kernel/core/vcpu_wait.c). */

void arch_vcpu_init(struct vcpu *v);
/* Registers by abi.h's VCPU_* number; false if `reg` is not one. */
bool arch_vcpu_read_reg(struct vcpu *v, uint64_t reg, uint64_t *value);
bool arch_vcpu_write_reg(struct vcpu *v, uint64_t reg, uint64_t value);
/* Make a virtual interrupt pending (abi.h's TESSERA_INJECT_WORD); a TESSERA_* error. */
int arch_vcpu_inject(struct vcpu *v, uint64_t word);
/* The VMM has handled virtual PPI `irq` (FAULT_VPPI); false if that is not one the kernel
 * delivers. */
bool arch_vcpu_ack_vppi(struct vcpu *v, uint64_t irq);
/* A restarted vCPU is a fresh CPU: no virtual interrupt in flight. */
void arch_vcpu_reset_interrupts(struct vcpu *v);
/* The vCPU whose state is in the hardware, if any (it need not be running). */
struct vcpu *arch_vcpu_loaded(void);
/* ARCH_IRQ_VCPU_TIMER for the loaded vCPU: mask it until the VMM acks, and give the FAULT_VPPI
 * message word. */
uint64_t arch_vcpu_timer_event(struct vcpu *v);
/* ARCH_IRQ_VCPU_MAINTENANCE for the loaded vCPU: the FAULT_VGIC_MAINTENANCE message word. */
uint64_t arch_vcpu_maintenance_event(struct vcpu *v);
