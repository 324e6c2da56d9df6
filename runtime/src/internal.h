/* The runtime's own parts, apart so host tests (tests/unit/test_runtime.c) can drive them. */
#pragma once

#include <stdbool.h>
#include <microkit.h>

/* One receive and the entry point it calls; returns whether a reply is due (left in *reply). */
bool tessera_event_step(bool have_reply, microkit_msginfo *reply);

typedef void (*tessera_constructor)(void);
void tessera_run_constructors(const tessera_constructor *start, const tessera_constructor *end);
void tessera_ack_own_irqs(void);
/* Everything before the first receive: constructors, init(), then the IRQ acks. */
void tessera_pd_start(const tessera_constructor *start, const tessera_constructor *end);
void tessera_pd_main(void) __attribute__((noreturn));

/* Stops the PD with `error` in x0 (a breakpoint the kernel reports or gives the parent as a
 * fault); a resumed PD takes it again. In crash_stop.S; host tests give their own. */
void tessera_stop_self(uint64_t error) __attribute__((noreturn));

/* Patched by mksystem: 1 if the .system file gave this PD smc="true". */
extern uint8_t tessera_pd_smc;
