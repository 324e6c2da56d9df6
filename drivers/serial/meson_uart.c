/* Amlogic Meson UART (S905X3 UART_AO_A) behind the uart_hw.h interface. */
#include "meson_uart.h"

bool meson_uart_baud_reg(uint32_t clock_hz, uint32_t baud, uint32_t *reg5)
{
    if (clock_hz == 0 || baud == 0) {
        return false;
    }
    /* The dividers Linux's meson_uart.c uses. With the crystal, G12A-family chips (S905X3's UART_AO is
     * "amlogic,meson-g12a-uart") get crystal / 2, whose finer step lands nearer the standard rates than / 3 (115200:
     * +0.16% against +0.64%); the clk81 path is clk81 / 4. */
    uint32_t source, flags;
    if (clock_hz == MESON_UART_XTAL_HZ) {
        source = clock_hz / 2u;
        flags = MESON_UART_REG5_USE_NEW | MESON_UART_REG5_XTAL | MESON_UART_REG5_XTAL_DIV2;
    } else {
        source = clock_hz / 4u;
        flags = MESON_UART_REG5_USE_NEW;
    }
    uint64_t cycles = ((uint64_t)source + baud / 2u) / baud; /* per bit, rounded to nearest */
    if (cycles == 0 || cycles - 1u > MESON_UART_REG5_BAUD_MASK) {
        return false;
    }
    /* Achieved rate = source / cycles; within 2% of baud. */
    uint64_t want = cycles * baud;
    uint64_t off = source > want ? source - want : want - source;
    if (off * 50u > want) {
        return false;
    }
    *reg5 = flags | (uint32_t)(cycles - 1u);
    return true;
}

static uint32_t control_base(void)
{
    /* 8N1 is all zeros in CONTROL. Two-wire: UART_AO_A is a console port with only RX and TX wired, so the
     * transmitter must not wait for CTS. The legacy baud field (11:0) stays 0: REG5 supplies the rate. */
    return MESON_UART_CTL_TWO_WIRE;
}

bool uart_hw_init(struct uart_hw *u)
{
    uint32_t reg5;
    if (!meson_uart_baud_reg(u->clock_hz, u->baud, &reg5)) {
        return false;
    }
    /* A rate change mid-character garbles it, so let the transmitter go idle first (TX FIFO empty and the last
     * character out of the shift register), within a bound. */
    for (uint32_t n = 0; n < UART_HW_IDLE_POLLS; n++) {
        uint32_t st = uart_hw_reg_read(u, MESON_UART_STATUS);
        if ((st & (MESON_UART_ST_TX_EMPTY | MESON_UART_ST_TX_BUSY)) == MESON_UART_ST_TX_EMPTY) {
            break;
        }
    }
    /* Disabled, both FIFOs and the error flags reset. The reset bits do not clear themselves, so they are
     * written back to 0 to end the pulse. */
    uint32_t ctl = control_base();
    uart_hw_reg_write(u, MESON_UART_CONTROL,
                      ctl | MESON_UART_CTL_TX_RST | MESON_UART_CTL_RX_RST | MESON_UART_CTL_CLEAR_ERR);
    uart_hw_reg_write(u, MESON_UART_CONTROL, ctl);
    uart_hw_reg_write(u, MESON_UART_REG5, reg5);
    uart_hw_reg_write(u, MESON_UART_MISC,
                      MESON_UART_MISC_RX_IRQ(MESON_UART_RX_IRQ_LEVEL) |
                          MESON_UART_MISC_TX_IRQ(MESON_UART_TX_IRQ_LEVEL));
    uart_hw_reg_write(u, MESON_UART_CONTROL,
                      ctl | MESON_UART_CTL_TX_EN | MESON_UART_CTL_RX_EN | MESON_UART_CTL_RX_INT_EN);
    return true;
}

uint32_t uart_hw_write(struct uart_hw *u, const char *bytes, uint32_t count)
{
    uint32_t n = 0;
    while (n < count && (uart_hw_reg_read(u, MESON_UART_STATUS) & MESON_UART_ST_TX_FULL) == 0) {
        uart_hw_reg_write(u, MESON_UART_WFIFO, (uint8_t)bytes[n]);
        n++;
    }
    return n;
}

static void control_update(struct uart_hw *u, uint32_t bits, bool enable)
{
    uint32_t ctl = uart_hw_reg_read(u, MESON_UART_CONTROL);
    ctl = enable ? (ctl | bits) : (ctl & ~bits);
    uart_hw_reg_write(u, MESON_UART_CONTROL, ctl);
}

uint32_t uart_hw_read(struct uart_hw *u, char *bytes, uint32_t max)
{
    uint32_t n = 0;
    while (n < max) {
        uint32_t st = uart_hw_reg_read(u, MESON_UART_STATUS);
        if (st & MESON_UART_ST_RX_EMPTY) {
            break;
        }
        /* The error flags are sticky, not per byte: one sighting is one error, and CLEAR_ERR (which does not clear
         * itself) is pulsed so the next error shows up again. */
        if (st & MESON_UART_ST_RX_ERRS) {
            u->rx_errors++;
            control_update(u, MESON_UART_CTL_CLEAR_ERR, true);
            control_update(u, MESON_UART_CTL_CLEAR_ERR, false);
        }
        bytes[n] = (char)(uart_hw_reg_read(u, MESON_UART_RFIFO) & 0xffu);
        n++;
    }
    return n;
}

void uart_hw_set_tx_irq(struct uart_hw *u, bool enable)
{
    control_update(u, MESON_UART_CTL_TX_INT_EN, enable);
}

void uart_hw_set_rx_irq(struct uart_hw *u, bool enable)
{
    control_update(u, MESON_UART_CTL_RX_INT_EN, enable);
}

void uart_hw_irq_clear(struct uart_hw *u)
{
    /* Nothing latches: the interrupt follows the FIFO levels against the MISC thresholds and drops once the driver
     * has read or refilled past them, so there is no cause to acknowledge. */
    (void)u;
}

bool uart_hw_rx_pending(struct uart_hw *u)
{
    if ((uart_hw_reg_read(u, MESON_UART_CONTROL) & MESON_UART_CTL_RX_INT_EN) == 0) {
        return false;
    }
    /* The threshold is 1 byte, so the condition is simply "not empty". */
    return (uart_hw_reg_read(u, MESON_UART_STATUS) & MESON_UART_ST_RX_EMPTY) == 0;
}

bool uart_hw_tx_pending(struct uart_hw *u)
{
    if ((uart_hw_reg_read(u, MESON_UART_CONTROL) & MESON_UART_CTL_TX_INT_EN) == 0) {
        return false;
    }
    uint32_t st = uart_hw_reg_read(u, MESON_UART_STATUS);
    uint32_t queued = (st & MESON_UART_ST_TX_COUNT_MASK) >> MESON_UART_ST_TX_COUNT_SHIFT;
    uint32_t level = (uart_hw_reg_read(u, MESON_UART_MISC) >> MESON_UART_MISC_TX_IRQ_SHIFT) & 0xffu;
    return queued < level;
}
