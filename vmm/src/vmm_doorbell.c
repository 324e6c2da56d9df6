/* Doorbells: a notification raises a level SPI; the guest enabling the SPI lowers it and answers. */
#include <tessera/printf.h>
#include <vmm/notify.h>
#include <vmm/vmm_doorbell.h>

static bool bell_up(void *context)
{
    return *(bool *)context;
}

/* The guest enabled an SPI: if it is a doorbell's, that is the guest ringing back. */
static void guest_enabled(void *context, unsigned irq)
{
    struct vmm_doorbells *d = context;
    for (unsigned i = 0; i < d->count; i++) {
        if (d->bells[i].intid == irq) {
            d->bells[i].up = false;
            vgic_withdraw(&d->guest->vgic, irq); /* the line fell before it was delivered */
            vmm_notify(d->bells[i].channel);
        }
    }
}

bool vmm_doorbells_attach(struct vmm_doorbells *d, struct vmm_guest *guest, const struct vmm_config *config)
{
    d->guest = guest;
    d->count = 0;
    for (unsigned i = 0; i < config->doorbell_count && i < VMM_CONFIG_MAX_DOORBELLS; i++) {
        d->bells[i].intid = config->doorbells[i].intid;
        d->bells[i].channel = config->doorbells[i].channel;
        d->bells[i].up = false;
        if (!vmm_register_virq(guest, d->bells[i].intid, bell_up, &d->bells[i].up)) {
            tessera_printf("VMM|%s: cannot boot: doorbell interrupt %u could not be registered\n", guest->name,
                           d->bells[i].intid);
            return false;
        }
        d->count++;
    }
    guest->on_irq_enable = guest_enabled;
    guest->on_irq_enable_context = d;
    return true;
}

bool vmm_doorbells_notified(struct vmm_doorbells *d, unsigned ch)
{
    bool rang = false;
    for (unsigned i = 0; i < d->count; i++) {
        if (d->bells[i].channel == ch) {
            d->bells[i].up = true;
            vmm_virq_update(d->guest, d->bells[i].intid);
            rang = true;
        }
    }
    return rang;
}
