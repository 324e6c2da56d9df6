/* The UART chip drivers (drivers/serial/pl011.c, meson_uart.c) at register level, against a model of the chip
 * over a fake register page. Built twice, with -DUART_CHIP_PL011 and with -DUART_CHIP_MESON, and -DUART_HW_FAKE
 * so that every register access reaches uart_hw_fake_read/write below: the model drains the RX FIFO, fills the
 * TX FIFO, reports a busy transmitter for a while and logs every write in order. The first half of the tests is
 * the uart_hw.h contract, the same for both chips; the second half checks each chip's registers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "../../drivers/serial/uart_hw.h"
#if defined(UART_CHIP_PL011)
#include "../../drivers/serial/pl011.h"
#elif defined(UART_CHIP_MESON)
#include "../../drivers/serial/meson_uart.h"
#else
#error "build with -DUART_CHIP_PL011 or -DUART_CHIP_MESON"
#endif

#define CLOCK_HZ 24000000u /* both boards' UART reference clock (boards/<board>/board.h) */

static uint32_t regs[0x1000 / 4];

struct write {
    uint32_t index, value;
};

static struct fake {
    struct write log[256]; /* register writes in order */
    unsigned nlog;
    bool log_overflow;
    char rx[64]; /* the receive FIFO: bytes still to be read, from rx_head */
    uint32_t rx_flags[64];
    unsigned rx_head, rx_len;
    char tx[256]; /* what the chip was given to send */
    unsigned tx_len;
    unsigned tx_room;    /* bytes the transmit FIFO still accepts */
    uint32_t busy_polls; /* status reads that still report the transmitter busy */
    unsigned status_reads;
    bool wrote_while_busy;
    unsigned error_clears;  /* PL011: ECR writes; Meson: CLEAR_ERR rising edges */
    uint32_t sticky_errors; /* Meson: STATUS error flags until CLEAR_ERR */
    uint32_t tx_queued;     /* Meson: STATUS TX count field */
} fake;

static void fake_log(uint32_t index, uint32_t value)
{
    if (fake.nlog < sizeof(fake.log) / sizeof(fake.log[0])) {
        fake.log[fake.nlog++] = (struct write){index, value};
    } else {
        fake.log_overflow = true;
    }
    if (fake.busy_polls > 0) {
        fake.wrote_while_busy = true;
    }
}

static bool rx_empty(void)
{
    return fake.rx_head == fake.rx_len;
}

static uint32_t rx_pop(uint32_t *flags)
{
    if (rx_empty()) {
        *flags = 0;
        return 0;
    }
    *flags = fake.rx_flags[fake.rx_head];
    return (uint8_t)fake.rx[fake.rx_head++];
}

static void tx_push(uint32_t value)
{
    if (fake.tx_room > 0 && fake.tx_len < sizeof(fake.tx)) {
        fake.tx[fake.tx_len++] = (char)value;
        fake.tx_room--;
    }
}

/* The chip-specific parts of the model. */
#if defined(UART_CHIP_PL011)

#define STATUS_INDEX PL011_FR
#define ERROR_FLAG   PL011_DR_FE

uint32_t uart_hw_fake_read(volatile uint32_t *r, uint32_t index)
{
    uint32_t flags;
    switch (index) {
    case PL011_FR: {
        fake.status_reads++;
        uint32_t fr = 0;
        if (fake.busy_polls > 0) {
            fake.busy_polls--;
            fr |= PL011_FR_BUSY;
        }
        fr |= rx_empty() ? PL011_FR_RXFE : 0;
        fr |= fake.tx_room == 0 ? PL011_FR_TXFF : 0;
        return fr;
    }
    case PL011_DR: {
        uint32_t byte = rx_pop(&flags);
        return byte | flags;
    }
    case PL011_MIS:
        return r[PL011_RIS] & r[PL011_IMSC];
    default:
        return r[index];
    }
}

void uart_hw_fake_write(volatile uint32_t *r, uint32_t index, uint32_t value)
{
    fake_log(index, value);
    switch (index) {
    case PL011_DR:
        tx_push(value);
        break;
    case PL011_ECR:
        fake.error_clears++;
        break;
    case PL011_ICR:
        r[PL011_RIS] &= ~value;
        break;
    default:
        r[index] = value;
        break;
    }
}

