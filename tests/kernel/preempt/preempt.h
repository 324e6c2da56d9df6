/* The three PDs log events into a shared region; low checks the order at the end. */
#pragma once

#include "../common/ktest.h"

struct event_log {
    volatile uint64_t count;
    volatile char events[64];
};

extern uint64_t event_log_vaddr;

static inline void log_event(char event)
{
    struct event_log *log = (struct event_log *)event_log_vaddr;
    if (log->count < sizeof(log->events)) {
        log->events[log->count] = event;
        log->count = log->count + 1;
    }
}
