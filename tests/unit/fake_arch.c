/* The fake arch of fake_arch.h: every function of <kernel/arch.h> the core calls, over plain
 * variables. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kernel/arch.h>
#include <kernel/boot.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include "fake_arch.h"

uint64_t fake_now;
uint64_t fake_deadline;
struct thread *fake_entered;
jmp_buf fake_return;

bool fake_irq_masked[FAKE_IRQS];
bool fake_irq_configured[FAKE_IRQS];
bool fake_irq_edge[FAKE_IRQS];
unsigned fake_irq_ends[FAKE_IRQS];
uint32_t fake_irq_pending = ARCH_IRQ_NONE;
unsigned fake_timer_disables;

struct fake_map fake_maps[FAKE_MAPS];
unsigned fake_map_count;
unsigned fake_roots;
unsigned fake_commits;
struct fake_zero fake_zeros[FAKE_MAPS];
unsigned fake_zero_count;

unsigned fake_smc_calls;
unsigned fake_poweroffs;
struct vcpu *fake_vcpu_loaded;
int fake_inject_result;
uint64_t fake_esr;

char fake_panic_message[256];
bool fake_panic_armed;
jmp_buf fake_panic_return;

void fake_arch_reset(void)
{
    fake_deadline = 0;
    fake_entered = NULL;
    memset(fake_irq_masked, 0, sizeof(fake_irq_masked));
    memset(fake_irq_configured, 0, sizeof(fake_irq_configured));
    memset(fake_irq_edge, 0, sizeof(fake_irq_edge));
    memset(fake_irq_ends, 0, sizeof(fake_irq_ends));
    fake_irq_pending = ARCH_IRQ_NONE;
    fake_timer_disables = 0;
    fake_map_count = fake_roots = fake_commits = fake_zero_count = 0;
    fake_smc_calls = fake_poweroffs = 0;
    fake_vcpu_loaded = NULL;
    fake_inject_result = TESSERA_OK;
    fake_esr = 0;
    fake_panic_message[0] = '\0';
}

/* Time. */

uint64_t arch_counter_frequency(void)
{
    return 1000000; /* one tick per microsecond keeps budgets readable */
}

void arch_timer_set_deadline(uint64_t ticks)
{
    fake_deadline = ticks;
}

void arch_timer_disable(void)
{
    fake_timer_disables++;
}

/* Threads. */

void arch_switch_thread(struct thread *next)
{
    (void)next;
}

void arch_kernel_exit(struct frame *frame)
{
    fake_entered = (struct thread *)frame; /* frame is the first member of struct thread */
    longjmp(fake_return, 1);
}

void arch_idle(void)
{
    fake_entered = NULL;
    longjmp(fake_return, 1);
}

void arch_poweroff(void)
{
    fake_poweroffs++;
    fake_entered = NULL;
    longjmp(fake_return, 1);
}

void arch_halt(void)
{
    abort();
}

void arch_thread_init_native(struct thread *t, uint64_t entry, uint64_t stack_top)
{
    t->frame.pc = entry;
    t->frame.sp = stack_top;
    t->arch.context[UCTX_SPSR] = 0;
}

/* seL4_UserContext index -> the fake's storage: pc, sp, the frame's argument slots for x0..x6,
 * the rest in arch.context. */
static uint64_t *context_word(struct thread *t, unsigned index)
{
    if (index == UCTX_PC) {
        return &t->frame.pc;
    }
    if (index == UCTX_SP) {
        return &t->frame.sp;
    }
    if (index >= UCTX_X0 && index < UCTX_X0 + ARCH_SYSCALL_ARGS) {
        return &t->frame.arg[index - UCTX_X0];
    }
    return &t->arch.context[index];
}

void arch_user_context_read(const struct thread *t, uint64_t *words, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        words[i] = *context_word((struct thread *)t, i);
    }
}

void arch_user_context_write(struct thread *t, const uint64_t *words, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        /* The fake's privilege check: a native PD's mode word stays 0. */
        *context_word(t, i) = i == UCTX_SPSR && !t->is_vcpu ? 0 : words[i];
    }
}

void arch_user_exception_message(const struct thread *t, uint64_t code, uint64_t mrs[5])
{
    mrs[0] = t->frame.pc;
    mrs[1] = t->frame.sp;
    mrs[2] = t->arch.context[UCTX_SPSR];
    mrs[3] = fake_esr;
    mrs[4] = code;
}

void arch_smc(struct frame *f)
{
    fake_smc_calls++;
    f->arg[0] = f->arg[0] + 1; /* an answer the test can tell from the question */
}

/* The interrupt controller. */