static void fake_raise_rx(void)
{
    regs[PL011_RIS] |= PL011_INT_RX | PL011_INT_RT;
}

static void fake_raise_tx(void)
{
    regs[PL011_RIS] |= PL011_INT_TX;
}

#elif defined(UART_CHIP_MESON)

#define STATUS_INDEX MESON_UART_STATUS
#define ERROR_FLAG   MESON_UART_ST_FRAME_ERR

uint32_t uart_hw_fake_read(volatile uint32_t *r, uint32_t index)
{
    uint32_t flags;
    switch (index) {
    case MESON_UART_STATUS: {
        fake.status_reads++;
        uint32_t st = fake.sticky_errors;
        if (fake.busy_polls > 0) {
            /* FIFO empty but the last character still in the shift register: EMPTY alone is not idle. */
            fake.busy_polls--;
            st |= MESON_UART_ST_TX_BUSY;
        }
        st |= MESON_UART_ST_TX_EMPTY;
        st |= rx_empty() ? MESON_UART_ST_RX_EMPTY : (fake.rx_len - fake.rx_head);
        st |= fake.tx_room == 0 ? MESON_UART_ST_TX_FULL : 0;
        st |= fake.tx_queued << MESON_UART_ST_TX_COUNT_SHIFT;
        return st;
    }
    case MESON_UART_RFIFO:
        return rx_pop(&flags);
    default:
        return r[index];
    }
}

void uart_hw_fake_write(volatile uint32_t *r, uint32_t index, uint32_t value)
{
    fake_log(index, value);
    switch (index) {
    case MESON_UART_WFIFO:
        tx_push(value);
        break;
    case MESON_UART_CONTROL:
        if ((value & MESON_UART_CTL_CLEAR_ERR) && !(r[index] & MESON_UART_CTL_CLEAR_ERR)) {
            fake.error_clears++;
        }
        if (value & MESON_UART_CTL_CLEAR_ERR) {
            fake.sticky_errors = 0;
        }
        r[index] = value;
        break;
    default:
        r[index] = value;
        break;
    }
}

static void fake_raise_rx(void)
{
    fake.rx[fake.rx_len++] = 'r';
}

static void fake_raise_tx(void)
{
    fake.tx_queued = 0; /* below the threshold init sets */
}

#endif

static void fake_rx_push(const char *bytes, uint32_t flags)
{
    for (const char *p = bytes; *p != '\0'; p++) {
        fake.rx[fake.rx_len] = *p;
        fake.rx_flags[fake.rx_len] = flags;
        fake.rx_len++;
    }
#if defined(UART_CHIP_MESON)
    /* Meson flags are status, not per byte: they show from the moment the bad byte arrives. */
    fake.sticky_errors |= flags;
#endif
}

static int fake_reset(void **state)
{
    (void)state;
    memset(regs, 0, sizeof(regs));
    memset(&fake, 0, sizeof(fake));
    fake.tx_room = 32;
    return 0;
}

/* Index of the first logged write at or after `from` to register `index` whose `mask` bits equal `want`; -1 if
 * none. */
static int log_find(int from, uint32_t index, uint32_t mask, uint32_t want)
{
    for (unsigned i = (unsigned)from; i < fake.nlog; i++) {
        if (fake.log[i].index == index && (fake.log[i].value & mask) == want) {
            return (int)i;
        }
    }
    return -1;
}

static int log_last(uint32_t index)
{
    for (int i = (int)fake.nlog - 1; i >= 0; i--) {
        if (fake.log[i].index == index) {
            return i;
        }
    }
    return -1;
}

static struct uart_hw uart(uint32_t baud)
{
    return (struct uart_hw){.regs = regs, .clock_hz = CLOCK_HZ, .baud = baud};
}

/* ---- the uart_hw.h contract, both chips ---- */

static void init_accepts_common_rates_with_rx_irq_on_and_tx_irq_off(void **state)
{
    (void)state;
    static const uint32_t bauds[] = {9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600};
    for (unsigned i = 0; i < sizeof(bauds) / sizeof(bauds[0]); i++) {
        fake_reset(NULL);
        struct uart_hw u = uart(bauds[i]);
        assert_true(uart_hw_init(&u));
        fake_raise_rx();
        fake_raise_tx();
        assert_true(uart_hw_rx_pending(&u));
        assert_false(uart_hw_tx_pending(&u));
    }
}

