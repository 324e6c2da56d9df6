/*
 * A VMM's guest console on the shared serial system: the virtio console the description gives
 * the VMM (vmm_config), wired to the serial queues and channels of its serial_client_config.
 * The glue every VMM with a console shares.
 */
#pragma once

#include <serial/serial_config.h>
#include <vmm/virtio_console.h>
#include <vmm/vmm.h>
#include <vmm/vmm_config.h>

struct vmm_console {
    struct virtio_console device;
    struct guest_ram ram;
    struct serial_queue_handle tx, rx;
    const struct serial_client_config *serial;
};

/* Check the serial configuration, set up the device and register it with the guest (before
 * vmm_start_guest); false, with a message naming the problem, if that cannot be done. */
bool vmm_console_attach(struct vmm_console *c, struct vmm_guest *guest, const struct vmm_config *config,
                        const struct serial_client_config *serial);
/* A notification on channel `ch`: true if it was one of the console's. */
bool vmm_console_notified(struct vmm_console *c, unsigned ch);
