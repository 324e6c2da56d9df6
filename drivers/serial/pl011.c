/* ARM PrimeCell UART PL011 (TRM DDI 0183) behind the uart_hw.h interface. */
#include "pl011.h"

bool pl011_divisors(uint32_t clock_hz, uint32_t baud, uint32_t *ibrd, uint32_t *fbrd)
{
    if (clock_hz == 0 || baud == 0) {
        return false;
    }
    /* BAUDDIV in 1/64 units is 64 * clock / (16 * baud) = 4 * clock / baud; computing it at twice that resolution
     * and halving rounds to nearest, and a fraction that rounds up to 64/64 carries into IBRD by itself (TRM 3.3.6).
     * 64 bits because 8 * clock overflows 32. */
    uint64_t div64 = ((8u * (uint64_t)clock_hz) / baud + 1u) / 2u;
    uint64_t i = div64 >> 6;
    uint64_t f = div64 & 63u;
    /* TRM 3.3.6: IBRD = 0 is invalid, and at IBRD = 65535 the fraction must be 0. */
    if (i == 0 || i > 65535u || (i == 65535u && f != 0)) {
        return false;
    }
    /* Achieved rate = 4 * clock / div64; within 2% of baud. With IBRD >= 1 the 1/64 steps always are (worst case
     * 1/128 at IBRD 1), so this only keeps the contract explicit. */
    uint64_t want = div64 * baud;
    uint64_t got = 4u * (uint64_t)clock_hz;
    uint64_t off = got > want ? got - want : want - got;
    if (off * 50u > want) {
        return false;
    }
    *ibrd = (uint32_t)i;
    *fbrd = (uint32_t)f;
    return true;
}

static void wait_idle(struct uart_hw *u)
{
    for (uint32_t n = 0; n < UART_HW_IDLE_POLLS; n++) {
        if ((uart_hw_reg_read(u, PL011_FR) & PL011_FR_BUSY) == 0) {
            return;
        }
    }
}

bool uart_hw_init(struct uart_hw *u)
{
    uint32_t ibrd, fbrd;
    if (!pl011_divisors(u->clock_hz, u->baud, &ibrd, &fbrd)) {
        return false;
    }
    /* TRM 3.3.8 sequence: disable, wait for the end of the current character, flush the FIFOs by clearing FEN,
     * reprogram, enable. The wait comes before the disable here: FR.BUSY stays set while the transmit FIFO holds
     * data, and the FIFO drains only while the UART is enabled (TRM 3.3.3), so waiting after it would lose queued
     * output (firmware's, our own) or wait out the whole bound. A chip that never goes idle costs a bounded wait. */
    wait_idle(u);
    uart_hw_reg_write(u, PL011_CR, 0);
    uart_hw_reg_write(u, PL011_LCR_H, 0);
    /* IBRD/FBRD reach the baud generator only when LCR_H is written next (TRM 3.3.6), so they go first. */
    uart_hw_reg_write(u, PL011_IBRD, ibrd);
    uart_hw_reg_write(u, PL011_FBRD, fbrd);
    uart_hw_reg_write(u, PL011_LCR_H, PL011_LCR_H_WLEN8 | PL011_LCR_H_FEN);
    uart_hw_reg_write(u, PL011_IFLS, PL011_IFLS_HALF);
    uart_hw_reg_write(u, PL011_ICR, PL011_INT_ALL);
    /* The receive timeout (RT) delivers the bytes left below the RX trigger level. Error interrupts stay masked:
     * the flags travel with each byte in DR and are counted as it is read. */
    uart_hw_reg_write(u, PL011_IMSC, PL011_INT_RX | PL011_INT_RT);
    uart_hw_reg_write(u, PL011_CR, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    return true;
}

uint32_t uart_hw_write(struct uart_hw *u, const char *bytes, uint32_t count)
{
    uint32_t n = 0;
    while (n < count && (uart_hw_reg_read(u, PL011_FR) & PL011_FR_TXFF) == 0) {
        uart_hw_reg_write(u, PL011_DR, (uint8_t)bytes[n]);
        n++;
    }
    return n;
}

uint32_t uart_hw_read(struct uart_hw *u, char *bytes, uint32_t max)
{
    uint32_t n = 0;
    while (n < max && (uart_hw_reg_read(u, PL011_FR) & PL011_FR_RXFE) == 0) {
        uint32_t dr = uart_hw_reg_read(u, PL011_DR);
        if (dr & PL011_DR_ERRS) {
            u->rx_errors++;
            /* Any write to ECR clears the flags latched in RSR (TRM 3.3.2); those in DR belonged to this byte only. */
            uart_hw_reg_write(u, PL011_ECR, 0);
        }
        bytes[n] = (char)(dr & 0xffu);
        n++;
    }
    return n;
}

static void imsc_update(struct uart_hw *u, uint32_t bits, bool enable)
{
    uint32_t imsc = uart_hw_reg_read(u, PL011_IMSC);
    imsc = enable ? (imsc | bits) : (imsc & ~bits);
    uart_hw_reg_write(u, PL011_IMSC, imsc);
}

void uart_hw_set_tx_irq(struct uart_hw *u, bool enable)
{
    imsc_update(u, PL011_INT_TX, enable);
}

void uart_hw_set_rx_irq(struct uart_hw *u, bool enable)
{
    imsc_update(u, PL011_INT_RX | PL011_INT_RT, enable);
}

void uart_hw_irq_clear(struct uart_hw *u)
{
    uart_hw_reg_write(u, PL011_ICR, PL011_INT_ALL);
}

bool uart_hw_rx_pending(struct uart_hw *u)
{
    return (uart_hw_reg_read(u, PL011_MIS) & (PL011_INT_RX | PL011_INT_RT)) != 0;
}

bool uart_hw_tx_pending(struct uart_hw *u)
{
    return (uart_hw_reg_read(u, PL011_MIS) & PL011_INT_TX) != 0;
}