static void init_rejects_unreachable_rates_and_touches_nothing(void **state)
{
    (void)state;
    static const struct {
        uint32_t clock_hz, baud;
    } bad[] = {
        {CLOCK_HZ, 0},        /* no rate at all */
        {0, 115200},          /* no clock */
        {CLOCK_HZ, 10000000}, /* faster than either chip can divide 24 MHz to */
        {CLOCK_HZ, 1},        /* slower than the divisor field holds */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (unsigned j = 0; j < sizeof(regs) / sizeof(regs[0]); j++) {
            regs[j] = 0xa5a50000u | j;
        }
        uint32_t before[sizeof(regs) / sizeof(regs[0])];
        memcpy(before, regs, sizeof(regs));
        fake.nlog = 0;
        struct uart_hw u = {.regs = regs, .clock_hz = bad[i].clock_hz, .baud = bad[i].baud};
        assert_false(uart_hw_init(&u));
        assert_int_equal(fake.nlog, 0);
        assert_memory_equal(before, regs, sizeof(regs));
    }
}

static void init_waits_for_the_transmitter_to_go_idle(void **state)
{
    (void)state;
    fake.busy_polls = 1000;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    assert_false(fake.wrote_while_busy);
    assert_true(fake.status_reads > 1000);
    assert_true(fake.nlog > 0);
}

static void init_stops_waiting_for_a_transmitter_that_never_idles(void **state)
{
    (void)state;
    fake.busy_polls = UINT32_MAX;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u)); /* returns at all: the wait is bounded */
    assert_true(fake.status_reads >= UART_HW_IDLE_POLLS);
    assert_true(fake.status_reads <= 2 * UART_HW_IDLE_POLLS + 16);
}

static void write_stops_when_the_fifo_is_full(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    fake.tx_room = 5;
    assert_int_equal(uart_hw_write(&u, "0123456789", 10), 5);
    assert_int_equal(fake.tx_len, 5);
    assert_memory_equal(fake.tx, "01234", 5);
    assert_int_equal(uart_hw_write(&u, "56789", 5), 0); /* still full */
    fake.tx_room = 32;
    assert_int_equal(uart_hw_write(&u, "56789", 5), 5);
    assert_int_equal(uart_hw_write(&u, "x", 0), 0);
    assert_int_equal(fake.tx_len, 10);
    assert_memory_equal(fake.tx, "0123456789", 10);
}

static void write_sends_bytes_above_127_unchanged(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    const char bytes[] = {(char)0xff, (char)0x80, 0x00, 0x7f};
    unsigned first = fake.nlog;
    assert_int_equal(uart_hw_write(&u, bytes, 4), 4);
    assert_memory_equal(fake.tx, bytes, 4);
    for (unsigned i = first; i < fake.nlog; i++) {
        assert_true(fake.log[i].value <= 0xff); /* no sign extension into the register's upper bits */
    }
}

static void read_stops_when_the_fifo_is_empty(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    char out[16];
    assert_int_equal(uart_hw_read(&u, out, sizeof(out)), 0);
    fake_rx_push("abc", 0);
    assert_int_equal(uart_hw_read(&u, out, sizeof(out)), 3);
    assert_memory_equal(out, "abc", 3);
    assert_int_equal(uart_hw_read(&u, out, sizeof(out)), 0);
    fake_rx_push("hello", 0);
    assert_int_equal(uart_hw_read(&u, out, 2), 2); /* stops at max */
    assert_memory_equal(out, "he", 2);
    assert_int_equal(uart_hw_read(&u, out, 0), 0);
    assert_int_equal(uart_hw_read(&u, out, sizeof(out)), 3);
    assert_memory_equal(out, "llo", 3);
    assert_int_equal(u.rx_errors, 0);
}

