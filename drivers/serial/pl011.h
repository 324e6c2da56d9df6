/* ARM PrimeCell UART PL011 (TRM DDI 0183): register map and divisor computation. Implements uart_hw.h. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "uart_hw.h"

/* Register indexes into uart_hw.regs (byte offset / 4), TRM 3.2. */
#define PL011_DR    (0x00 / 4)
#define PL011_RSR   (0x04 / 4) /* read: receive status; write: error clear (ECR) */
#define PL011_ECR   PL011_RSR
#define PL011_FR    (0x18 / 4)
#define PL011_IBRD  (0x24 / 4)
#define PL011_FBRD  (0x28 / 4)
#define PL011_LCR_H (0x2c / 4)
#define PL011_CR    (0x30 / 4)
#define PL011_IFLS  (0x34 / 4)
#define PL011_IMSC  (0x38 / 4)
#define PL011_RIS   (0x3c / 4)
#define PL011_MIS   (0x40 / 4)
#define PL011_ICR   (0x44 / 4)

/* DR: flags of the received byte in bits 8..11 (TRM 3.3.1). */
#define PL011_DR_FE   (1u << 8)
#define PL011_DR_PE   (1u << 9)
#define PL011_DR_BE   (1u << 10)
#define PL011_DR_OE   (1u << 11)
#define PL011_DR_ERRS (PL011_DR_FE | PL011_DR_PE | PL011_DR_BE | PL011_DR_OE)

/* FR (TRM 3.3.3). */
#define PL011_FR_BUSY (1u << 3)
#define PL011_FR_RXFE (1u << 4)
#define PL011_FR_TXFF (1u << 5)
#define PL011_FR_RXFF (1u << 6)
#define PL011_FR_TXFE (1u << 7)

/* LCR_H (TRM 3.3.7). */
#define PL011_LCR_H_BRK   (1u << 0)
#define PL011_LCR_H_PEN   (1u << 1)
#define PL011_LCR_H_EPS   (1u << 2)
#define PL011_LCR_H_STP2  (1u << 3)
#define PL011_LCR_H_FEN   (1u << 4)
#define PL011_LCR_H_WLEN8 (3u << 5)
#define PL011_LCR_H_SPS   (1u << 7)

/* CR (TRM 3.3.8). */
#define PL011_CR_UARTEN (1u << 0)
#define PL011_CR_TXE    (1u << 8)
#define PL011_CR_RXE    (1u << 9)

/* IFLS (TRM 3.3.9): both FIFOs interrupt at half full (TXIFLSEL bits 2:0, RXIFLSEL bits 5:3, 0b010 = 1/2). */
#define PL011_IFLS_HALF ((2u << 3) | 2u)

/* IMSC / RIS / MIS / ICR bits (TRM 3.3.10-3.3.13). */
#define PL011_INT_RX  (1u << 4)
#define PL011_INT_TX  (1u << 5)
#define PL011_INT_RT  (1u << 6)
#define PL011_INT_FE  (1u << 7)
#define PL011_INT_PE  (1u << 8)
#define PL011_INT_BE  (1u << 9)
#define PL011_INT_OE  (1u << 10)
#define PL011_INT_ALL 0x7ffu

/* The divisors for baud from a clock_hz UARTCLK (TRM 3.3.6): BAUDDIV = clock / (16 * baud) = ibrd + fbrd / 64,
 * fbrd rounded to nearest. False if the result is outside 1 <= BAUDDIV <= 65535 or off by more than 2%. */
bool pl011_divisors(uint32_t clock_hz, uint32_t baud, uint32_t *ibrd, uint32_t *fbrd);
