/*
 * The virtio example's driver VMM: a Linux guest that drives the real disk (QEMU's virtio-blk,
 * passed through) and serves the block virtualiser through a UIO device (drivers/blk/uio). The
 * VMM's part: the guest's console on the shared serial system, the passed-through disk's
 * interrupt, and the UIO doorbell (the virtualiser's notification raises the UIO interrupt; the
 * server re-enabling it notifies the virtualiser). Everything comes from the generated
 * configuration (examples/virtio/system.py).
 */
#include <guest_images.h>
#include <tessera/printf.h>
#include <vmm/vmm_console.h>
#include <vmm/vmm_doorbell.h>

extern const struct vmm_config vmm_config;
extern const struct serial_client_config serial_client_config;

static struct vmm_guest guest;
static struct vmm_console console;
static struct vmm_doorbells doorbells;

void init(void)
{
    if (!vmm_guest_configure(&guest, &vmm_config) ||
        !vmm_console_attach(&console, &guest, &vmm_config, &serial_client_config) ||
        !vmm_doorbells_attach(&doorbells, &guest, &vmm_config)) {
        return;
    }
    guest_images_attach(&guest);
    vmm_start_guest(&guest);
}

void notified(microkit_channel ch)
{
    if (!vmm_console_notified(&console, ch) && !vmm_doorbells_notified(&doorbells, ch) && !vmm_handle_irq(&guest, ch)) {
        tessera_printf("VMM|%s: unexpected notification on channel %u\n", guest.name, ch);
    }
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    if (child != guest.vcpu) {
        return false;
    }
    return vmm_handle_fault(&guest, msginfo, reply_msginfo);
}