static void read_delivers_bad_bytes_counts_and_clears_the_error(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    const unsigned clears = fake.error_clears; /* Meson's init resets the error flags too */
    fake_rx_push("ok", 0);
    fake_rx_push("X", ERROR_FLAG);
    char out[8];
    assert_int_equal(uart_hw_read(&u, out, sizeof(out)), 3);
    assert_memory_equal(out, "okX", 3);
    assert_int_equal(u.rx_errors, 1);
    assert_int_equal(fake.error_clears, clears + 1);
    /* cleared: clean input afterwards counts nothing */
    fake_rx_push("fine", 0);
    assert_int_equal(uart_hw_read(&u, out, sizeof(out)), 4);
    assert_int_equal(u.rx_errors, 1);
    assert_int_equal(fake.error_clears, clears + 1);
}

static void tx_irq_only_while_asked_for(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    fake_raise_tx();
    fake_raise_rx();
    assert_false(uart_hw_tx_pending(&u));
    uart_hw_set_tx_irq(&u, true);
    assert_true(uart_hw_tx_pending(&u));
    assert_true(uart_hw_rx_pending(&u)); /* untouched */
    uart_hw_set_tx_irq(&u, false);
    assert_false(uart_hw_tx_pending(&u));
    assert_true(uart_hw_rx_pending(&u));
}

static void rx_irq_off_applies_back_pressure(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    uart_hw_set_tx_irq(&u, true);
    fake_raise_tx();
    fake_raise_rx();
    assert_true(uart_hw_rx_pending(&u));
    uart_hw_set_rx_irq(&u, false);
    assert_false(uart_hw_rx_pending(&u));
    assert_true(uart_hw_tx_pending(&u)); /* untouched */
    uart_hw_set_rx_irq(&u, true);
    assert_true(uart_hw_rx_pending(&u));
    assert_true(uart_hw_tx_pending(&u));
}

static void serviced_interrupts_stop_pending(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    uart_hw_set_tx_irq(&u, true);
    fake_raise_rx();
    fake_raise_tx();
    assert_true(uart_hw_rx_pending(&u));
    assert_true(uart_hw_tx_pending(&u));
    /* The driver's service: drain input, stop asking for output room, acknowledge. */
    char out[8];
    while (uart_hw_read(&u, out, sizeof(out)) > 0) {
    }
    uart_hw_set_tx_irq(&u, false);
    uart_hw_irq_clear(&u);
    assert_false(uart_hw_rx_pending(&u));
    assert_false(uart_hw_tx_pending(&u));
}

/* ---- chip registers ---- */

#if defined(UART_CHIP_PL011)

static void pl011_divisors_for_known_clocks(void **state)
{
    (void)state;
    static const struct {
        uint32_t clock_hz, baud, ibrd, fbrd;
    } cases[] = {
        {24000000, 115200, 13, 1}, /* 13.0208: .0208 * 64 = 1.33 */
        {48000000, 115200, 26, 3}, /* 26.0417: 2.67 rounds up */
        {3000000, 9600, 19, 34},   /* 19.53125: exact */
        {24000000, 1500000, 1, 0}, /* the fastest: clock / 16 */
        {23952960, 115200, 13, 0}, /* 12.9953: the fraction rounds up to 64/64 and carries */
        {1048560, 1, 65535, 0},    /* the largest divisor */
        {7372800, 115200, 4, 0},   /* the classic exact crystal */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t ibrd = 0, fbrd = 0;
        assert_true(pl011_divisors(cases[i].clock_hz, cases[i].baud, &ibrd, &fbrd));
        assert_int_equal(ibrd, cases[i].ibrd);
        assert_int_equal(fbrd, cases[i].fbrd);
        assert_true(fbrd < 64);
    }
}

static void pl011_divisors_reject_out_of_range(void **state)
{
    (void)state;
    static const struct {
        uint32_t clock_hz, baud;
    } cases[] = {
        {24000000, 0},       /* no rate */
        {0, 115200},         /* no clock */
        {24000000, 1600000}, /* BAUDDIV 0.94: IBRD would be 0 */
        {1048561, 1},        /* IBRD 65535 with a nonzero fraction */
        {100000000, 50},     /* IBRD 125000 */
        {UINT32_MAX, 1},     /* 8 * clock needs 64 bits; still out of range */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t ibrd = 0xdead, fbrd = 0xbeef;
        assert_false(pl011_divisors(cases[i].clock_hz, cases[i].baud, &ibrd, &fbrd));
        assert_int_equal(ibrd, 0xdead);
        assert_int_equal(fbrd, 0xbeef);
    }
}

