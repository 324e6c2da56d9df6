/*
 * Fuzz harness of the virtio console (vmm/src/virtio_console.c) with its transport and virtqueues,
 * between a guest driver (fuzz_guest.h) and the two serial virtualisers, which the harness plays
 * on the tx and rx serial queues. The input is a program: the guest offers transmit chains (good
 * ones of several buffers, direct or indirect, and bad ones the device must refuse) and receive
 * buffers, kicks, resets and restarts the device, reads its used rings; the TX virtualiser drains
 * tx and the RX virtualiser fills rx, both following the signal protocol; the VMM flushes batched
 * output. The serial peers and the guest may also act between any two loads the device makes
 * (another core), which must change nothing below.
 *
 * Invariants:
 * - transmit: the bytes in tx are the good chains' bytes, in the order offered, nothing lost,
 *   duplicated or invented (a reset may cut the chain in progress); a chain comes back only once
 *   all its bytes are in tx; bad chains come back with nothing sent;
 * - receive: each receive chain comes back with the next bytes of rx, exactly, in its writable
 *   buffers, in order; every byte taken from rx reaches the guest;
 * - the device writes guest RAM only in the used rings and the receive buffers in flight, never
 *   outside guest RAM; it signals only its own two channels;
 * - liveness: once the guest and the peers stop, following the signals alone (no poll) moves
 *   every good chain through and every waiting rx byte into the buffers posted;
 * - every call is bounded by the work it did (the loads it makes are counted).
 */
#include <string.h>
#include <serial/queue.h>
#include <vmm/notify.h>
#include <vmm/virtio_console.h>
#include "fuzz.h"
#include "fuzz_guest.h"
#include "fuzz_race.h"
#undef __atomic_load_n

#define RX         VIRTIO_CONSOLE_RX_QUEUE
#define TX         VIRTIO_CONSOLE_TX_QUEUE
#define TX_CH      1
#define RX_CH      2
#define STREAM_MAX 0x10000u
#define BAD_TAG    (1ULL << 63)
#define MAX_USED   FG_MAX_NUM

static struct virtio_console con;
static struct serial_queue tx_shared, rx_shared;
static char tx_data[1024], rx_data[1024];
static struct serial_queue_handle tx_console, tx_virt, rx_console, rx_virt;

static struct {
    struct fuzz_input *race; /* a peer's choices between two loads (fuzz_split) */
    bool started;
    bool features_indirect;
    bool checking; /* the streams are checked (the guest stayed honest) */
    /* transmit: what the good chains carry, back to back, and how much of it the TX virtualiser
     * has taken and compared */
    uint8_t tx_expected[STREAM_MAX];
    uint32_t tx_expected_length;
    uint32_t tx_taken;
    uint32_t tx_base;                /* tx's tail when the stream began: tail - base is what the console sent */
    uint64_t tx_end[FG_MAX_NUM * 2]; /* by tag: where each good chain ends in the stream */
    uint32_t tx_chains;
    /* receive: what the RX virtualiser put into rx, and how much the guest got back */
    uint8_t rx_sent[STREAM_MAX];
    uint32_t rx_sent_length;
    uint32_t rx_delivered;
    uint32_t rx_base; /* rx's head when the stream began */
    unsigned pattern;
    uint32_t trap; /* a buffer only bad chains name: nothing may be read or written there */
    /* during a call */
    bool racing;
    unsigned raced;
    /* what the racing peers owe the device once the call is over (they follow the protocol: a
     * virtualiser that made progress takes the device's request and signals; a guest that posted
     * buffers kicks) */
    bool owe_tx, owe_rx, owe_kick, owe_kick_tx;
} s;

void vmm_notify(unsigned channel)
{
    FUZZ_CHECK(channel == TX_CH || channel == RX_CH, "the console signalled channel %u", channel);
}

/* ---- the serial virtualisers ---- */

