#include "../common/ktest.h"

void init(void)
{
}

void notified(microkit_channel ch)
{
    (void)ch;
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
    if (ch != 3) {
        tessera_printf("TEST|FAIL ppc: call on channel %u, expected 3\n", ch);
    }
    uint64_t label = microkit_msginfo_get_label(msginfo);
    uint64_t count = microkit_msginfo_get_count(msginfo);
    if (label == 7) {
        microkit_mr_set(0, microkit_mr_get(0) * 2);
        return microkit_msginfo_new(8, 1);
    }
    uint64_t words[64];
    uint64_t sum = 0;
    for (unsigned i = 0; i < count; i++) {
        words[i] = microkit_mr_get((uint8_t)i);
        sum += words[i];
    }
    microkit_mr_set(0, sum);
    for (unsigned i = 0; i < count; i++) {
        microkit_mr_set((uint8_t)(1 + i), words[count - 1 - i]);
    }
    return microkit_msginfo_new(label + 1, (uint16_t)(count + 1));
}