static void pl011_init_follows_the_trm_sequence(void **state)
{
    (void)state;
    regs[PL011_CR] = PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE; /* firmware left it running */
    regs[PL011_LCR_H] = PL011_LCR_H_BRK | PL011_LCR_H_PEN | PL011_LCR_H_STP2 | PL011_LCR_H_FEN;
    regs[PL011_IMSC] = PL011_INT_TX | PL011_INT_OE;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    assert_false(fake.log_overflow);

    /* disabled first, then the FIFOs flushed by clearing FEN */
    assert_int_equal(fake.log[0].index, PL011_CR);
    assert_int_equal(fake.log[0].value, 0);
    int flush = log_find(0, PL011_LCR_H, PL011_LCR_H_FEN, 0);
    assert_true(flush > 0);
    /* divisors, then the LCR_H write that latches them */
    int ibrd = log_find(flush, PL011_IBRD, ~0u, 13);
    int fbrd = log_find(flush, PL011_FBRD, ~0u, 1);
    int lcr = log_last(PL011_LCR_H);
    assert_true(ibrd > flush);
    assert_true(fbrd > flush);
    assert_true(lcr > ibrd && lcr > fbrd);
    assert_int_equal(fake.log[lcr].value, PL011_LCR_H_FEN | PL011_LCR_H_WLEN8); /* 8N1: no BRK, PEN, STP2 */
    assert_true(log_find(0, PL011_IFLS, 0, 0) > 0);
    /* interrupts cleared, then RX and RT unmasked (not TX), then enabled last */
    int icr = log_find(0, PL011_ICR, ~0u, PL011_INT_ALL);
    int imsc = log_last(PL011_IMSC);
    assert_true(icr > 0 && imsc > icr);
    assert_int_equal(fake.log[imsc].value & (PL011_INT_RX | PL011_INT_RT | PL011_INT_TX), PL011_INT_RX | PL011_INT_RT);
    assert_int_equal(fake.log[fake.nlog - 1].index, PL011_CR);
    assert_int_equal(fake.log[fake.nlog - 1].value, PL011_CR_UARTEN | PL011_CR_TXE | PL011_CR_RXE);
    assert_int_equal(log_find(1, PL011_CR, 0, 0), (int)fake.nlog - 1); /* no other CR write in between */

    assert_int_equal(regs[PL011_IBRD], 13);
    assert_int_equal(regs[PL011_FBRD], 1);
    assert_int_equal(regs[PL011_LCR_H], 0x70);
    assert_int_equal(regs[PL011_CR], 0x301);
    assert_int_equal(regs[PL011_IMSC] & PL011_INT_TX, 0);
}

static void pl011_irq_enables_touch_only_their_bits(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    regs[PL011_IMSC] = PL011_INT_RX | PL011_INT_RT | PL011_INT_FE | PL011_INT_OE;
    uart_hw_set_tx_irq(&u, true);
    assert_int_equal(regs[PL011_IMSC], PL011_INT_RX | PL011_INT_RT | PL011_INT_FE | PL011_INT_OE | PL011_INT_TX);
    uart_hw_set_rx_irq(&u, false);
    assert_int_equal(regs[PL011_IMSC], PL011_INT_FE | PL011_INT_OE | PL011_INT_TX);
    uart_hw_set_tx_irq(&u, false);
    assert_int_equal(regs[PL011_IMSC], PL011_INT_FE | PL011_INT_OE);
    uart_hw_set_rx_irq(&u, true);
    assert_int_equal(regs[PL011_IMSC], PL011_INT_RX | PL011_INT_RT | PL011_INT_FE | PL011_INT_OE);
    for (unsigned i = 0; i < fake.nlog; i++) {
        assert_int_equal(fake.log[i].index, PL011_IMSC);
    }
}

static void pl011_irq_clear_writes_icr(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    regs[PL011_IMSC] = PL011_INT_RX | PL011_INT_RT | PL011_INT_TX;
    regs[PL011_RIS] = PL011_INT_RT | PL011_INT_TX | PL011_INT_OE;
    assert_true(uart_hw_rx_pending(&u));
    assert_true(uart_hw_tx_pending(&u));
    uart_hw_irq_clear(&u);
    assert_int_equal(fake.nlog, 1);
    assert_int_equal(fake.log[0].index, PL011_ICR);
    assert_int_equal(fake.log[0].value, PL011_INT_ALL);
    assert_false(uart_hw_rx_pending(&u));
    assert_false(uart_hw_tx_pending(&u));
}

