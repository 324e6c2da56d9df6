/* The `simple` example's VMM: one Linux guest (hostname `guest`) with the PL011 passed through. */
#include <tessera/printf.h>
#include <vmm/vmm.h>
#include "../common/guest_images.h"

#define GUEST_VCPU 0
#define UART_IRQ   1 /* channel id of the PL011's interrupt (simple.system) */
#define UART_INTID 33

uint64_t guest_ram_vaddr __attribute__((section(".data"))) = 0;
uint64_t gicd_probe_vaddr __attribute__((section(".data"))) = 0;

static struct vmm_guest guest = {
    .name = "guest",
    .vcpu = GUEST_VCPU,
    .ram_gpa = 0x40000000UL,
    .ram_size = 0x8000000UL,
    .bootargs = "console=ttyAMA0 earlycon=pl011,0x9000000 tessera.hostname=guest",
    .passthrough = {{UART_INTID, UART_IRQ}},
    .passthrough_count = 1,
};

void init(void)
{
    guest.ram_vaddr = guest_ram_vaddr;
    guest_images_attach(&guest);
    guest.gicd_probe_vaddr = gicd_probe_vaddr;
    vmm_start_guest(&guest);
}

void notified(microkit_channel ch)
{
    if (!vmm_handle_irq(&guest, ch)) {
        tessera_printf("VMM|unexpected notification on channel %u\n", ch);
    }
}

bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    if (child != GUEST_VCPU) {
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
