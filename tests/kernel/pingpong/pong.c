#include "../common/ktest.h"

#define PING_CHANNEL 0

static uint64_t received;

void init(void)
{
}

void notified(microkit_channel ch)
{
    if (ch == PING_CHANNEL) {
        received++;
        microkit_notify(PING_CHANNEL);
    }
}

/* ping asks how many notifications pong saw. */
microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
    (void)ch;
    (void)msginfo;
    microkit_mr_set(0, received);
    return microkit_msginfo_new(0, 1);
}