static void pl011_pending_uses_masked_status(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    regs[PL011_RIS] = PL011_INT_ALL; /* everything raw, nothing unmasked */
    assert_false(uart_hw_rx_pending(&u));
    assert_false(uart_hw_tx_pending(&u));
    regs[PL011_IMSC] = PL011_INT_RT; /* the timeout alone is a receive interrupt */
    assert_true(uart_hw_rx_pending(&u));
    assert_false(uart_hw_tx_pending(&u));
}

static void pl011_every_dr_error_flag_counts(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    fake_rx_push("f", PL011_DR_FE);
    fake_rx_push("p", PL011_DR_PE);
    fake_rx_push("b", PL011_DR_BE);
    fake_rx_push("o", PL011_DR_OE);
    fake_rx_push("k", 0);
    fake_rx_push("2", PL011_DR_FE | PL011_DR_BE); /* a break is also a framing error: one byte, one count */
    char out[8];
    assert_int_equal(uart_hw_read(&u, out, sizeof(out)), 6);
    assert_memory_equal(out, "fpbok2", 6);
    assert_int_equal(u.rx_errors, 5);
    assert_int_equal(fake.error_clears, 5);
}

#define CHIP_TESTS                                                                   \
    cmocka_unit_test_setup(pl011_divisors_for_known_clocks, fake_reset),             \
        cmocka_unit_test_setup(pl011_divisors_reject_out_of_range, fake_reset),      \
        cmocka_unit_test_setup(pl011_init_follows_the_trm_sequence, fake_reset),     \
        cmocka_unit_test_setup(pl011_irq_enables_touch_only_their_bits, fake_reset), \
        cmocka_unit_test_setup(pl011_irq_clear_writes_icr, fake_reset),              \
        cmocka_unit_test_setup(pl011_pending_uses_masked_status, fake_reset),        \
        cmocka_unit_test_setup(pl011_every_dr_error_flag_counts, fake_reset)

#elif defined(UART_CHIP_MESON)

#define REG5_XTAL2 (MESON_UART_REG5_USE_NEW | MESON_UART_REG5_XTAL | MESON_UART_REG5_XTAL_DIV2)

static void meson_baud_reg_for_known_clocks(void **state)
{
    (void)state;
    static const struct {
        uint32_t clock_hz, baud, reg5;
    } cases[] = {
        {24000000, 115200, REG5_XTAL2 | 103},               /* 12 MHz / 115200 = 104.17 -> 104 cycles */
        {24000000, 9600, REG5_XTAL2 | 1249},                /* 1250, exact */
        {24000000, 1500000, REG5_XTAL2 | 7},                /* 8, exact */
        {24000000, 2, REG5_XTAL2 | 5999999},                /* 6e6 cycles still fit 23 bits */
        {166666666, 115200, MESON_UART_REG5_USE_NEW | 361}, /* clk81 / 4 = 41666666 / 115200 = 361.7 -> 362 */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t reg5 = 0;
        assert_true(meson_uart_baud_reg(cases[i].clock_hz, cases[i].baud, &reg5));
        assert_int_equal(reg5, cases[i].reg5);
    }
    /* 115200 from the crystal: 0x09800067, and the achieved 12e6 / 104 = 115384 is +0.16%, well inside 2% */
    uint32_t reg5;
    assert_true(meson_uart_baud_reg(24000000, 115200, &reg5));
    assert_int_equal(reg5, 0x09800067);
    uint32_t achieved = 12000000u / ((reg5 & MESON_UART_REG5_BAUD_MASK) + 1);
    assert_int_equal(achieved, 115384);
    assert_true((achieved - 115200u) * 50u <= 115200u);
}

