/* IRQ delivery: the PL011's receive interrupt (INTID 33) arrives as a notification; the PD reads
 * the character, acknowledges, and must get the next one only after that. The test types three
 * characters. */
#include "../common/ktest.h"

#define UART_IRQ 7

uint64_t uart_base __attribute__((section(".data"))) = 0;

#define PL011_DR   0x00
#define PL011_FR   0x18
#define PL011_IMSC 0x38
#define PL011_ICR  0x44
#define FR_RXFE    (1u << 4)
#define IMSC_RX    ((1u << 4) | (1u << 6)) /* receive and receive timeout */

static volatile uint32_t *reg(unsigned offset)
{
    return (volatile uint32_t *)(uart_base + offset);
}

static unsigned irqs;

void init(void)
{
    *reg(PL011_ICR) = 0x7ff;
    *reg(PL011_IMSC) = IMSC_RX;
    tessera_printf("serial: ready for input\n");
}

void notified(microkit_channel ch)
{
    if (ch != UART_IRQ) {
        tessera_printf("TEST|FAIL irq: notified on channel %u\n", ch);
        return;
    }
    irqs++;
    while (!(*reg(PL011_FR) & FR_RXFE)) {
        char c = (char)(*reg(PL011_DR) & 0xff);
        tessera_printf("serial: irq %u got '%c'\n", irqs, c);
        if (c == 'z') {
            KTEST_CHECK(irqs >= 3, "irq-delivered-acked-redelivered");
            ktest_done();
        }
    }
    microkit_irq_ack(UART_IRQ);
}
