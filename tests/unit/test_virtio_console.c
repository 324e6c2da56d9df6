/* The virtio console against the fake guest driver (tests/unit/fake_virtio_driver.h) and the two
 * serial virtualisers: the test plays the peers of the tx and rx serial queues, following the
 * signalling protocol of drivers/serial/queue.h. What the split virtqueue does with malformed
 * rings on its own is tested in test_virtqueue.c, the lifecycle in test_virtio_mmio.c; here, what
 * the console makes of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <serial/queue.h>
#include <vmm/guest_ram.h>
#include <vmm/notify.h>
#include <vmm/virtio_console.h>
#include <vmm/virtio_mmio.h>
#include <vmm/virtqueue.h>
#include "fake_virtio_driver.h"

#define RX      VIRTIO_CONSOLE_RX_QUEUE
#define TX      VIRTIO_CONSOLE_TX_QUEUE
#define NUM     FAKE_NUM
#define BUFFERS FAKE_BUFFERS
#define TX_CH   1 /* the VMM's channels to the TX and RX virtualisers */
#define RX_CH   2

static struct virtio_console con;
static struct fake_driver drv;

/* tx: the console produces, the test consumes as the TX virtualiser. rx: the other way round. */
static struct serial_queue tx_shared;
static struct serial_queue rx_shared;
static char tx_data[1024];
static char rx_data[1024];
static struct serial_queue_handle tx_console;
static struct serial_queue_handle tx_virt;
static struct serial_queue_handle rx_console;
static struct serial_queue_handle rx_virt;

static int context_marker;
static unsigned notify_tx_calls;
static unsigned notify_rx_space_calls;
static unsigned set_irq_calls;
static unsigned tx_resumes;
static uint32_t race_tx_take; /* bytes the TX virtualiser takes just before the request */
static char race_tx_bytes[64];
static uint32_t race_tx_taken;
static const char *race_rx_put; /* bytes the RX virtualiser puts just before the request */
/* Requests for space at which the TX virtualiser drains tx and the guest offers one more chain */
static unsigned guest_offers_meanwhile;
static unsigned guest_offered;
/* Requests for data at which the RX virtualiser puts a byte and the guest posts one more buffer */
static unsigned guest_posts_meanwhile;
static unsigned guest_posted;

/* The console's signals to the serial virtualisers (vmm.c sends them with microkit_notify). */
void vmm_notify(unsigned channel)
{
    if (channel == TX_CH) {
        notify_tx_calls++;
    } else if (channel == RX_CH) {
        notify_rx_space_calls++;
    } else {
        fail_msg("signal on channel %u, which the console was not given", channel);
    }
}

/* The transport's interrupt line went up (vmm_register_virtio injects the vIRQ). */
static void set_irq(void *context)
{
    assert_ptr_equal(context, &context_marker);
    assert_true(virtio_mmio_irq_level(&con.transport));
    set_irq_calls++;
}

static void serial_queues(uint32_t tx_capacity, uint32_t rx_capacity)
{
    memset(&tx_shared, 0, sizeof(tx_shared));
    memset(&rx_shared, 0, sizeof(rx_shared));
    assert_true(serial_queue_init(&tx_console, &tx_shared, tx_data, tx_capacity));
    assert_true(serial_queue_init(&tx_virt, &tx_shared, tx_data, tx_capacity));
    assert_true(serial_queue_init(&rx_console, &rx_shared, rx_data, rx_capacity));
    assert_true(serial_queue_init(&rx_virt, &rx_shared, rx_data, rx_capacity));
}

static int setup(void **state)
{
    (void)state;
    serial_queues(sizeof(tx_data), sizeof(rx_data));
    notify_tx_calls = notify_rx_space_calls = set_irq_calls = tx_resumes = 0;
    race_tx_take = race_tx_taken = 0;
    race_rx_put = 0;
    guest_offers_meanwhile = guest_offered = 0;
    guest_posts_meanwhile = guest_posted = 0;
    assert_true(virtio_console_init(&con, &fake_ram, &tx_console, &rx_console, TX_CH, RX_CH));
    virtio_mmio_set_interrupt(&con.transport, set_irq, &context_marker);
    fake_driver_init(&drv, &con.transport);
    return 0;
}

/* ---- the guest driver, in the words of the tests below ---- */

static void w(uint64_t offset, uint32_t value)
{
    fake_write(&drv, offset, value);
}

static uint32_t r(uint64_t offset)
{
    return fake_read(&drv, offset);
}

static void *gpa(uint64_t address)
{
    return fake_gpa(address);
}

/* Section 3.1.1 up to FEATURES_OK: the driver accepts VERSION_1 (bit 32) and nothing else, which
 * is all the console offers (no SIZE, MULTIPORT, EMERG_WRITE). */