static void tx_take(uint32_t max)
{
    uint8_t bytes[1024];
    uint32_t n = serial_dequeue_batch(&tx_virt, (char *)bytes, max < sizeof(bytes) ? max : sizeof(bytes));
    if (s.checking) {
        FUZZ_CHECK(s.tx_taken + n <= s.tx_expected_length, "tx holds %u bytes more than the good chains carried",
                   s.tx_taken + n - s.tx_expected_length);
        FUZZ_CHECK(memcmp(bytes, s.tx_expected + s.tx_taken, n) == 0,
                   "tx byte at %u of the stream is not what the guest sent", s.tx_taken);
    }
    s.tx_taken += n;
}

static uint32_t rx_put(uint32_t n)
{
    uint8_t bytes[256];
    n = n < sizeof(bytes) ? n : sizeof(bytes);
    if (s.rx_sent_length + n > STREAM_MAX) {
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        bytes[i] = (uint8_t)(s.pattern++ * 131u >> 3);
    }
    uint32_t put = serial_enqueue_batch(&rx_virt, (const char *)bytes, n);
    memcpy(s.rx_sent + s.rx_sent_length, bytes, put);
    s.rx_sent_length += put;
    return put;
}

/* Another core: the TX virtualiser takes, the RX virtualiser puts, the guest posts a receive
 * buffer or a transmit chain, between two loads of the device. */
static void offer_rx(uint32_t length, unsigned segs, bool indirect);
static void offer_tx(uint32_t length, unsigned segs, bool indirect);
static void collect_tx(void);
static void collect_rx(void);
static void race(const volatile void *address, unsigned size, void *context)
{
    (void)size;
    (void)context;
    /* Only where a peer's action matters: the loads of the indices the peers move. */
    bool avail_idx = address == fg_ram + fg.queues[TX].avail + 2 || address == fg_ram + fg.queues[RX].avail + 2;
    if (!s.racing || !fuzz_more(s.race) || (address != &tx_shared.head && address != &rx_shared.tail && !avail_idx)) {
        return;
    }
    uint8_t c = fuzz_u8(s.race);
    if ((c & 7) != 0) {
        return;
    }
    s.raced++;
    FUZZ_TRACE("race at %s: %#x",
               address == &tx_shared.head   ? "tx head"
               : address == &rx_shared.tail ? "rx tail"
                                            : "avail idx",
               c);
    if (address == &tx_shared.head) {
        uint32_t taken = s.tx_taken;
        tx_take(c >> 3);
        s.owe_tx = s.owe_tx || (s.tx_taken != taken && serial_queue_take_space_signal(&tx_virt));
    } else if (address == &rx_shared.tail) {
        s.owe_rx = s.owe_rx || (rx_put((c >> 3) + 1) != 0 && serial_queue_take_data_signal(&rx_virt));
    } else if (!fg.dishonest && (c & 0x80) != 0) {
        /* The guest sees what came back, so that it can offer again; what the device wrote so
         * far is judged first, while the buffers it wrote were still its to write. */
        fg_check_writes("the device, before the guest read its used ring");
        collect_tx();
        unsigned posted = fg.queues[TX].in_flight;
        offer_tx(((c >> 3) & 0xf) + 1, 1, false);
        s.owe_kick_tx = s.owe_kick_tx || fg.queues[TX].in_flight != posted;
    } else if (!fg.dishonest) {
        fg_check_writes("the device, before the guest read its used ring");
        collect_rx();
        unsigned posted = fg.queues[RX].in_flight;
        offer_rx((c >> 3) + 1, 1, false);
        s.owe_kick = s.owe_kick || fg.queues[RX].in_flight != posted;
    }
}

/* ---- the guest ---- */

static void after(const char *what);

