/* PPC with message registers: the client sends a label and 8 words (MR0-3 in registers, MR4-7
 * through the IPC buffers); the server answers with their sum, the words reversed and a label.
 * The server must run before the client continues (it has higher priority and runs on the
 * client's time). */
#include "../common/ktest.h"

#define SERVER 0
#define WORDS  8

void init(void)
{
    uint64_t expected_sum = 0;
    for (unsigned i = 0; i < WORDS; i++) {
        microkit_mr_set((uint8_t)i, 1000 + i * i);
        expected_sum += 1000 + i * i;
    }
    microkit_msginfo reply = microkit_ppcall(SERVER, microkit_msginfo_new(42, WORDS));
    bool ok = microkit_msginfo_get_label(reply) == 43 && microkit_msginfo_get_count(reply) == WORDS + 1;
    ok = ok && microkit_mr_get(0) == expected_sum;
    for (unsigned i = 0; i < WORDS; i++) {
        ok = ok && microkit_mr_get((uint8_t)(1 + i)) == 1000 + (WORDS - 1 - i) * (WORDS - 1 - i);
    }
    tessera_printf("client: reply label %lu count %lu sum %lu\n", microkit_msginfo_get_label(reply),
                   microkit_msginfo_get_count(reply), microkit_mr_get(0));
    KTEST_CHECK(ok, "ppc-message-registers");

    /* Many calls in a row: every one answered, in order. */
    unsigned good = 0;
    uint64_t started_at = ktest_counter();
    for (unsigned i = 0; i < 1000; i++) {
        microkit_mr_set(0, i);
        reply = microkit_ppcall(SERVER, microkit_msginfo_new(7, 1));
        if (microkit_msginfo_get_label(reply) == 8 && microkit_mr_get(0) == i * 2) {
            good++;
        }
    }
    uint64_t ticks = ktest_counter() - started_at;
    tessera_printf("client: 1000 calls in %lu counter ticks at %lu Hz\n", ticks, ktest_counter_frequency());
    KTEST_CHECK(good == 1000, "ppc-1000-calls");
    ktest_done();
}

void notified(microkit_channel ch)
{
    (void)ch;
}
