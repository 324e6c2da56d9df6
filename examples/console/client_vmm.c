/*
 * The console example's client VMM: one Linux guest whose console is a virtio console (hvc0),
 * wired to the serial virtualisers. One program for every client; each PD's guest (name, RAM,
 * the console's window and interrupt, the serial queues and channels) comes from its generated
 * configuration (examples/console/system.py).
 */
#include <guest_images.h>
#include <tessera/printf.h>
#include <vmm/vmm_console.h>

extern const struct vmm_config vmm_config;
extern const struct serial_client_config serial_client_config;

static struct vmm_guest guest;
static struct vmm_console console;

void init(void)
{
    if (!vmm_guest_configure(&guest, &vmm_config) ||
        !vmm_console_attach(&console, &guest, &vmm_config, &serial_client_config)) {
        return;
    }
    guest_images_attach(&guest);
    vmm_start_guest(&guest);
}

void notified(microkit_channel ch)
{
    if (!vmm_console_notified(&console, ch)) {
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
