/* PL011 debug output by polling (PrimeCell UART TRM: DR at 0x00, FR at 0x18, TXFF = FR bit 5).
 * QEMU's PL011 needs no set-up; on hardware firmware has configured it. */
#include <board.h>
#include <stdint.h>
#include "uart.h"

#define PL011_DR   0x00
#define PL011_FR   0x18
#define PL011_TXFF (1u << 5)

static volatile uint32_t *pl011_reg(unsigned offset)
{
    return (volatile uint32_t *)(BOARD_UART_BASE + offset);
}

void debug_uart_putc(char c)
{
    while (*pl011_reg(PL011_FR) & PL011_TXFF) {
    }
    *pl011_reg(PL011_DR) = (uint8_t)c;
}