static void offer_tx(uint32_t length, unsigned segs, bool indirect)
{
    struct fg_seg seg[FG_MAX_SEGS];
    uint32_t total = 0;
    segs = segs == 0 ? 1 : segs > FG_MAX_SEGS ? FG_MAX_SEGS : segs;
    if (s.tx_expected_length + length * segs > STREAM_MAX || s.tx_chains >= sizeof(s.tx_end) / sizeof(s.tx_end[0])) {
        return;
    }
    for (unsigned i = 0; i < segs; i++) {
        seg[i] = (struct fg_seg){fg_alloc(length), length, false};
        if (seg[i].offset == 0) {
            for (unsigned k = 0; k < i; k++) {
                fg_free(seg[k].offset, length);
            }
            return;
        }
        uint8_t bytes[512];
        for (uint32_t b = 0; b < length; b++) {
            bytes[b] = (uint8_t)(s.pattern++ * 151u >> 2);
        }
        fg_write(seg[i].offset, bytes, length);
        total += length;
    }
    if (!fg_offer(TX, seg, segs, indirect && s.features_indirect, s.tx_chains, NULL)) {
        for (unsigned k = 0; k < segs; k++) {
            fg_free(seg[k].offset, length);
        }
        return;
    }
    for (unsigned i = 0; i < segs; i++) {
        memcpy(s.tx_expected + s.tx_expected_length, fg_ram + seg[i].offset, length);
        s.tx_expected_length += length;
    }
    (void)total;
    s.tx_end[s.tx_chains++] = s.tx_expected_length;
}

static void offer_rx(uint32_t length, unsigned segs, bool indirect)
{
    struct fg_seg seg[FG_MAX_SEGS];
    segs = segs == 0 ? 1 : segs > FG_MAX_SEGS ? FG_MAX_SEGS : segs;
    for (unsigned i = 0; i < segs; i++) {
        seg[i] = (struct fg_seg){fg_alloc(length), length, true};
        if (seg[i].offset == 0) {
            for (unsigned k = 0; k < i; k++) {
                fg_free(seg[k].offset, length);
            }
            return;
        }
    }
    if (!fg_offer(RX, seg, segs, indirect && s.features_indirect, 0, NULL)) {
        for (unsigned k = 0; k < segs; k++) {
            fg_free(seg[k].offset, length);
        }
    }
}

/* A chain the device must refuse: a writable buffer to transmit, a readable one to receive into,
 * an address outside RAM, or no length. */
static void offer_bad(unsigned q, uint8_t kind)
{
    uint32_t buffer = s.trap;
    switch (kind % 4) {
    case 0:
        fg_offer_raw(q, fg_gpa(buffer), 16, q == TX ? VIRTQ_DESC_F_WRITE : 0, 0, BAD_TAG);
        break;
    case 1:
        fg_offer_raw(q, FG_RAM_BASE + FG_RAM_SIZE - 8, 16, q == TX ? 0 : VIRTQ_DESC_F_WRITE, 0, BAD_TAG);
        break;
    case 2:
        fg_offer_raw(q, fg_gpa(buffer), 0, q == TX ? 0 : VIRTQ_DESC_F_WRITE, 0, BAD_TAG);
        break;
    case 3:
        fg_offer_raw(q, fg_gpa(buffer), 16, VIRTQ_DESC_F_INDIRECT, 0, BAD_TAG); /* never negotiated: a table */
        break;
    }
}

/* The guest reads back the transmit chains the device returned. */
static void collect_tx(void)
{
    struct fg_used used[MAX_USED];
    unsigned n = fg_collect(TX, used, MAX_USED);
    for (unsigned i = 0; i < n; i++) {
        FUZZ_CHECK(used[i].length == 0, "a transmit chain came back with length %u", used[i].length);
        if (s.checking && used[i].tag != BAD_TAG) {
            uint32_t sent = tx_shared.tail - s.tx_base;
            FUZZ_CHECK(s.tx_end[used[i].tag] <= sent, "transmit chain %llu came back before its bytes were in tx",
                       (unsigned long long)used[i].tag);
        }
        for (unsigned k = 0; k < used[i].count; k++) {
            fg_free(used[i].segs[k].offset, used[i].segs[k].length); /* back: the guest may reuse it */
        }
    }
}

