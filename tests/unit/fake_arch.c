#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <kernel/arch.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include "fake_arch.h"

uint64_t fake_now;
uint64_t fake_deadline;
struct thread *fake_entered;
jmp_buf fake_return;

uint64_t arch_counter_now(void)
{
    return fake_now;
}

uint64_t arch_counter_frequency(void)
{
    return 1000000; /* one tick per microsecond keeps budgets readable */
}

void arch_timer_set_deadline(uint64_t ticks)
{
    fake_deadline = ticks;
}

void arch_switch_thread(struct thread *next)
{
    (void)next;
}

void kernel_exit(struct frame *frame)
{
    fake_entered = (struct thread *)frame; /* frame is the first member of struct thread */
    longjmp(fake_return, 1);
}

void arch_idle(void)
{
    fake_entered = NULL;
    longjmp(fake_return, 1);
}

struct thread *fake_schedule(void)
{
    if (setjmp(fake_return) == 0) {
        schedule();
    }
    return fake_entered;
}

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
    vfprintf(stderr, fmt, args);
    va_end(args);
    abort();
}