uint32_t arch_irq_acknowledge(void)
{
    uint32_t irq = fake_irq_pending;
    fake_irq_pending = ARCH_IRQ_NONE;
    return irq;
}

void arch_irq_end(uint32_t irq)
{
    fake_irq_ends[irq % FAKE_IRQS]++;
}

void arch_irq_mask(uint32_t irq)
{
    fake_irq_masked[irq % FAKE_IRQS] = true;
}

void arch_irq_unmask(uint32_t irq)
{
    fake_irq_masked[irq % FAKE_IRQS] = false;
}

void arch_irq_configure(uint32_t irq, bool edge)
{
    fake_irq_configured[irq % FAKE_IRQS] = true;
    fake_irq_edge[irq % FAKE_IRQS] = edge;
}

const char *arch_irq_controller_name(void)
{
    return "fake interrupt controller";
}

/* Address spaces: roots are small numbers, so a test can tell whose a map is. */

paddr_t arch_stage2_new_root(void)
{
    return (paddr_t)++fake_roots << 12;
}

bool arch_stage2_map(paddr_t root, uint64_t ipa, paddr_t pa, uint64_t size, uint32_t attrs)
{
    if (fake_map_count < FAKE_MAPS) {
        fake_maps[fake_map_count++] = (struct fake_map){root, ipa, pa, size, attrs};
    }
    /* The fake refuses what the real tables cannot hold either: two maps of one IPA. */
    for (unsigned i = 0; i + 1 < fake_map_count; i++) {
        const struct fake_map *m = &fake_maps[i];
        if (m->root == root && ipa < m->ipa + m->size && m->ipa < ipa + size) {
            return false;
        }
    }
    return true;
}

uint64_t arch_address_space(paddr_t root, uint16_t vmid)
{
    return root | vmid;
}

void arch_stage2_commit(void)
{
    fake_commits++;
}

uint64_t arch_stage2_pages_used(void)
{
    return fake_roots;
}

void arch_zero_memory(paddr_t base, uint64_t size)
{
    if (fake_zero_count < FAKE_MAPS) {
        fake_zeros[fake_zero_count++] = (struct fake_zero){base, size};
    }
}

/* vCPUs. */

void arch_vcpu_init(struct vcpu *v)
{
    v->arch = (struct arch_vcpu){0};
}

bool arch_vcpu_read_reg(struct vcpu *v, uint64_t reg, uint64_t *value)
{
    if (reg >= VCPU_REG_COUNT) {
        return false;
    }
    *value = v->arch.regs[reg];
    return true;
}

bool arch_vcpu_write_reg(struct vcpu *v, uint64_t reg, uint64_t value)
{
    if (reg >= VCPU_REG_COUNT) {
        return false;
    }
    v->arch.regs[reg] = value;
    return true;
}

int arch_vcpu_inject(struct vcpu *v, uint64_t word)
{
    if (fake_inject_result == TESSERA_OK) {
        v->arch.last_inject = word;
    }
    return fake_inject_result;
}

bool arch_vcpu_ack_vppi(struct vcpu *v, uint64_t irq)
{
    if (irq != FAKE_VPPI) {
        return false;
    }
    v->arch.vppi_masked = false;
    v->arch.vppi_acks++;
    return true;
}

void arch_vcpu_reset_interrupts(struct vcpu *v)
{
    v->arch.resets++;
}

struct vcpu *arch_vcpu_loaded(void)
{
    return fake_vcpu_loaded;
}

uint64_t arch_vcpu_timer_event(struct vcpu *v)
{
    v->arch.vppi_masked = true;
    return FAKE_VPPI;
}

uint64_t arch_vcpu_maintenance_event(struct vcpu *v)
{
    (void)v;
    return 2; /* "list register 2 was EOId" */
}

/* Running the core. */

struct thread *fake_schedule(void)
{
    if (setjmp(fake_return) == 0) {
        schedule();
    }
    return fake_entered;
}

struct thread *fake_boot(const struct sysimage *image)
{
    if (setjmp(fake_return) == 0) {
        kernel_boot(image);
    }
    return fake_entered;
}

/* The kernel console (printk.c drives a UART; the host has stdio). */

void kputc(char c)
{
    putchar(c);
}

void kprintf(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vprintf(fmt, args);
    va_end(args);
}

void kpanic(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(fake_panic_message, sizeof(fake_panic_message), fmt, args);
    va_end(args);
    if (fake_panic_armed) {
        longjmp(fake_panic_return, 1);
    }
    fprintf(stderr, "kpanic: %s\n", fake_panic_message);
    abort();
}