/* And the receive chains, with what they carry. */
static void collect_rx(void)
{
    struct fg_used used[MAX_USED];
    unsigned n = fg_collect(RX, used, MAX_USED);
    for (unsigned i = 0; i < n; i++) {
        FUZZ_TRACE("rx used: head %u, %u bytes", used[i].head, used[i].length);
    }
    for (unsigned i = 0; i < n; i++) {
        uint32_t left = used[i].length;
        if (used[i].tag == BAD_TAG) {
            FUZZ_CHECK(left == 0, "a bad receive chain came back with %u bytes", left);
            continue;
        }
        for (unsigned k = 0; k < used[i].count && left > 0; k++) {
            uint32_t take = used[i].segs[k].length < left ? used[i].segs[k].length : left;
            if (s.checking) {
                FUZZ_CHECK(s.rx_delivered + take <= s.rx_sent_length, "the guest got rx bytes nobody sent");
                FUZZ_CHECK(memcmp(fg_ram + used[i].segs[k].offset, s.rx_sent + s.rx_delivered, take) == 0,
                           "rx byte %u of the stream reached the guest changed", s.rx_delivered);
            }
            s.rx_delivered += take;
            left -= take;
        }
        for (unsigned k = 0; k < used[i].count; k++) {
            fg_free(used[i].segs[k].offset, used[i].segs[k].length);
        }
    }
}

static void collect(void)
{
    collect_tx();
    collect_rx();
    if (s.checking) {
        /* The console fills a chain and returns it in one pass: what it took from rx is back. */
        FUZZ_CHECK(rx_shared.head - s.rx_base == s.rx_delivered, "%u bytes taken from rx, %u reached the guest",
                   rx_shared.head - s.rx_base, s.rx_delivered);
    }
}

/* After a device call: its writes, then what the guest sees. */
static void after(const char *what)
{
    fg_check_writes(what);
    collect();
}

static void deliver_owed(void);

static uint16_t used_idx(unsigned q)
{
    uint16_t idx;
    memcpy(&idx, fg_ram + fg.queues[q].used + 2, 2);
    return idx;
}

/* A call into the device, with the peers racing it and its loads counted: a chain costs its
 * descriptors (a queue's worth at most) and a few loads of the rings per buffer, and a peer's
 * action may give it one more look at a queue. And it returns no more than a queue's worth of
 * chains per queue, and the one it had started: all a driver can have had out when it began (the
 * rest are offered during it, and wait for the next call, rather than keeping it going). */
#define CALL(what, call)                                                                                            \
    do {                                                                                                            \
        uint16_t tx_before_ = used_idx(TX), rx_before_ = used_idx(RX);                                              \
        s.racing = true;                                                                                            \
        s.raced = 0;                                                                                                \
        fuzz_race_arm(race, NULL, 2000000, what);                                                                   \
        call;                                                                                                       \
        unsigned long loads_ = fuzz_race_loads();                                                                   \
        fuzz_race_disarm();                                                                                         \
        s.racing = false;                                                                                           \
        unsigned tx_ = (uint16_t)(used_idx(TX) - tx_before_), rx_ = (uint16_t)(used_idx(RX) - rx_before_);          \
        FUZZ_CHECK(loads_ <= 2000 * (1ul + tx_ + rx_ + s.raced), "%s: %lu loads for %u chains and %u peer actions", \
                   what, loads_, tx_ + rx_, s.raced);                                                               \
        FUZZ_CHECK(fg.dishonest || (tx_ <= fg.queues[TX].num + 1 && rx_ <= fg.queues[RX].num + 1),                  \
                   "%s returned %u transmit and %u receive chains of queues of %u and %u", what, tx_, rx_,          \
                   fg.queues[TX].num, fg.queues[RX].num);                                                           \
        after(what);                                                                                                \
        deliver_owed();                                                                                             \
    } while (0)

/* The signals the racing peers owe, delivered as they would arrive: after the call. */
static void deliver_owed(void)
{
    static bool delivering;
    if (delivering) {
        return; /* the loop below takes what the calls it makes owe */
    }
    delivering = true;
    for (unsigned n = 0; n < 256 && (s.owe_tx || s.owe_rx || s.owe_kick || s.owe_kick_tx); n++) {
        if (s.owe_tx) {
            s.owe_tx = false;
            CALL("virtio_console_tx_notified", virtio_console_tx_notified(&con));
        }
        if (s.owe_rx) {
            s.owe_rx = false;
            CALL("virtio_console_rx_notified", virtio_console_rx_notified(&con));
        }
        if (s.owe_kick) {
            s.owe_kick = false;
            CALL("QueueNotify rx", fg_notify(RX));
        }
        if (s.owe_kick_tx) {
            s.owe_kick_tx = false;
            CALL("QueueNotify tx", fg_notify(TX));
        }
    }
    delivering = false;
}

