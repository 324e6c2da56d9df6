#include "preempt.h"

uint64_t event_log_vaddr __attribute__((section(".data"))) = 0;

#define HIGH 1

void init(void)
{
    log_event('M');
}

void notified(microkit_channel ch)
{
    (void)ch;
    log_event('m');
    microkit_notify(HIGH);
    log_event('2');
}