static void meson_baud_reg_rejects_unreachable(void **state)
{
    (void)state;
    static const struct {
        uint32_t clock_hz, baud;
    } cases[] = {
        {24000000, 0},            /* no rate */
        {0, 115200},              /* no clock */
        {24000000, 5000000},      /* 2.4 cycles -> 2: 6 Mbaud, 20% off */
        {24000000, 30000000},     /* under one cycle per bit */
        {24000000, 1},            /* 12e6 cycles do not fit 23 bits */
        {166666666, 4},           /* nor do 10.4e6 */
        {UINT32_MAX, UINT32_MAX}, /* rounding must not overflow */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t reg5 = 0xdeadbeef;
        assert_false(meson_uart_baud_reg(cases[i].clock_hz, cases[i].baud, &reg5));
        assert_int_equal(reg5, 0xdeadbeef);
    }
}

static void meson_init_resets_then_programs_8n1(void **state)
{
    (void)state;
    /* firmware left it running with odd settings and TX interrupts on */
    regs[MESON_UART_CONTROL] = MESON_UART_CTL_TX_EN | MESON_UART_CTL_RX_EN | MESON_UART_CTL_TX_INT_EN |
                               MESON_UART_CTL_PARITY_EN | MESON_UART_CTL_STOP_MASK | MESON_UART_CTL_DATALEN_MASK |
                               0x123;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    assert_false(fake.log_overflow);

    const uint32_t resets = MESON_UART_CTL_TX_RST | MESON_UART_CTL_RX_RST | MESON_UART_CTL_CLEAR_ERR;
    const uint32_t enables = MESON_UART_CTL_TX_EN | MESON_UART_CTL_RX_EN;
    /* resets pulsed with the UART disabled: written as 1, then as 0 */
    int set = log_find(0, MESON_UART_CONTROL, resets | enables, resets);
    assert_true(set >= 0);
    int cleared = log_find(set + 1, MESON_UART_CONTROL, resets, 0);
    assert_true(cleared > set);
    /* rate and thresholds, then enabled last */
    int reg5 = log_find(0, MESON_UART_REG5, ~0u, 0x09800067);
    int misc = log_find(0, MESON_UART_MISC, ~0u, MESON_UART_MISC_RX_IRQ(1) | MESON_UART_MISC_TX_IRQ(32));
    int last = log_last(MESON_UART_CONTROL);
    assert_true(reg5 >= 0 && misc >= 0);
    assert_true(last > cleared && last > reg5 && last > misc);
    assert_int_equal(last, (int)fake.nlog - 1);
    assert_int_equal(log_find(0, MESON_UART_CONTROL, enables, enables), last); /* not enabled before */

    uint32_t ctl = regs[MESON_UART_CONTROL];
    assert_int_equal(ctl & 0x003f0000u, 0); /* 8 data bits, no parity, 1 stop bit */
    assert_int_equal(ctl & 0xfffu, 0);      /* the legacy baud field is unused */
    assert_int_equal(ctl & resets, 0);
    assert_int_equal(ctl & MESON_UART_CTL_TX_INT_EN, 0);
    assert_int_equal(ctl, MESON_UART_CTL_TWO_WIRE | enables | MESON_UART_CTL_RX_INT_EN);
    assert_int_equal(regs[MESON_UART_REG5], 0x09800067);
    assert_int_equal(regs[MESON_UART_MISC], 0x2001);
}

static void meson_irq_enables_touch_only_their_bits(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    const uint32_t base = regs[MESON_UART_CONTROL];
    fake.nlog = 0;
    uart_hw_set_tx_irq(&u, true);
    assert_int_equal(regs[MESON_UART_CONTROL], base | MESON_UART_CTL_TX_INT_EN);
    uart_hw_set_rx_irq(&u, false);
    assert_int_equal(regs[MESON_UART_CONTROL], (base | MESON_UART_CTL_TX_INT_EN) & ~MESON_UART_CTL_RX_INT_EN);
    uart_hw_set_tx_irq(&u, false);
    uart_hw_set_rx_irq(&u, true);
    assert_int_equal(regs[MESON_UART_CONTROL], base);
    for (unsigned i = 0; i < fake.nlog; i++) {
        assert_int_equal(fake.log[i].index, MESON_UART_CONTROL);
    }
}

