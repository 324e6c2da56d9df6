/*
 * The console example's client VMM: one Linux guest whose console is a virtio console (hvc0),
 * wired to the serial virtualisers. One program for every client; each PD's guest (name, RAM,
 * the console's window and interrupt, the serial queues and channels) comes from its generated
 * configuration (examples/console/system.py).
 */
#include <guest_images.h>
#include <serial/serial_config.h>
#include <tessera/printf.h>
#include <vmm/virtio_console.h>
#include <vmm/vmm.h>
#include <vmm/vmm_config.h>

extern const struct vmm_config vmm_config;
extern const struct serial_client_config serial_client_config;
static const struct serial_client_config *const serial = &serial_client_config;

static struct vmm_guest guest;
static struct guest_ram ram;
static struct serial_queue_handle tx, rx;
static struct virtio_console console;

static void flush_console(void *context)
{
    virtio_console_flush_tx(context);
}

static bool queue_of(struct serial_queue_handle *h, const struct serial_connection *c)
{
    return serial_queue_init(h, (struct serial_queue *)c->queue, (char *)c->data, (uint32_t)c->data_size);
}

void init(void)
{
    if (!vmm_guest_configure(&guest, &vmm_config)) {
        return;
    }
    struct tessera_config_error error;
    if (!serial_config_check_client(serial, tessera_has_channel, &error)) {
        tessera_config_report("serial_client_config", &error);
        return;
    }
    const struct vmm_virtio_config *device = vmm_config_virtio(&vmm_config, VIRTIO_ID_CONSOLE);
    if (device == NULL || !queue_of(&tx, &serial->tx) || !queue_of(&rx, &serial->rx)) {
        tessera_printf("VMM|%s: cannot boot: the description gives this VMM no virtio console\n", guest.name);
        return;
    }
    guest_images_attach(&guest);
    ram = (struct guest_ram){guest.ram_gpa, guest.ram_size, guest.ram_vaddr};
    if (!virtio_console_init(&console, &ram, &tx, &rx, serial->tx.channel, serial->rx.channel) ||
        !vmm_register_virtio(&guest, device->gpa, device->intid, &console.transport)) {
        tessera_printf("VMM|%s: cannot boot: the virtio console could not be registered\n", guest.name);
        return;
    }
    virtio_console_set_tx_batching(&console, true);
    guest.on_tick = flush_console;
    guest.on_tick_context = &console;
    vmm_start_guest(&guest);
}

void notified(microkit_channel ch)
{
    if (ch == serial->tx.channel) {
        virtio_console_tx_notified(&console);
    } else if (ch == serial->rx.channel) {
        virtio_console_rx_notified(&console);
    } else {
        tessera_printf("VMM|%s: unexpected notification on channel %u\n", guest.name, ch);
    }
}

bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo)
{
    if (child != guest.vcpu) {
        return false;
    }
    return vmm_handle_fault(&guest, msginfo, reply_msginfo);
}
