/* The `simple` example's VMM: one Linux guest (hostname `guest`) with the UART passed through.
 * The guest, its RAM and the UART's interrupt come from the generated configuration
 * (examples/simple/system.py). */
#include <tessera/printf.h>
#include <vmm/vmm.h>
#include <vmm/vmm_config.h>
#include <guest_images.h>

extern const struct vmm_config vmm_config;

static struct vmm_guest guest;

void init(void)
{
    if (!vmm_guest_configure(&guest, &vmm_config)) {
        return;
    }
    guest_images_attach(&guest);
    vmm_start_guest(&guest);
}

void notified(microkit_channel ch)
{
    if (!vmm_handle_irq(&guest, ch)) {
        tessera_printf("VMM|unexpected notification on channel %u\n", ch);
    }
}

seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    if (child != guest.vcpu) {
        return false;
    }
    bool resume = vmm_handle_fault(&guest, msginfo, reply_msginfo);
    if (guest.powered_off) {
        /* The only guest is off: turn the machine off too, as a real computer would. */
        tessera_printf("VMM|guest: powered off; stopping the system\n");
        tessera_debug_poweroff();
    }
    return resume;
}
