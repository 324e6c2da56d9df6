/*
 * Doorbells between a guest and peer PDs (vmm_config's doorbells; the driver VM's UIO device):
 * the peer's notification raises a level SPI in the guest; the guest answers by enabling that
 * SPI at its distributor (uio_pdrv_genirq does so when the program writes 1 to /dev/uioN), which
 * lowers the line and notifies the peer.
 */
#pragma once

#include <vmm/vmm.h>
#include <vmm/vmm_config.h>

struct vmm_doorbells {
    struct vmm_guest *guest;
    unsigned count;
    struct {
        unsigned intid;
        unsigned channel;
        bool up;
    } bells[VMM_CONFIG_MAX_DOORBELLS];
};

/* Register the configuration's doorbells with the guest (before vmm_start_guest). */
bool vmm_doorbells_attach(struct vmm_doorbells *d, struct vmm_guest *guest, const struct vmm_config *config);
/* A notification on `ch`: true if it rang one of the doorbells. */
bool vmm_doorbells_notified(struct vmm_doorbells *d, unsigned ch);
