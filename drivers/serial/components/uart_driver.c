/*
 * The UART driver PD: owns the board's UART and moves bytes between it and the two serial
 * virtualisers. Output waits in the TX queue while the transmit FIFO is full (the TX interrupt is
 * on only then, or after a pass that moved its whole budget); input waits in the UART while the
 * RX queue is full (the RX interrupt is off only then), so nothing is lost in either direction.
 * Every loop over a queue is bounded, and every index is read once per look.
 * Addresses, channels, clock and baud rate come from its generated configuration.
 */
#include <microkit.h>
#include <tessera/printf.h>
#include "../queue.h"
#include "../uart_hw.h"
#include "../serial_config.h"

extern const struct serial_driver_config serial_driver_config;
static const struct serial_driver_config *const config = &serial_driver_config;

static struct uart_hw uart;
static struct serial_queue_handle tx, rx;
static bool tx_irq_on;
static bool rx_held; /* the RX queue was full: input waits in the UART */
static bool ready;

/* What one pass may move: a queue's worth, and every look at the queue costs at least one, so a
 * peer on another core that always has more (or keeps changing its index) cannot hold the call. */
static uint32_t take_budget(uint32_t *budget, uint32_t moved)
{
    uint32_t cost = moved > 0 ? moved : 1;
    *budget = cost < *budget ? *budget - cost : 0;
    return *budget;
}

/*
 * Output from the TX queue into the UART. Each span is copied and published from one look at the
 * queue (a window), so what is consumed is what was written. The TX interrupt is on while output
 * waits that the FIFO could not take, or that this pass's budget left behind: the UART then calls
 * us back when it has room.
 */
static void tx_provide(void)
{
    bool consumed = false;
    bool more = false;
    uint32_t budget = tx.capacity;
    while (budget > 0) {
        struct spsc_window waiting = serial_queue_filled(&tx);
        char *bytes;
        uint32_t span = serial_window_span(&tx, waiting, 0, &bytes);
        if (span == 0) {
            serial_queue_request_data_signal(&tx);
            if (serial_queue_length(&tx) == 0) {
                break;
            }
            take_budget(&budget, 0);
            more = budget == 0;
            continue;
        }
        span = span < budget ? span : budget;
        uint32_t written = uart_hw_write(&uart, bytes, span);
        serial_queue_consume_window(&tx, waiting, written);
        consumed = consumed || written > 0;
        if (written < span) {
            more = true; /* the FIFO is full */
            break;
        }
        more = take_budget(&budget, written) == 0;
    }
    if (more != tx_irq_on) {
        uart_hw_set_tx_irq(&uart, more);
        tx_irq_on = more;
    }
    if (consumed && serial_queue_take_space_signal(&tx)) {
        microkit_notify(config->tx.channel);
    }
}

/* Input from the UART into the RX queue, each span from one look at the queue. A full queue
 * leaves the rest in the UART's FIFO, which then holds back the sender; what this pass's budget
 * leaves there raises the RX interrupt again. */
static void rx_return(void)
{
    bool produced = false;
    uint32_t budget = rx.capacity;
    while (budget > 0) {
        struct spsc_window space = serial_queue_space(&rx);
        char *bytes;
        uint32_t span = serial_window_span(&rx, space, 0, &bytes);
        if (span == 0) {
            serial_queue_request_space_signal(&rx);
            if (serial_queue_free(&rx) == 0) {
                if (!rx_held) {
                    uart_hw_set_rx_irq(&uart, false);
                    rx_held = true;
                }
                break;
            }
            take_budget(&budget, 0);
            continue;
        }
        span = span < budget ? span : budget;
        uint32_t got = uart_hw_read(&uart, bytes, span);
        serial_queue_produce_window(&rx, space, got);
        produced = produced || got > 0;
        if (got < span) {
            break; /* the FIFO is empty */
        }
        take_budget(&budget, got);
    }
    if (produced && serial_queue_take_data_signal(&rx)) {
        microkit_notify(config->rx.channel);
    }
}

void init(void)
{
    struct tessera_config_error error;
    if (!serial_config_check_driver(config, tessera_has_channel, &error)) {
        tessera_config_report("serial_driver_config", &error);
        return;
    }
    uart = (struct uart_hw){(volatile uint32_t *)config->uart_base, config->clock_hz, config->baud, 0};
    if (!serial_queue_init(&tx, (struct serial_queue *)config->tx.queue, (char *)config->tx.data,
                           (uint32_t)config->tx.data_size) ||
        !serial_queue_init(&rx, (struct serial_queue *)config->rx.queue, (char *)config->rx.data,
                           (uint32_t)config->rx.data_size)) {
        return; /* not reached: the check above holds the same conditions */
    }
    if (!uart_hw_init(&uart)) {
        tessera_printf("%s: error: %u baud cannot be made from a %u Hz clock\n", microkit_name, config->baud,
                       config->clock_hz);
        return;
    }
    ready = true;
}

void notified(microkit_channel ch)
{
    if (!ready) {
        return;
    }
    if (ch == config->irq_channel) {
        /* Clear first: a byte arriving while we drain raises the interrupt again. */
        uart_hw_irq_clear(&uart);
        rx_return();
        tx_provide();
        microkit_deferred_irq_ack(ch);
    } else if (ch == config->tx.channel) {
        tx_provide();
    } else if (ch == config->rx.channel) {
        if (rx_held) {
            rx_held = false;
            uart_hw_set_rx_irq(&uart, true);
        }
        rx_return();
    } else {
        tessera_printf("%s: notification on unknown channel %u\n", microkit_name, ch);
    }
}