static void meson_irq_clear_has_nothing_to_write(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    uint32_t before[sizeof(regs) / sizeof(regs[0])];
    memcpy(before, regs, sizeof(regs));
    unsigned nlog = fake.nlog;
    uart_hw_irq_clear(&u);
    assert_int_equal(fake.nlog, nlog);
    assert_memory_equal(before, regs, sizeof(regs));
    /* and input still waiting is still pending: the level, not a latch, is the interrupt */
    fake_raise_rx();
    uart_hw_irq_clear(&u);
    assert_true(uart_hw_rx_pending(&u));
}

static void meson_tx_pending_follows_the_threshold(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    uart_hw_set_tx_irq(&u, true);
    fake.tx_queued = 31;
    assert_true(uart_hw_tx_pending(&u));
    fake.tx_queued = 32;
    assert_false(uart_hw_tx_pending(&u));
    fake.tx_queued = 64;
    assert_false(uart_hw_tx_pending(&u));
}

static void meson_error_flags_counted_and_clear_err_pulsed(void **state)
{
    (void)state;
    struct uart_hw u = uart(115200);
    assert_true(uart_hw_init(&u));
    const uint32_t running = regs[MESON_UART_CONTROL];
    static const uint32_t kinds[] = {MESON_UART_ST_PARITY_ERR, MESON_UART_ST_FRAME_ERR, MESON_UART_ST_RX_OVERFLOW};
    char out[8];
    for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        unsigned from = fake.nlog;
        fake_rx_push("e", kinds[i]);
        assert_int_equal(uart_hw_read(&u, out, sizeof(out)), 1);
        assert_int_equal(out[0], 'e');
        assert_int_equal(u.rx_errors, i + 1);
        assert_int_equal(fake.sticky_errors, 0);
        int set = log_find((int)from, MESON_UART_CONTROL, ~0u, running | MESON_UART_CTL_CLEAR_ERR);
        int clr = log_find(set + 1, MESON_UART_CONTROL, ~0u, running);
        assert_true(set >= 0 && clr > set);
        assert_int_equal(regs[MESON_UART_CONTROL], running); /* enables and RX interrupt survive the pulse */
    }
    /* a TX-side flag is not a receive error */
    fake.sticky_errors = MESON_UART_ST_TX_WRITE_ERR;
    fake_rx_push("t", 0);
    assert_int_equal(uart_hw_read(&u, out, sizeof(out)), 1);
    assert_int_equal(u.rx_errors, 3);
}

#define CHIP_TESTS                                                                   \
    cmocka_unit_test_setup(meson_baud_reg_for_known_clocks, fake_reset),             \
        cmocka_unit_test_setup(meson_baud_reg_rejects_unreachable, fake_reset),      \
        cmocka_unit_test_setup(meson_init_resets_then_programs_8n1, fake_reset),     \
        cmocka_unit_test_setup(meson_irq_enables_touch_only_their_bits, fake_reset), \
        cmocka_unit_test_setup(meson_irq_clear_has_nothing_to_write, fake_reset),    \
        cmocka_unit_test_setup(meson_tx_pending_follows_the_threshold, fake_reset),  \
        cmocka_unit_test_setup(meson_error_flags_counted_and_clear_err_pulsed, fake_reset)

#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(init_accepts_common_rates_with_rx_irq_on_and_tx_irq_off, fake_reset),
        cmocka_unit_test_setup(init_rejects_unreachable_rates_and_touches_nothing, fake_reset),
        cmocka_unit_test_setup(init_waits_for_the_transmitter_to_go_idle, fake_reset),
        cmocka_unit_test_setup(init_stops_waiting_for_a_transmitter_that_never_idles, fake_reset),
        cmocka_unit_test_setup(write_stops_when_the_fifo_is_full, fake_reset),
        cmocka_unit_test_setup(write_sends_bytes_above_127_unchanged, fake_reset),
        cmocka_unit_test_setup(read_stops_when_the_fifo_is_empty, fake_reset),
        cmocka_unit_test_setup(read_delivers_bad_bytes_counts_and_clears_the_error, fake_reset),
        cmocka_unit_test_setup(tx_irq_only_while_asked_for, fake_reset),
        cmocka_unit_test_setup(rx_irq_off_applies_back_pressure, fake_reset),
        cmocka_unit_test_setup(serviced_interrupts_stop_pending, fake_reset),
        CHIP_TESTS,
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
