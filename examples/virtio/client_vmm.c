/*
 * The virtio example's client VMM: one Linux guest with a virtio console (hvc0) on the shared
 * serial system and a virtio block device (/dev/vda) on its partition of the shared disk,
 * through the block virtualiser. One program for every client; each PD's guest (name, RAM, both
 * devices' windows and interrupts, the queues and channels) comes from its generated
 * configuration (examples/virtio/system.py).
 */
#include <guest_images.h>
#include <tessera/printf.h>
#include <vmm/virtio_blk.h>
#include <vmm/vmm_console.h>

extern const struct vmm_config vmm_config;
extern const struct serial_client_config serial_client_config;
extern const struct blk_client_config blk_client_config;

static struct vmm_guest guest;
static struct vmm_console console;
static struct guest_ram ram;
static struct virtio_blk disk;

static bool attach_disk(void)
{
    struct tessera_config_error error;
    if (!blk_config_check_client(&blk_client_config, tessera_has_channel, &error)) {
        tessera_config_report("blk_client_config", &error);
        return false;
    }
    const struct vmm_virtio_config *device = vmm_config_virtio(&vmm_config, VIRTIO_ID_BLOCK);
    ram = (struct guest_ram){guest.ram_gpa, guest.ram_size, guest.ram_vaddr};
    if (device == NULL || !virtio_blk_init(&disk, &ram, &blk_client_config) ||
        !vmm_register_virtio(&guest, device->gpa, device->intid, &disk.transport)) {
        tessera_printf("VMM|%s: cannot boot: the virtio block device could not be set up\n", guest.name);
        return false;
    }
    return true;
}

void init(void)
{
    if (!vmm_guest_configure(&guest, &vmm_config) ||
        !vmm_console_attach(&console, &guest, &vmm_config, &serial_client_config) || !attach_disk()) {
        return;
    }
    guest_images_attach(&guest);
    vmm_start_guest(&guest);
}

void notified(microkit_channel ch)
{
    if (ch == blk_client_config.virt.channel) {
        virtio_blk_notified(&disk);
    } else if (!vmm_console_notified(&console, ch)) {
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