static void start_stream(void)
{
    /* After a (re)start: transmit goes on from what tx holds now; the chains offered before are
     * gone with the reset, except the bytes already sent, which the TX virtualiser may still
     * take (so the expected stream is cut there, not cleared). */
    uint32_t sent = tx_shared.tail - s.tx_base;
    if (s.checking) {
        FUZZ_CHECK(sent <= s.tx_expected_length, "tx holds bytes of no chain");
        s.tx_expected_length = sent;
    }
    s.tx_chains = 0;
}

static bool start(struct fuzz_input *in)
{
    collect(); /* the guest looks one last time before it resets */
    start_stream();
    s.features_indirect = false;
    bool ok = fg_start(VIRTIO_F_VERSION_1, 2, 1u << (fuzz_below(in, 6) + 1));
    after("start");
    return ok;
}

/* Follow the signals until nothing moves: everything offered must get through. The guest kicks
 * both queues first, as a driver does after posting (it may not have yet). */
static void settle(void)
{
    if (s.started) {
        CALL("QueueNotify tx", fg_notify(TX));
        CALL("QueueNotify rx", fg_notify(RX));
    }
    /* Each round moves at least a byte or ends it: no more rounds than bytes, and a few more. */
    for (uint32_t round = 0; round < s.tx_expected_length + 64; round++) {
        uint32_t taken = s.tx_taken;
        tx_take(sizeof(tx_data));
        if (s.tx_taken != taken && serial_queue_take_space_signal(&tx_virt)) {
            CALL("virtio_console_tx_notified", virtio_console_tx_notified(&con));
        }
        virtio_console_flush_tx(&con);
        after("virtio_console_flush_tx");
        if (s.tx_taken == taken && serial_queue_length(&tx_virt) == 0) {
            break;
        }
    }
    if (!s.checking || !s.started) {
        return;
    }
    FUZZ_CHECK(!con.txq.broken && !con.rxq.broken, "an honest guest's queue broke");
    FUZZ_CHECK(s.tx_taken == s.tx_expected_length, "%u bytes of good transmit chains never reached tx",
               s.tx_expected_length - s.tx_taken);
    FUZZ_CHECK(fg.queues[TX].in_flight == 0, "%u transmit chains never came back", fg.queues[TX].in_flight);
    FUZZ_CHECK(serial_queue_length(&rx_virt) == 0 || fg.queues[RX].in_flight == 0,
               "%u rx bytes wait while %u receive chains are posted", serial_queue_length(&rx_virt),
               fg.queues[RX].in_flight);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = fuzz_input(data, size);
    struct fuzz_input race_in = fuzz_split(&in);
    memset(&s, 0, sizeof(s));
    s.race = &race_in;
    s.checking = true;
    memset(&tx_shared, 0, sizeof(tx_shared));
    memset(&rx_shared, 0, sizeof(rx_shared));
    uint32_t tx_capacity = 1u << (fuzz_below(&in, 7) + 4);
    uint32_t rx_capacity = 1u << (fuzz_below(&in, 7) + 4);
    /* Indices start anywhere: they run freely and wrap. */
    tx_shared.tail = tx_shared.head = fuzz_u32(&in);
    rx_shared.tail = rx_shared.head = fuzz_u32(&in);
    s.tx_base = tx_shared.tail;
    s.rx_base = rx_shared.head;
    serial_queue_init(&tx_console, &tx_shared, tx_data, tx_capacity);
    serial_queue_init(&tx_virt, &tx_shared, tx_data, tx_capacity);
    serial_queue_init(&rx_console, &rx_shared, rx_data, rx_capacity);
    serial_queue_init(&rx_virt, &rx_shared, rx_data, rx_capacity);
    fg_init(&con.transport);
    FUZZ_CHECK(virtio_console_init(&con, &fg_guest_ram, &tx_console, &rx_console, TX_CH, RX_CH), "init");
    virtio_console_set_tx_batching(&con, fuzz_bool(&in));
    s.trap = fg_alloc(64);
    s.started = start(&in);

    for (unsigned step = 0; step < 400 && fuzz_more(&in); step++) {
        uint8_t op = fuzz_u8(&in);
        FUZZ_TRACE("step %u: op %u (tx taken %u of %u, tx tail %u, rx delivered %u of %u)", step, op % 12, s.tx_taken,
                   s.tx_expected_length, tx_shared.tail - s.tx_base, s.rx_delivered, s.rx_sent_length);
        switch (op % 12) {
        case 0:
        case 1:
            offer_tx(fuzz_below(&in, 300) + 1, fuzz_below(&in, 4) + 1, fuzz_bool(&in));
            if (fuzz_bool(&in)) {
                CALL("QueueNotify tx", fg_notify(TX));
            }
            break;
        case 2:
            offer_rx(fuzz_below(&in, 64) + 1, fuzz_below(&in, 3) + 1, fuzz_bool(&in));
            if (fuzz_bool(&in)) {
                CALL("QueueNotify rx", fg_notify(RX));
            }
            break;
        case 3:
            offer_bad(op & 0x10 ? TX : RX, fuzz_u8(&in));
            CALL("QueueNotify", fg_notify(op & 0x10 ? TX : RX));
            break;
        case 4:
        case 5: {
            uint32_t taken = s.tx_taken;
            tx_take(fuzz_below(&in, 1024) + 1);
            if (s.tx_taken != taken && serial_queue_take_space_signal(&tx_virt)) {
                CALL("virtio_console_tx_notified", virtio_console_tx_notified(&con));
            }
            break;
        }
        case 6:
            if (rx_put(fuzz_below(&in, 256) + 1) != 0 && serial_queue_take_data_signal(&rx_virt)) {
                CALL("virtio_console_rx_notified", virtio_console_rx_notified(&con));
            }
            break;
        case 7:
            CALL("virtio_console_flush_tx", virtio_console_flush_tx(&con));
            break;
        case 8:
            /* A notification nobody asked for (a peer may always send one). */
            if (op & 0x10) {
                CALL("virtio_console_tx_notified", virtio_console_tx_notified(&con));
            } else {
                CALL("virtio_console_rx_notified", virtio_console_rx_notified(&con));
            }
            break;
        case 9:
            s.started = start(&in);
            break;
        case 10: {
            /* Register accesses a guest may make at any time, some of them wrong. */
            static const uint32_t harmless[] = {
                VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_QUEUE_NOTIFY,        VIRTIO_MMIO_CONFIG,
                VIRTIO_MMIO_CONFIG + 8,    VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_CONFIG_GENERATION};
            uint32_t offset = harmless[fuzz_below(&in, 6)];
            uint32_t value = fuzz_u8(&in);
            CALL("register write", virtio_mmio_write(&con.transport, offset, 1u << fuzz_below(&in, 3), value));
            break;
        }
        case 11:
            if (op & 0x10) {
                uint8_t bytes[8];
                uint32_t offset = fuzz_below(&in, FG_RINGS_SIZE);
                uint32_t n = (uint32_t)fuzz_bytes(&in, bytes, fuzz_below(&in, 8) + 1);
                fg_scribble(offset, bytes, n);
                s.checking = false;
                CALL("QueueNotify after scribbling", fg_notify(fuzz_below(&in, 2)));
            } else {
                virtio_console_set_tx_batching(&con, fuzz_bool(&in));
            }
            break;
        }
    }
    FUZZ_TRACE("settle: tx taken %u of %u, tx tail %u, status %#x, tx in flight %u", s.tx_taken, s.tx_expected_length,
               tx_shared.tail - s.tx_base, con.transport.status, fg.queues[TX].in_flight);
    settle();
    return 0;
}
