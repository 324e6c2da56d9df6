/*
 * The console example's client VMM: one Linux guest whose console is a virtio console (hvc0),
 * wired to the serial virtualisers. One program for every client: the guest's hostname comes
 * from the PD's name in the .system file ("client_vmm_2" boots "client2").
 * Channels: 1 the TX virtualiser, 2 the RX virtualiser.
 */
#include <tessera/printf.h>
#include <vmm/virtio_console.h>
#include <vmm/vmm.h>
#include "../common/guest_images.h"

#define GUEST_VCPU      0
#define SERIAL_TX_CH    1
#define SERIAL_RX_CH    2
#define CONSOLE_GPA     0xa000000UL /* the guest's device tree says the same */
#define CONSOLE_INTID   48          /* SPI 16, level */
#define BOOTARGS_LENGTH 128

/* Patched from the .system file. */
uint64_t guest_ram_vaddr __attribute__((section(".data"))) = 0;
uint64_t gicd_probe_vaddr __attribute__((section(".data"))) = 0;
uint64_t tx_queue __attribute__((section(".data"))) = 0;
uint64_t tx_data __attribute__((section(".data"))) = 0;
uint64_t tx_data_size __attribute__((section(".data"))) = 0;
uint64_t rx_queue __attribute__((section(".data"))) = 0;
uint64_t rx_data __attribute__((section(".data"))) = 0;
uint64_t rx_data_size __attribute__((section(".data"))) = 0;

static struct vmm_guest guest = {
    .vcpu = GUEST_VCPU,
    .ram_gpa = 0x40000000UL,
    .ram_size = 0x8000000UL,
};
static char hostname[32];
static char bootargs[BOOTARGS_LENGTH];
static struct guest_ram ram;
static struct serial_queue_handle tx, rx;
static struct virtio_console console;

static void flush_console(void *context)
{
    virtio_console_flush_tx(context);
}

/* "client_vmm_<N>" -> "client<N>"; any other name is used as it is. */
static void derive_hostname(void)
{
    const char *prefix = "client_vmm_";
    unsigned i = 0;
    while (prefix[i] != '\0' && microkit_name[i] == prefix[i]) {
        i++;
    }
    const char *rest = prefix[i] == '\0' ? microkit_name + i : microkit_name;
    unsigned n = 0;
    if (rest != microkit_name) {
        for (const char *p = "client"; *p != '\0'; p++) {
            hostname[n++] = *p;
        }
    }
    for (const char *p = rest; *p != '\0' && n + 1 < sizeof(hostname); p++) {
        hostname[n++] = *p;
    }
    hostname[n] = '\0';
}

static void append(char *out, unsigned *n, const char *text)
{
    while (*text != '\0' && *n + 1 < BOOTARGS_LENGTH) {
        out[(*n)++] = *text++;
    }
    out[*n] = '\0';
}

void init(void)
{
    derive_hostname();
    unsigned n = 0;
    append(bootargs, &n, "console=hvc0 tessera.hostname=");
    append(bootargs, &n, hostname);
    guest.name = hostname;
    guest.bootargs = bootargs;
    guest.ram_vaddr = guest_ram_vaddr;
    guest_images_attach(&guest);
    guest.gicd_probe_vaddr = gicd_probe_vaddr;

    if (!serial_queue_init(&tx, (struct serial_queue *)tx_queue, (char *)tx_data, (uint32_t)tx_data_size) ||
        !serial_queue_init(&rx, (struct serial_queue *)rx_queue, (char *)rx_data, (uint32_t)rx_data_size)) {
        tessera_printf("VMM|%s: cannot boot: the .system file must map tx/rx queues and data regions (a power of "
                       "two in size)\n",
                       hostname);
        return;
    }
    ram = (struct guest_ram){guest.ram_gpa, guest.ram_size, guest.ram_vaddr};
    if (!virtio_console_init(&console, &ram, &tx, &rx, SERIAL_TX_CH, SERIAL_RX_CH) ||
        !vmm_register_virtio(&guest, CONSOLE_GPA, CONSOLE_INTID, &console.transport)) {
        tessera_printf("VMM|%s: cannot boot: the virtio console could not be registered\n", hostname);
        return;
    }
    virtio_console_set_tx_batching(&console, true);
    guest.on_tick = flush_console;
    guest.on_tick_context = &console;
    vmm_start_guest(&guest);
}

void notified(microkit_channel ch)
{
    switch (ch) {
    case SERIAL_TX_CH:
        virtio_console_tx_notified(&console);
        break;
    case SERIAL_RX_CH:
        virtio_console_rx_notified(&console);
        break;
    default:
        tessera_printf("VMM|%s: unexpected notification on channel %u\n", hostname, ch);
        break;
    }
}

bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    if (child != GUEST_VCPU) {
        return false;
    }
    return vmm_handle_fault(&guest, msginfo, reply_msginfo);
}
