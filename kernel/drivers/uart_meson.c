/* Amlogic Meson UART debug output by polling (WFIFO at 0x0, STATUS at 0xc, TX_FULL = bit 21). */
#include <board.h>
#include <stdint.h>
#include "uart.h"

#define MESON_WFIFO   0x0
#define MESON_STATUS  0xc
#define MESON_TX_FULL (1u << 21)

static volatile uint32_t *meson_reg(unsigned offset)
{
    return (volatile uint32_t *)(BOARD_UART_BASE + offset);
}

void debug_uart_putc(char c)
{
    while (*meson_reg(MESON_STATUS) & MESON_TX_FULL) {
    }
    *meson_reg(MESON_WFIFO) = (uint8_t)c;
}
