/* A passive PPC server, written as Microkit code is: seL4 types, the struct msginfo, and every
 * one of the 64 message registers, reversed and each plus one. It uses FP too (its own values). */
#include <sel4/sel4.h>
#include <microkit.h>
#include "common.h"

static volatile double scale = 0.5;

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
    seL4_Word count = microkit_msginfo_get_count(msginfo);
    if (ch != 5 || microkit_msginfo_get_label(msginfo) != ECHO_LABEL || count != ECHO_WORDS) {
        microkit_dbg_puts("echo: unexpected call\n");
        return seL4_MessageInfo_new(0, 0, 0, 0);
    }
    seL4_Word words[ECHO_WORDS];
    for (seL4_Word i = 0; i < count; i++) {
        words[i] = seL4_GetMR((int)i);
    }
    for (seL4_Word i = 0; i < count; i++) {
        seL4_SetMR((int)i, words[count - 1 - i] + 1);
    }
    /* FP in the server: 64 * 0.5 = 32 in MR0's place would be wrong, so it goes in the label. */
    double product = (double)count * scale;
    return seL4_MessageInfo_new(ECHO_LABEL + (seL4_Word)product, 0, 0, count);
}

void init(void)
{
    microkit_dbg_puts("echo: ready\n");
}

void notified(microkit_channel ch)
{
    (void)ch;
}
