#include "preempt.h"

uint64_t event_log_vaddr __attribute__((section(".data"))) = 0;

void init(void)
{
    log_event('H');
}

void notified(microkit_channel ch)
{
    (void)ch;
    log_event('h');
}
