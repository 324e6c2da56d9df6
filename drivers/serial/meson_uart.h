/* Amlogic Meson UART (S905X3 UART_AO_A): register map and baud computation. Implements uart_hw.h.
 * Bit facts: the S905X3 datasheet UART section, as used by Linux drivers/tty/serial/meson_uart.c (and, for the
 * RX overflow and TX count fields of STATUS, Fuchsia's lib/uart amlogic driver). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "uart_hw.h"

/* Register indexes into uart_hw.regs (byte offset / 4). */
#define MESON_UART_WFIFO   (0x00 / 4)
#define MESON_UART_RFIFO   (0x04 / 4)
#define MESON_UART_CONTROL (0x08 / 4)
#define MESON_UART_STATUS  (0x0c / 4)
#define MESON_UART_MISC    (0x10 / 4) /* interrupt thresholds */
#define MESON_UART_REG5    (0x14 / 4) /* baud */

/* CONTROL. Stop bits (17:16), parity (19:18) and data length (21:20) are all 0 for 8N1. */
#define MESON_UART_CTL_TX_EN        (1u << 12)
#define MESON_UART_CTL_RX_EN        (1u << 13)
#define MESON_UART_CTL_TWO_WIRE     (1u << 15) /* RX/TX only: no CTS/RTS */
#define MESON_UART_CTL_STOP_MASK    (3u << 16)
#define MESON_UART_CTL_PARITY_TYPE  (1u << 18)
#define MESON_UART_CTL_PARITY_EN    (1u << 19)
#define MESON_UART_CTL_DATALEN_MASK (3u << 20)
#define MESON_UART_CTL_TX_RST       (1u << 22)
#define MESON_UART_CTL_RX_RST       (1u << 23)
#define MESON_UART_CTL_CLEAR_ERR    (1u << 24)
#define MESON_UART_CTL_RX_INT_EN    (1u << 27)
#define MESON_UART_CTL_TX_INT_EN    (1u << 28)

/* STATUS. */
#define MESON_UART_ST_RX_COUNT_MASK  0x7fu
#define MESON_UART_ST_TX_COUNT_SHIFT 8
#define MESON_UART_ST_TX_COUNT_MASK  (0x7fu << MESON_UART_ST_TX_COUNT_SHIFT)
#define MESON_UART_ST_PARITY_ERR     (1u << 16)
#define MESON_UART_ST_FRAME_ERR      (1u << 17)
#define MESON_UART_ST_TX_WRITE_ERR   (1u << 18) /* WFIFO written while full */
#define MESON_UART_ST_RX_FULL        (1u << 19)
#define MESON_UART_ST_RX_EMPTY       (1u << 20)
#define MESON_UART_ST_TX_FULL        (1u << 21)
#define MESON_UART_ST_TX_EMPTY       (1u << 22)
#define MESON_UART_ST_RX_OVERFLOW    (1u << 24)
#define MESON_UART_ST_TX_BUSY        (1u << 25)
#define MESON_UART_ST_RX_BUSY        (1u << 26)
#define MESON_UART_ST_RX_ERRS        (MESON_UART_ST_PARITY_ERR | MESON_UART_ST_FRAME_ERR | MESON_UART_ST_RX_OVERFLOW)

/* MISC: receive interrupt while at least N bytes wait (7:0), transmit interrupt while fewer than N are queued
 * (15:8). */
#define MESON_UART_MISC_TX_IRQ_SHIFT 8
#define MESON_UART_MISC_RX_IRQ(n)    ((uint32_t)(n)&0xffu)
#define MESON_UART_MISC_TX_IRQ(n)    (((uint32_t)(n)&0xffu) << MESON_UART_MISC_TX_IRQ_SHIFT)
/* There is no receive timeout, so anything above 1 would strand the tail of a burst; the transmit side asks for
 * more at half of UART_AO_A's 64-byte FIFO. */
#define MESON_UART_RX_IRQ_LEVEL 1u
#define MESON_UART_TX_IRQ_LEVEL 32u

/* REG5. */
#define MESON_UART_REG5_BAUD_MASK 0x7fffffu  /* source clock cycles per bit, minus 1 */
#define MESON_UART_REG5_USE_NEW   (1u << 23) /* take the baud from bits 22:0, not CONTROL 11:0 */
#define MESON_UART_REG5_XTAL      (1u << 24) /* source: the 24 MHz crystal, not clk81 */
#define MESON_UART_REG5_XTAL_DIV2 (1u << 27) /* crystal / 2 (clear: / 3) */

#define MESON_UART_XTAL_HZ 24000000u

/* REG5 for baud from a clock_hz reference: the 24 MHz crystal is used divided by 2 (12 MHz), any other clock is
 * taken as clk81, which the UART divides by 4. False if the cycle count does not fit or the rate is off by more
 * than 2%. */
bool meson_uart_baud_reg(uint32_t clock_hz, uint32_t baud, uint32_t *reg5);
