/* Physical interrupts: the kernel's own (timer, GIC maintenance, virtual timer) and PD IRQs. */
#pragma once

#include <kernel/types.h>

void irq_register(uint32_t intid, uint8_t pd, uint8_t id, bool edge);
/* Take and handle one pending interrupt. */
void irq_handle(void);
int irq_ack(uint8_t pd, unsigned id);
