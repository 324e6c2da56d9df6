/*
 * The UART driver PD: owns the board's UART and moves bytes between it and the two serial
 * virtualisers. Output waits in the TX queue while the transmit FIFO is full (the TX interrupt is
 * on only then); input waits in the UART while the RX queue is full (the RX interrupt is off
 * only then), so nothing is lost in either direction.
 * Channels (sDDF's numbering): 0 the UART's IRQ, 1 the TX virtualiser, 2 the RX virtualiser.
 */
#include <board.h>
#include <microkit.h>
#include <tessera/printf.h>
#include "../queue.h"
#include "../uart_hw.h"

#define IRQ_CH     0
#define TX_VIRT_CH 1
#define RX_VIRT_CH 2
#define BAUD       115200

/* Patched from the .system file (setvar_vaddr / setvar_size). */
uint64_t uart_base __attribute__((section(".data"))) = 0;
uint64_t tx_queue __attribute__((section(".data"))) = 0;
uint64_t tx_data __attribute__((section(".data"))) = 0;
uint64_t tx_data_size __attribute__((section(".data"))) = 0;
uint64_t rx_queue __attribute__((section(".data"))) = 0;
uint64_t rx_data __attribute__((section(".data"))) = 0;
uint64_t rx_data_size __attribute__((section(".data"))) = 0;

static struct uart_hw uart;
static struct serial_queue_handle tx, rx;
static bool tx_irq_on;
static bool rx_held; /* the RX queue was full: input waits in the UART */
static bool ready;

static void tx_provide(void)
{
    bool consumed = false;
    bool fifo_full = false;
    for (;;) {
        const char *bytes;
        uint32_t span = serial_queue_read_span(&tx, &bytes);
        if (span == 0) {
            serial_queue_request_data_signal(&tx);
            if (serial_queue_length(&tx) == 0) {
                break;
            }
            continue;
        }
        uint32_t written = uart_hw_write(&uart, bytes, span);
        serial_queue_consume(&tx, written);
        consumed = consumed || written > 0;
        if (written < span) {
            fifo_full = true;
            break;
        }
    }
    if (fifo_full != tx_irq_on) {
        uart_hw_set_tx_irq(&uart, fifo_full);
        tx_irq_on = fifo_full;
    }
    if (consumed && serial_queue_take_space_signal(&tx)) {
        microkit_notify(TX_VIRT_CH);
    }
}

static void rx_return(void)
{
    bool produced = false;
    for (;;) {
        char *space;
        uint32_t span = serial_queue_write_span(&rx, &space);
        if (span == 0) {
            serial_queue_request_space_signal(&rx);
            if (serial_queue_free(&rx) == 0) {
                /* Leave the rest in the UART's FIFO, which then holds back the sender. */
                if (!rx_held) {
                    uart_hw_set_rx_irq(&uart, false);
                    rx_held = true;
                }
                break;
            }
            continue;
        }
        uint32_t got = uart_hw_read(&uart, space, span);
        serial_queue_produce(&rx, got);
        produced = produced || got > 0;
        if (got < span) {
            break;
        }
    }
    if (produced && serial_queue_take_data_signal(&rx)) {
        microkit_notify(RX_VIRT_CH);
    }
}

void init(void)
{
    uart = (struct uart_hw){(volatile uint32_t *)uart_base, BOARD_UART_CLOCK_HZ, BAUD, 0};
    bool queues = serial_queue_init(&tx, (struct serial_queue *)tx_queue, (char *)tx_data, (uint32_t)tx_data_size) &&
                  serial_queue_init(&rx, (struct serial_queue *)rx_queue, (char *)rx_data, (uint32_t)rx_data_size);
    if (uart_base == 0 || !queues) {
        tessera_printf("%s: error: the .system file must map the UART (uart_base) and both queues, with data "
                       "regions a power of two in size\n",
                       microkit_name);
        return;
    }
    if (!uart_hw_init(&uart)) {
        tessera_printf("%s: error: %u baud cannot be made from a %u Hz clock\n", microkit_name, BAUD,
                       (unsigned)BOARD_UART_CLOCK_HZ);
        return;
    }
    ready = true;
}

void notified(microkit_channel ch)
{
    if (!ready) {
        return;
    }
    switch (ch) {
    case IRQ_CH:
        /* Clear first: a byte arriving while we drain raises the interrupt again. */
        uart_hw_irq_clear(&uart);
        rx_return();
        tx_provide();
        microkit_deferred_irq_ack(IRQ_CH);
        break;
    case TX_VIRT_CH:
        tx_provide();
        break;
    case RX_VIRT_CH:
        if (rx_held) {
            rx_held = false;
            uart_hw_set_rx_irq(&uart, true);
        }
        rx_return();
        break;
    default:
        tessera_printf("%s: notification on unknown channel %u\n", microkit_name, ch);
        break;
    }
}
