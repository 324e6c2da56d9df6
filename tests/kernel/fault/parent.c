/* A child PD's fault goes to its parent's fault() entry point, with the faulting address. */
#include "../common/ktest.h"

#define CHILD 3

void init(void)
{
}

void notified(microkit_channel ch)
{
    (void)ch;
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    (void)reply_msginfo;
    uint64_t label = microkit_msginfo_get_label(msginfo);
    uint64_t address = microkit_mr_get(1);
    tessera_printf("parent: child %u faulted: label %lu address 0x%lx pc 0x%lx\n", child, label, address,
                   microkit_mr_get(0));
    KTEST_CHECK(child == CHILD && label == FAULT_VM && address == 0x7000010UL, "child-fault-to-parent");
    microkit_pd_stop(child);
    return false;
}
