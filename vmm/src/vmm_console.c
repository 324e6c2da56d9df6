/* A VMM's guest console: the virtio console wired to the serial virtualisers. */
#include <tessera/printf.h>
#include <vmm/vmm_console.h>

static void flush_console(void *context)
{
    virtio_console_flush_tx(context);
}

static bool queue_of(struct serial_queue_handle *h, const struct serial_connection *c)
{
    return serial_queue_init(h, (struct serial_queue *)c->queue, (char *)c->data, (uint32_t)c->data_size);
}

bool vmm_console_attach(struct vmm_console *c, struct vmm_guest *guest, const struct vmm_config *config,
                        const struct serial_client_config *serial)
{
    struct tessera_config_error error;
    if (!serial_config_check_client(serial, tessera_has_channel, &error)) {
        tessera_config_report("serial_client_config", &error);
        return false;
    }
    const struct vmm_virtio_config *device = vmm_config_virtio(config, VIRTIO_ID_CONSOLE);
    if (device == NULL || !queue_of(&c->tx, &serial->tx) || !queue_of(&c->rx, &serial->rx)) {
        tessera_printf("VMM|%s: cannot boot: the description gives this VMM no virtio console\n", guest->name);
        return false;
    }
    c->serial = serial;
    c->ram = (struct guest_ram){guest->ram_gpa, guest->ram_size, guest->ram_vaddr};
    if (!virtio_console_init(&c->device, &c->ram, &c->tx, &c->rx, serial->tx.channel, serial->rx.channel) ||
        !vmm_register_virtio(guest, device->gpa, device->intid, &c->device.transport)) {
        tessera_printf("VMM|%s: cannot boot: the virtio console could not be registered\n", guest->name);
        return false;
    }
    virtio_console_set_tx_batching(&c->device, true);
    guest->on_tick = flush_console;
    guest->on_tick_context = &c->device;
    return true;
}

bool vmm_console_notified(struct vmm_console *c, unsigned ch)
{
    if (c->serial == NULL) {
        return false;
    }
    if (ch == c->serial->tx.channel) {
        virtio_console_tx_notified(&c->device);
        return true;
    }
    if (ch == c->serial->rx.channel) {
        virtio_console_rx_notified(&c->device);
        return true;
    }
    return false;
}
