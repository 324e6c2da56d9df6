/* A VMM's guest described by its generated configuration (the glue side: it reports on the
 * console; the check itself is portable, in vmm_config.c). */
#include <tessera/printf.h>
#include <vmm/vmm.h>
#include <vmm/vmm_config.h>

bool vmm_guest_configure(struct vmm_guest *guest, const struct vmm_config *config)
{
    struct tessera_config_error error;
    if (!vmm_config_check(config, tessera_has_channel, &error)) {
        tessera_config_report("vmm_config", &error);
        return false;
    }
    guest->name = config->guest_name;
    guest->bootargs = config->bootargs;
    guest->vcpu = config->vcpu;
    guest->ram_gpa = config->ram_gpa;
    guest->ram_size = config->ram_size;
    guest->ram_vaddr = config->ram_vaddr;
    guest->gicd_gpa = config->gicd_gpa;
    guest->gicr_gpa = config->gicr_gpa;
    guest->gicd_probe_vaddr = config->gicd_probe_vaddr;
    for (unsigned i = 0; i < config->passthrough_count; i++) {
        if (i >= VMM_MAX_PASSTHROUGH) {
            tessera_printf("VMM|%s: more passthrough interrupts than VMM_MAX_PASSTHROUGH\n", guest->name);
            return false;
        }
        guest->passthrough[i] =
            (struct vmm_passthrough_irq){config->passthrough[i].intid, config->passthrough[i].channel};
    }
    guest->passthrough_count = config->passthrough_count;
    guest->stop_watchers = config->stop_watchers;
    guest->stop_watcher_count = config->stop_watcher_count;
    guest->panic_gpa = config->panic_gpa;
    return true;
}
