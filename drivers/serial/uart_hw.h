/* Register-level UART chip interface. Each chip (pl011.c, meson_uart.c) implements every function below; a
 * board links exactly one of them (BOARD_DEBUG_UART, drivers/serial/uart.mk). Portable C: no OS, no libc. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct uart_hw {
    volatile uint32_t *regs; /* the chip's register page */
    uint32_t clock_hz;       /* reference clock */
    uint32_t baud;
    unsigned rx_errors; /* framing/parity/break/overrun seen on received bytes, counted */
};

/* Program the UART: 8 data bits, no parity, 1 stop bit, FIFOs on, the baud from clock_hz,
 * receive interrupts on, transmit interrupt off. Waits for a transmission in progress to end
 * first (bounded loop, never forever). False if the baud cannot be reached within 2% with this clock (nothing is
 * then changed). */
bool uart_hw_init(struct uart_hw *u);
/* Write bytes while the transmit FIFO has room; return how many were written (0..count). */
uint32_t uart_hw_write(struct uart_hw *u, const char *bytes, uint32_t count);
/* Read received bytes while any are waiting, up to max; return how many. Bytes received with an error are still
 * delivered but counted in rx_errors (and the error state cleared). */
uint32_t uart_hw_read(struct uart_hw *u, char *bytes, uint32_t max);
/* Transmit interrupt: wanted only while output waits for FIFO room. */
void uart_hw_set_tx_irq(struct uart_hw *u, bool enable);
/* Receive interrupts (incl. the receive timeout where the chip has one): off applies back-pressure when the driver
 * has nowhere to put input. */
void uart_hw_set_rx_irq(struct uart_hw *u, bool enable);
/* Acknowledge every interrupt cause now pending (after the driver has serviced them). */
void uart_hw_irq_clear(struct uart_hw *u);
/* Whether a receive / transmit interrupt condition is pending (masked status). */
bool uart_hw_rx_pending(struct uart_hw *u);
bool uart_hw_tx_pending(struct uart_hw *u);

/* How many status reads init spends waiting for the transmitter to go idle before it carries on regardless. At
 * tens of nanoseconds per device read this outlasts a full 64-byte FIFO draining at 9600 baud (67 ms), and a
 * wedged chip (or one whose FIFO cannot drain because it is disabled) must not hang boot. */
#define UART_HW_IDLE_POLLS (1u << 22)

/* Register access for the chip files. Host unit tests build them with UART_HW_FAKE and supply a model of the chip
 * that sees every access (tests/unit/test_uart.c), since a plain array cannot drain a FIFO or log write order;
 * everywhere else these are plain 32-bit volatile MMIO accesses to regs[index] (index = byte offset / 4). */
#ifdef UART_HW_FAKE
uint32_t uart_hw_fake_read(volatile uint32_t *regs, uint32_t index);
void uart_hw_fake_write(volatile uint32_t *regs, uint32_t index, uint32_t value);

static inline uint32_t uart_hw_reg_read(const struct uart_hw *u, uint32_t index)
{
    return uart_hw_fake_read(u->regs, index);
}

static inline void uart_hw_reg_write(const struct uart_hw *u, uint32_t index, uint32_t value)
{
    uart_hw_fake_write(u->regs, index, value);
}
#else
static inline uint32_t uart_hw_reg_read(const struct uart_hw *u, uint32_t index)
{
    return u->regs[index];
}

static inline void uart_hw_reg_write(const struct uart_hw *u, uint32_t index, uint32_t value)
{
    u->regs[index] = value;
}
#endif
