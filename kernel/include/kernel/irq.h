/* Physical interrupts: the kernel's own (its timer, the loaded vCPU's timer and interrupt-controller
 * maintenance) and PD IRQs. */
#pragma once

#include <kernel/types.h>

/* No PD owns any interrupt. */
void irq_init(void);
void irq_register(uint32_t intid, uint8_t pd, uint8_t id, bool edge);
/* Take and handle one pending interrupt. */
void irq_handle(void);
/* PD `pd` acks its IRQ id `id`: TESSERA_OK, or TESSERA_INVALID_ARGUMENT if the id is not one
 * of its IRQs. */
int irq_ack(uint8_t pd, uint64_t id);