static void driver_features(void)
{
    w(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    assert_int_equal(r(VIRTIO_MMIO_DEVICE_FEATURES), 0);
    assert_true(fake_negotiate(&drv, VIRTIO_F_VERSION_1));
}

static void driver_queue(unsigned q)
{
    assert_true(fake_queue_setup(&drv, q, NUM));
}

static void driver_ok(void)
{
    fake_driver_ok(&drv);
}

static void driver_start(void)
{
    driver_features();
    driver_queue(RX);
    driver_queue(TX);
    driver_ok();
}

static void set_desc(unsigned q, unsigned index, uint64_t address, uint32_t length, uint16_t flags, uint16_t next)
{
    fake_set_desc(&drv, q, index, address, length, flags, next);
}

static struct virtq_avail *avail(unsigned q)
{
    return fake_avail(&drv, q);
}

static struct virtq_used *used(unsigned q)
{
    return fake_used(&drv, q);
}

static void offer(unsigned q, uint16_t head)
{
    fake_offer(&drv, q, head);
}

static void kick(unsigned q)
{
    fake_kick(&drv, q);
}

static void expect_used(unsigned q, uint32_t id, uint32_t length)
{
    fake_expect_used(&drv, q, id, length);
}

static void expect_no_more_used(unsigned q)
{
    fake_expect_no_more_used(&drv, q);
}

/* A device-readable buffer holding `text`, described by descriptor `index`. */
static void tx_buffer(unsigned index, uint64_t address, const char *text, uint16_t flags, uint16_t next)
{
    fake_text_buffer(&drv, TX, index, address, text, flags, next);
}

/* ---- the serial virtualisers ---- */

/* The TX virtualiser takes up to `count` bytes and, as the protocol says, signals the console if
 * it asked for space. */
static uint32_t tx_virtualiser_take(char *bytes, uint32_t count)
{
    uint32_t n = serial_dequeue_batch(&tx_virt, bytes, count);
    if (n != 0 && serial_queue_take_space_signal(&tx_virt)) {
        tx_resumes++;
        virtio_console_tx_notified(&con);
    }
    return n;
}

static void expect_tx(const char *text)
{
    char got[1024];
    uint32_t length = serial_queue_length(&tx_virt);
    assert_int_equal(length, strlen(text));
    assert_int_equal(serial_dequeue_batch(&tx_virt, got, length), length);
    assert_memory_equal(got, text, length);
}

/* The RX virtualiser puts bytes and signals the console if it asked for data. */
static void rx_virtualiser_put(const char *text)
{
    uint32_t length = (uint32_t)strlen(text);
    assert_int_equal(serial_enqueue_batch(&rx_virt, text, length), length);
    if (serial_queue_take_data_signal(&rx_virt)) {
        virtio_console_rx_notified(&con);
    }
}

/* The test is linked with -Wl,--wrap for the two "signal me" requests, so a test can let the peer
 * act in the window just before a request is published, as it may on another core: the peer
 * then sees no request and sends no signal, and only the console's second look finds the
 * change. Every other call passes straight through. */
void __real_serial_queue_request_space_signal(struct serial_queue_handle *h);
void __real_serial_queue_request_data_signal(struct serial_queue_handle *h);
void __wrap_serial_queue_request_space_signal(struct serial_queue_handle *h)
{
    if (h == &tx_console && race_tx_take != 0) {
        race_tx_taken += serial_dequeue_batch(&tx_virt, race_tx_bytes + race_tx_taken, race_tx_take);
        race_tx_take = 0;
    }
    if (h == &tx_console && guest_offers_meanwhile != 0) {
        /* The TX virtualiser (another core) drains tx; the guest (another vCPU) offers its next
         * chain, head after head, each long since returned when it is offered again. */
        char drained[64];
        serial_dequeue_batch(&tx_virt, drained, sizeof(drained));
        /* An honest driver: never more than the queue size out at once. */
        if ((uint16_t)(1 + guest_offered - fake_used(&drv, TX)->idx) < NUM) {
            guest_offers_meanwhile--;
            offer(TX, (uint16_t)(++guest_offered % NUM));
        }
    }
    __real_serial_queue_request_space_signal(h);
}

void __wrap_serial_queue_request_data_signal(struct serial_queue_handle *h)
{
    if (h == &rx_console && race_rx_put != 0) {
        uint32_t length = (uint32_t)strlen(race_rx_put);
        assert_int_equal(serial_enqueue_batch(&rx_virt, race_rx_put, length), length);
        race_rx_put = 0;
    }
    if (h == &rx_console && guest_posts_meanwhile != 0 &&
        (uint16_t)(1 + guest_posted - fake_used(&drv, RX)->idx) < NUM) {
        /* The RX virtualiser (another core) puts a byte; the guest (another vCPU) posts its next
         * receive buffer, never more than the queue size out at once. */
        assert_int_equal(serial_enqueue_batch(&rx_virt, "x", 1), 1);
        guest_posts_meanwhile--;
        offer(RX, (uint16_t)(++guest_posted % NUM));
    }
    __real_serial_queue_request_data_signal(h);
}

/* ---- identification and configuration ---- */

static void identity_and_config_space(void **state)
{
    (void)state;
    assert_int_equal(r(VIRTIO_MMIO_DEVICE_ID), 3);
    w(VIRTIO_MMIO_QUEUE_SEL, RX);
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_CONSOLE_QUEUE_SIZE);
    w(VIRTIO_MMIO_QUEUE_SEL, TX);
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_CONSOLE_QUEUE_SIZE);
    w(VIRTIO_MMIO_QUEUE_SEL, 2); /* no control queues without MULTIPORT */
    assert_int_equal(r(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
    driver_start();
    /* Section 5.3.4: cols, rows, max_nr_ports, emerg_wr, all zero (no feature makes them valid) */
    for (unsigned offset = 0; offset < sizeof(struct virtio_console_config); offset++) {
        assert_int_equal(virtio_mmio_read(&con.transport, VIRTIO_MMIO_CONFIG + offset, 1), 0);
    }
    assert_int_equal(virtio_mmio_read(&con.transport, VIRTIO_MMIO_CONFIG + 0, 2), 0);
    assert_int_equal(virtio_mmio_read(&con.transport, VIRTIO_MMIO_CONFIG + 4, 4), 0);
    assert_int_equal(con.transport.bad_accesses, 0);
    /* emerg_wr is not writable without EMERG_WRITE, and nothing past the structure exists */
    virtio_mmio_write(&con.transport, VIRTIO_MMIO_CONFIG + 8, 4, 'x');
    assert_int_equal(virtio_mmio_read(&con.transport, VIRTIO_MMIO_CONFIG + 8, 4), 0);
    assert_int_equal(virtio_mmio_read(&con.transport, VIRTIO_MMIO_CONFIG + 12, 4), 0);
    assert_int_equal(serial_queue_length(&tx_virt), 0);
    assert_int_equal(con.transport.bad_accesses, 2);
    assert_int_equal(set_irq_calls, 0);
}

/* ---- transmit ---- */

static void tx_chain_of_three_arrives_in_order(void **state)
{
    (void)state;
    driver_start();
    tx_buffer(5, BUFFERS, "hello ", VIRTQ_DESC_F_NEXT, 2);
    tx_buffer(2, BUFFERS + 0x100, "virtio ", VIRTQ_DESC_F_NEXT, 9);
    tx_buffer(9, BUFFERS + 0x200, "console", 0, 0);
    offer(TX, 5);
    kick(TX);
    expect_tx("hello virtio console");
    expect_used(TX, 5, 0); /* the device wrote nothing */
    expect_no_more_used(TX);
    assert_int_equal(set_irq_calls, 1);
    assert_true(r(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_USED_BUFFER);
    w(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
    assert_false(virtio_mmio_irq_level(&con.transport));
    assert_int_equal(con.tx_bytes, 20);
    assert_int_equal(virtio_console_bad_chains(&con), 0);
}

static void tx_ring_full_mid_chain_resumes_exactly(void **state)
{
    (void)state;
    serial_queues(8, sizeof(rx_data));
    driver_start();
    tx_shared.producer_signalled = 1; /* as if the initial request had been taken */
    tx_buffer(0, BUFFERS, "abcde", VIRTQ_DESC_F_NEXT, 1);
    tx_buffer(1, BUFFERS + 0x100, "fghij", VIRTQ_DESC_F_NEXT, 2);
    tx_buffer(2, BUFFERS + 0x200, "klmno", 0, 0);
    offer(TX, 0);
    kick(TX);
    assert_int_equal(serial_queue_length(&tx_virt), 8);
    expect_no_more_used(TX); /* not complete: not returned */
    assert_int_equal(set_irq_calls, 0);
    assert_int_equal(tx_shared.producer_signalled, 0); /* the console asked for space */
    /* A notification while still full neither duplicates nor loses anything. */
    kick(TX);
    virtio_console_tx_notified(&con);
    assert_int_equal(serial_queue_length(&tx_virt), 8);
    expect_no_more_used(TX);

    char got[32];
    uint32_t have = 0;
    while (have < 15) {
        uint32_t n = tx_virtualiser_take(got + have, 4);
        assert_true(n > 0);
        have += n;
        /* the used element appears exactly when the chain's last byte is in the ring */
        assert_int_equal(used(TX)->idx, con.tx_bytes == 15 ? 1 : 0);
    }
    assert_int_equal(have, 15);
    assert_memory_equal(got, "abcdefghijklmno", 15);
    assert_int_equal(serial_queue_length(&tx_virt), 0);
    assert_int_equal(tx_resumes, 2);
    expect_used(TX, 0, 0);
    expect_no_more_used(TX);
    assert_int_equal(set_irq_calls, 1);
}

static void tx_resumes_across_chains(void **state)
{
    (void)state;
    serial_queues(4, sizeof(rx_data));
    driver_start();
    tx_buffer(0, BUFFERS, "012345", 0, 0);
    tx_buffer(1, BUFFERS + 0x100, "6789", VIRTQ_DESC_F_NEXT, 2);
    tx_buffer(2, BUFFERS + 0x200, "AB", 0, 0);
    offer(TX, 0);
    offer(TX, 1);
    kick(TX);
    char got[16];
    uint32_t have = 0;
    while (have < 12) {
        uint32_t n = tx_virtualiser_take(got + have, 3);
        assert_true(n > 0);
        have += n;
    }
    assert_memory_equal(got, "0123456789AB", 12);
    expect_used(TX, 0, 0);
    expect_used(TX, 1, 0);
    expect_no_more_used(TX);
}

static void tx_space_freed_just_before_the_request(void **state)
{
    (void)state;
    serial_queues(8, sizeof(rx_data));
    driver_start();
    tx_shared.producer_signalled = 1; /* as if the initial request had been taken */
    tx_buffer(0, BUFFERS, "abcdef", VIRTQ_DESC_F_NEXT, 1);
    tx_buffer(1, BUFFERS + 0x100, "ghijkl", 0, 0);
    offer(TX, 0);
    race_tx_take = 4;
    kick(TX);
    /* The console looked again after its request, found the space and finished the chain. */
    assert_int_equal(race_tx_taken, 4);
    assert_memory_equal(race_tx_bytes, "abcd", 4);
    expect_tx("efghijkl");
    expect_used(TX, 0, 0);
    assert_int_equal(set_irq_calls, 1);
}

/* A guest that keeps offering chains while the TX virtualiser keeps draining cannot keep the VMM
 * in one pass: a queue's worth of chains, then the pass ends; its next notification goes on. */
static void tx_pass_takes_at_most_a_queue_of_chains(void **state)
{
    (void)state;
    serial_queues(8, sizeof(rx_data));
    driver_start();
    for (unsigned i = 0; i < NUM; i++) {
        tx_buffer(i, BUFFERS + 0x10 * i, "twelve bytes", 0, 0); /* longer than tx: each waits once */
    }
    offer(TX, 0);
    guest_offers_meanwhile = 10 * NUM; /* bounded only so that a device that does not stop ends */
    kick(TX);
    assert_int_equal(used(TX)->idx, NUM); /* the chains offered after them wait in the ring */
    assert_false(con.txq.broken);
    assert_true(guest_offers_meanwhile > 0);
    uint16_t after_one_pass = used(TX)->idx;
    kick(TX); /* the guest's notification of the chains it offered: the next pass */
    assert_true(used(TX)->idx > after_one_pass);
    guest_offers_meanwhile = 0;
}

/* The same for receive: a guest posting buffers while input keeps coming gets a queue's worth of
 * them filled per pass. */
static void rx_pass_takes_at_most_a_queue_of_chains(void **state)
{
    (void)state;
    driver_start();
    for (unsigned i = 0; i < NUM; i++) {
        set_desc(RX, i, BUFFERS + 0x10 * i, 1, VIRTQ_DESC_F_WRITE, 0);
    }
    offer(RX, 0);
    kick(RX);
    guest_posts_meanwhile = 10 * NUM; /* bounded only so that a device that does not stop ends */
    rx_virtualiser_put("x");
    assert_int_equal(used(RX)->idx, NUM); /* the buffers posted after them wait in the ring */
    assert_false(con.rxq.broken);
    assert_true(guest_posts_meanwhile > 0);
    guest_posts_meanwhile = 0;
    kick(RX); /* the guest's notification of the buffers it posted: the next pass */
    assert_true(used(RX)->idx > NUM);
}

static void tx_follows_the_notified_queue(void **state)
{
    (void)state;
    driver_start();
    tx_buffer(0, BUFFERS, "out", 0, 0);
    offer(TX, 0);
    kick(RX); /* the receive queue: no transmission */
    assert_int_equal(serial_queue_length(&tx_virt), 0);
    expect_no_more_used(TX);
    kick(TX);
    expect_tx("out");
    expect_used(TX, 0, 0);
}

static void tx_chain_as_long_as_the_queue(void **state)
{
    (void)state;
    driver_start();
    char expected[NUM + 1];
    for (unsigned i = 0; i < NUM; i++) {
        char text[2] = {(char)('a' + i), 0};
        expected[i] = text[0];
        tx_buffer(i, BUFFERS + 0x10 * i, text, i + 1 < NUM ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    }
    expected[NUM] = 0;
    offer(TX, 0);
    kick(TX);
    expect_tx(expected);
    expect_used(TX, 0, 0);
    assert_int_equal(virtio_console_bad_chains(&con), 0);
}

/* ---- receive ---- */

static void rx_across_a_multi_descriptor_chain(void **state)
{
    (void)state;
    driver_start();
    set_desc(RX, 3, BUFFERS, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 7);
    set_desc(RX, 7, BUFFERS + 0x100, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    set_desc(RX, 1, BUFFERS + 0x200, 4, VIRTQ_DESC_F_WRITE, 0);
    offer(RX, 3);
    kick(RX); /* nothing to deliver yet */
    expect_no_more_used(RX);
    assert_int_equal(set_irq_calls, 0);
    rx_virtualiser_put("0123456789");
    expect_used(RX, 3, 10);
    assert_memory_equal(gpa(BUFFERS), "0123", 4);
    assert_memory_equal(gpa(BUFFERS + 0x100), "4567", 4);
    assert_memory_equal(gpa(BUFFERS + 0x200), "89", 2);
    assert_int_equal(serial_queue_length(&rx_virt), 0);
    assert_int_equal(set_irq_calls, 1);
    /* a single byte completes a chain at once */
    set_desc(RX, 0, BUFFERS + 0x300, 64, VIRTQ_DESC_F_WRITE, 0);
    offer(RX, 0);
    kick(RX);
    rx_virtualiser_put("z");
    expect_used(RX, 0, 1);
    assert_int_equal(*(char *)gpa(BUFFERS + 0x300), 'z');
    expect_no_more_used(RX);
    assert_int_equal(con.rx_bytes, 11);
}

static void rx_without_buffers_keeps_data_until_posted(void **state)
{
    (void)state;
    driver_start();
    rx_virtualiser_put("hi there");
    assert_int_equal(serial_queue_length(&rx_virt), 8); /* back-pressure, nothing lost */
    expect_no_more_used(RX);
    assert_int_equal(set_irq_calls, 0);
    set_desc(RX, 0, BUFFERS, 4, VIRTQ_DESC_F_WRITE, 0);
    set_desc(RX, 1, BUFFERS + 0x100, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(RX, 0);
    offer(RX, 1);
    kick(RX);
    expect_used(RX, 0, 4);
    expect_used(RX, 1, 4);
    expect_no_more_used(RX);
    assert_memory_equal(gpa(BUFFERS), "hi t", 4);
    assert_memory_equal(gpa(BUFFERS + 0x100), "here", 4);
    assert_int_equal(serial_queue_length(&rx_virt), 0);
    assert_int_equal(set_irq_calls, 1);
    assert_int_equal(rx_shared.consumer_signalled, 0); /* empty again: the console asked for data */
}

static void rx_data_put_just_before_the_request(void **state)
{
    (void)state;
    driver_start();
    rx_shared.consumer_signalled = 1; /* as if the initial request had been taken */
    set_desc(RX, 0, BUFFERS, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(RX, 0);
    race_rx_put = "late";
    kick(RX);
    /* The console found rx empty, asked, looked again and delivered. */
    expect_used(RX, 0, 4);
    assert_memory_equal(gpa(BUFFERS), "late", 4);
    assert_int_equal(serial_queue_length(&rx_virt), 0);
}

/* ---- signals and interrupts ---- */

static void notify_tx_only_when_requested(void **state)
{
    (void)state;
    driver_start();
    tx_buffer(0, BUFFERS, "a", 0, 0);
    offer(TX, 0);
    kick(TX); /* the shared region starts zeroed: the TX virtualiser wants a signal */
    assert_int_equal(notify_tx_calls, 1);
    tx_buffer(1, BUFFERS + 0x100, "b", 0, 0);
    offer(TX, 1);
    kick(TX); /* the request was taken: no second signal */
    assert_int_equal(notify_tx_calls, 1);
    expect_tx("ab");
    serial_queue_request_data_signal(&tx_virt);
    tx_buffer(2, BUFFERS + 0x200, "c", 0, 0);
    offer(TX, 2);
    kick(TX);
    assert_int_equal(notify_tx_calls, 2);
    expect_tx("c");
    kick(TX); /* nothing moved, no signal */
    assert_int_equal(notify_tx_calls, 2);
}

/* Batching (what the console example's VMM turns on): small output waits for the flush, both the
 * signal to the TX virtualiser and the transmit interrupt; half a queue goes at once. */
static void tx_batching_waits_for_the_flush_or_half_a_queue(void **state)
{
    (void)state;
    virtio_console_set_tx_batching(&con, true);
    driver_start();
    tx_buffer(0, BUFFERS, "line", 0, 0);
    offer(TX, 0);
    kick(TX);
    expect_used(TX, 0, 0); /* the guest gets its buffer back at once: it polls for it */
    assert_int_equal(notify_tx_calls, 0);
    assert_int_equal(set_irq_calls, 0);
    virtio_console_flush_tx(&con);
    assert_int_equal(notify_tx_calls, 1);
    assert_int_equal(set_irq_calls, 1);
    virtio_console_flush_tx(&con); /* nothing owed: nothing more */
    assert_int_equal(notify_tx_calls, 1);
    assert_int_equal(set_irq_calls, 1);
    expect_tx("line");
    serial_queue_request_data_signal(&tx_virt);
    static char half[sizeof(tx_data) / 2 + 1];
    memset(half, 'h', sizeof(half) - 1);
    tx_buffer(1, BUFFERS + 0x100, half, 0, 0);
    offer(TX, 1);
    kick(TX);
    assert_int_equal(notify_tx_calls, 2); /* half full: the TX virtualiser hears now */
}

static void notify_rx_space_only_when_requested(void **state)
{
    (void)state;
    driver_start();
    for (unsigned i = 0; i < 4; i++) {
        set_desc(RX, i, BUFFERS + 0x100 * i, 16, VIRTQ_DESC_F_WRITE, 0);
    }
    offer(RX, 0);
    kick(RX);
    rx_virtualiser_put("one"); /* the shared region starts zeroed: the RX virtualiser wants a signal */
    expect_used(RX, 0, 3);
    assert_int_equal(notify_rx_space_calls, 1);
    offer(RX, 1);
    kick(RX);
    rx_virtualiser_put("two");
    expect_used(RX, 1, 3);
    assert_int_equal(notify_rx_space_calls, 1);
    serial_queue_request_space_signal(&rx_virt);
    offer(RX, 2);
    kick(RX);
    rx_virtualiser_put("six");
    expect_used(RX, 2, 3);
    assert_int_equal(notify_rx_space_calls, 2);
    serial_queue_request_space_signal(&rx_virt);
    offer(RX, 3);
    kick(RX); /* nothing dequeued: no signal even though requested */
    assert_int_equal(notify_rx_space_calls, 2);
}

static void one_interrupt_per_pass(void **state)
{
    (void)state;
    driver_start();
    tx_buffer(0, BUFFERS, "x", 0, 0);
    tx_buffer(1, BUFFERS + 0x100, "y", 0, 0);
    tx_buffer(2, BUFFERS + 0x200, "z", 0, 0);
    offer(TX, 0);
    offer(TX, 1);
    offer(TX, 2);
    kick(TX);
    expect_used(TX, 0, 0);
    expect_used(TX, 1, 0);
    expect_used(TX, 2, 0);
    assert_int_equal(set_irq_calls, 1);
    w(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
    kick(TX); /* nothing new used: no interrupt */
    virtio_console_tx_notified(&con);
    virtio_console_rx_notified(&con);
    assert_int_equal(set_irq_calls, 1);
    assert_false(virtio_mmio_irq_level(&con.transport));
    expect_tx("xyz");
}

static void no_interrupt_when_the_driver_suppresses_it(void **state)
{
    (void)state;
    driver_start();
    avail(TX)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    tx_buffer(0, BUFFERS, "quiet", 0, 0);
    offer(TX, 0);
    kick(TX);
    expect_used(TX, 0, 0);
    assert_int_equal(set_irq_calls, 0);
    assert_int_equal(r(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    avail(TX)->flags = 0;
    tx_buffer(1, BUFFERS + 0x100, "loud", 0, 0);
    offer(TX, 1);
    kick(TX);
    expect_used(TX, 1, 0);
    assert_int_equal(set_irq_calls, 1);
    expect_tx("quietloud");
}

/* ---- malformed chains: completed with length 0 and skipped, the console goes on ---- */

static void bad_tx_chain_then_good_one(void (*make_bad)(void))
{
    driver_start();
    make_bad(); /* a bad chain headed by descriptor 0 */
    offer(TX, 0);
    tx_buffer(10, BUFFERS + 0x800, "ok", 0, 0);
    offer(TX, 10);
    kick(TX);
    expect_used(TX, 0, 0);
    expect_used(TX, 10, 0);
    expect_no_more_used(TX);
    expect_tx("ok"); /* nothing of the bad chain, not even its good first part */
    assert_int_equal(con.txq.bad_chains, 1);
    assert_false(con.txq.broken);
    assert_false(r(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(set_irq_calls, 1);
}

static void make_outside_ram(void)
{
    tx_buffer(0, BUFFERS, "BAD", VIRTQ_DESC_F_NEXT, 1);
    set_desc(TX, 1, 0x1000, 4, 0, 0);
}

static void make_writable_on_tx(void)
{
    tx_buffer(0, BUFFERS, "BAD", VIRTQ_DESC_F_NEXT, 1);
    set_desc(TX, 1, BUFFERS + 0x100, 8, VIRTQ_DESC_F_WRITE, 0);
}

static void tx_address_outside_ram(void **state)
{
    (void)state;
    bad_tx_chain_then_good_one(make_outside_ram);
}

static void tx_writable_buffer_refused(void **state)
{
    (void)state;
    bad_tx_chain_then_good_one(make_writable_on_tx);
}

static void rx_readable_buffer_refused(void **state)
{
    (void)state;
    driver_start();
    /* writable then readable: wrong direction for a receiveq (section 5.3.6.1), and in the wrong
     * order for any chain (section 2.7.4.2) */
    memset(gpa(BUFFERS), '-', 8);
    set_desc(RX, 0, BUFFERS, 4, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    set_desc(RX, 1, BUFFERS + 4, 4, 0, 0);
    offer(RX, 0);
    set_desc(RX, 2, BUFFERS + 0x100, 4, 0, 0); /* read-only alone */
    offer(RX, 2);
    set_desc(RX, 3, BUFFERS + 0x200, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(RX, 3);
    kick(RX);
    rx_virtualiser_put("data");
    expect_used(RX, 0, 0);
    expect_used(RX, 2, 0);
    expect_used(RX, 3, 4);
    expect_no_more_used(RX);
    assert_memory_equal(gpa(BUFFERS), "--------", 8); /* the bad chain was not written */
    assert_memory_equal(gpa(BUFFERS + 0x200), "data", 4);
    assert_int_equal(con.rxq.bad_chains, 2);
    assert_int_equal(virtio_console_bad_chains(&con), 2);
}

/* ---- broken queues: contained, reported, recovered by a reset ---- */

static void expect_broken_tx(void)
{
    assert_true(con.txq.broken);
    assert_int_equal(con.txq.breakdowns, 1);
    assert_true(r(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    assert_true(r(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG_CHANGE);
    assert_int_equal(set_irq_calls, 1);
    /* no longer processed, and reported once */
    tx_buffer(1, BUFFERS + 0x100, "more", 0, 0);
    offer(TX, 1);
    kick(TX);
    virtio_console_tx_notified(&con);
    assert_int_equal(serial_queue_length(&tx_virt), 0);
    expect_no_more_used(TX);
    assert_int_equal(set_irq_calls, 1);
    /* the receive queue still works */
    set_desc(RX, 0, BUFFERS + 0x200, 8, VIRTQ_DESC_F_WRITE, 0);
    offer(RX, 0);
    kick(RX);
    rx_virtualiser_put("in");
    expect_used(RX, 0, 2);
    /* a reset and a new start bring the transmit queue back */
    driver_start();
    assert_false(r(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
    tx_buffer(4, BUFFERS + 0x300, "again", 0, 0);
    offer(TX, 4);
    kick(TX);
    expect_tx("again");
    expect_used(TX, 4, 0);
    assert_int_equal(con.txq.breakdowns, 1);
}

static void head_out_of_range_breaks_the_queue(void **state)
{
    (void)state;
    driver_start();
    offer(TX, NUM);
    kick(TX);
    expect_no_more_used(TX);
    expect_broken_tx();
}

static void queue_moved_without_reset_breaks_it(void **state)
{
    (void)state;
    driver_start();
    tx_buffer(0, BUFFERS, "first", 0, 0);
    offer(TX, 0);
    kick(TX);
    expect_tx("first");
    expect_used(TX, 0, 0);
    set_irq_calls = 0;
    w(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_USED_BUFFER);
    /* Disable, move the descriptor table, enable: no RING_RESET was offered. */
    w(VIRTIO_MMIO_QUEUE_SEL, TX);
    w(VIRTIO_MMIO_QUEUE_READY, 0);
    w(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)(FAKE_RAM_BASE + 0x3000));
    w(VIRTIO_MMIO_QUEUE_READY, 1);
    kick(TX);
    expect_broken_tx();
}

/* ---- the lifecycle, as the transport reports it to the console ---- */

static void nothing_before_driver_ok(void **state)
{
    (void)state;
    driver_features();
    driver_queue(RX);
    driver_queue(TX);
    tx_buffer(0, BUFFERS, "early", 0, 0);
    offer(TX, 0);
    set_desc(RX, 0, BUFFERS + 0x100, 16, VIRTQ_DESC_F_WRITE, 0);
    offer(RX, 0);
    kick(TX);
    kick(RX);
    assert_int_equal(con.transport.ignored_notifies, 2);
    assert_int_equal(serial_enqueue_batch(&rx_virt, "key", 3), 3);
    virtio_console_rx_notified(&con);
    virtio_console_tx_notified(&con);
    assert_int_equal(serial_queue_length(&tx_virt), 0);
    assert_int_equal(serial_queue_length(&rx_virt), 3);
    expect_no_more_used(TX);
    expect_no_more_used(RX);
    assert_int_equal(set_irq_calls, 0);
    /* DRIVER_OK: what was posted before is handled now, with one interrupt */
    driver_ok();
    expect_tx("early");
    expect_used(TX, 0, 0);
    expect_used(RX, 0, 3);
    assert_memory_equal(gpa(BUFFERS + 0x100), "key", 3);
    assert_int_equal(set_irq_calls, 1);
}

static void nothing_on_a_queue_not_ready(void **state)
{
    (void)state;
    driver_features();
    driver_queue(TX); /* the receive queue is never enabled */
    driver_ok();
    rx_virtualiser_put("key");
    virtio_console_rx_notified(&con);
    kick(RX);
    assert_int_equal(serial_queue_length(&rx_virt), 3);
    expect_no_more_used(RX);
    assert_int_equal(set_irq_calls, 0);
    tx_buffer(0, BUFFERS, "out", 0, 0);
    offer(TX, 0);
    kick(TX);
    expect_tx("out");
}

static void reset_mid_chain_forgets_it(void **state)
{
    (void)state;
    serial_queues(8, sizeof(rx_data));
    driver_start();
    tx_buffer(0, BUFFERS, "abcde", VIRTQ_DESC_F_NEXT, 1);
    tx_buffer(1, BUFFERS + 0x100, "fghij", 0, 0);
    offer(TX, 0);
    kick(TX);
    assert_int_equal(serial_queue_length(&tx_virt), 8);
    assert_true(con.tx_pending);
    w(VIRTIO_MMIO_STATUS, 0);
    assert_false(con.tx_pending);
    /* The TX virtualiser drains what was sent before the reset and signals: nothing follows. */
    char got[8];
    assert_int_equal(tx_virtualiser_take(got, 8), 8);
    assert_memory_equal(got, "abcdefgh", 8);
    assert_int_equal(tx_resumes, 1);
    assert_int_equal(serial_queue_length(&tx_virt), 0);
    expect_no_more_used(TX);
    /* A new driver starts from scratch: new rings, indices from 0. */
    driver_start();
    tx_buffer(4, BUFFERS + 0x200, "XYZ", 0, 0);
    offer(TX, 4);
    kick(TX);
    expect_tx("XYZ");
    expect_used(TX, 4, 0);
    expect_no_more_used(TX);
}

/* What the guest left in its rings is never touched again once the driver gave up. */
static void failed_stops_the_console(void **state)
{
    (void)state;
    driver_start();
    memset(gpa(BUFFERS), '-', 8);
    set_desc(RX, 0, BUFFERS, 8, VIRTQ_DESC_F_WRITE, 0);
    offer(RX, 0);
    kick(RX);
    fake_add_status(&drv, VIRTIO_STATUS_FAILED);
    rx_virtualiser_put("late");
    tx_buffer(0, BUFFERS + 0x100, "out", 0, 0);
    offer(TX, 0);
    kick(TX);
    virtio_console_tx_notified(&con);
    assert_memory_equal(gpa(BUFFERS), "--------", 8);
    expect_no_more_used(RX);
    expect_no_more_used(TX);
    assert_int_equal(serial_queue_length(&tx_virt), 0);
    assert_int_equal(serial_queue_length(&rx_virt), 4); /* kept for the next driver */
    assert_int_equal(set_irq_calls, 0);
}

/* vmm_start_guest resets every device when the guest restarts: the new kernel's image now lies
 * where the old rings were, and must not be written into. */
static void reset_by_the_vmm_forgets_the_old_rings(void **state)
{
    (void)state;
    driver_start();
    set_desc(RX, 0, BUFFERS, 8, VIRTQ_DESC_F_WRITE, 0);
    offer(RX, 0);
    kick(RX);
    tx_buffer(0, BUFFERS + 0x100, "old", 0, 0);
    offer(TX, 0);
    virtio_mmio_reset(&con.transport);
    memset(gpa(BUFFERS), 'K', 8); /* the new kernel */
    rx_virtualiser_put("typed");
    virtio_console_tx_notified(&con);
    kick(TX);
    assert_memory_equal(gpa(BUFFERS), "KKKKKKKK", 8);
    expect_no_more_used(RX);
    expect_no_more_used(TX);
    assert_int_equal(serial_queue_length(&tx_virt), 0);
    assert_int_equal(set_irq_calls, 0);
    /* the new kernel's driver gets what was typed meanwhile */
    driver_start();
    set_desc(RX, 0, BUFFERS + 0x200, 8, VIRTQ_DESC_F_WRITE, 0);
    offer(RX, 0);
    kick(RX);
    expect_used(RX, 0, 5);
    assert_memory_equal(gpa(BUFFERS + 0x200), "typed", 5);
}

/* A legacy driver (no VERSION_1) never gets the console going, whatever it writes next. */
static void refused_features_keep_the_console_off(void **state)
{
    (void)state;
    assert_false(fake_negotiate(&drv, 0));
    assert_false(fake_queue_setup(&drv, TX, NUM));
    fake_driver_ok(&drv);
    assert_int_equal(r(VIRTIO_MMIO_STATUS), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    tx_buffer(0, BUFFERS, "legacy", 0, 0);
    offer(TX, 0);
    kick(TX);
    assert_int_equal(serial_queue_length(&tx_virt), 0);
    expect_no_more_used(TX);
    assert_int_equal(con.transport.refused_features, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(identity_and_config_space, setup),
        cmocka_unit_test_setup(tx_chain_of_three_arrives_in_order, setup),
        cmocka_unit_test_setup(tx_ring_full_mid_chain_resumes_exactly, setup),
        cmocka_unit_test_setup(tx_resumes_across_chains, setup),
        cmocka_unit_test_setup(tx_space_freed_just_before_the_request, setup),
        cmocka_unit_test_setup(tx_follows_the_notified_queue, setup),
        cmocka_unit_test_setup(tx_chain_as_long_as_the_queue, setup),
        cmocka_unit_test_setup(rx_across_a_multi_descriptor_chain, setup),
        cmocka_unit_test_setup(rx_without_buffers_keeps_data_until_posted, setup),
        cmocka_unit_test_setup(rx_data_put_just_before_the_request, setup),
        cmocka_unit_test_setup(notify_tx_only_when_requested, setup),
        cmocka_unit_test_setup(tx_batching_waits_for_the_flush_or_half_a_queue, setup),
        cmocka_unit_test_setup(notify_rx_space_only_when_requested, setup),
        cmocka_unit_test_setup(one_interrupt_per_pass, setup),
        cmocka_unit_test_setup(no_interrupt_when_the_driver_suppresses_it, setup),
        cmocka_unit_test_setup(tx_address_outside_ram, setup),
        cmocka_unit_test_setup(tx_writable_buffer_refused, setup),
        cmocka_unit_test_setup(rx_readable_buffer_refused, setup),
        cmocka_unit_test_setup(head_out_of_range_breaks_the_queue, setup),
        cmocka_unit_test_setup(queue_moved_without_reset_breaks_it, setup),
        cmocka_unit_test_setup(nothing_before_driver_ok, setup),
        cmocka_unit_test_setup(nothing_on_a_queue_not_ready, setup),
        cmocka_unit_test_setup(reset_mid_chain_forgets_it, setup),
        cmocka_unit_test_setup(failed_stops_the_console, setup),
        cmocka_unit_test_setup(reset_by_the_vmm_forgets_the_old_rings, setup),
        cmocka_unit_test_setup(refused_features_keep_the_console_off, setup),
        cmocka_unit_test_setup(tx_pass_takes_at_most_a_queue_of_chains, setup),
        cmocka_unit_test_setup(rx_pass_takes_at_most_a_queue_of_chains, setup),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
