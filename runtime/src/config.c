/* The PD side of typed configurations: channel ownership and the report of a bad field. */
#include <microkit.h>
#include <tessera/config.h>
#include <tessera/printf.h>

bool tessera_has_channel(unsigned id)
{
    if (id >= MICROKIT_MAX_CHANNELS) {
        return false;
    }
    return ((microkit_notifications >> id) & 1) || ((microkit_irqs >> id) & 1);
}

void tessera_config_report(const char *config_name, const struct tessera_config_error *error)
{
    if (error->array != 0) {
        tessera_printf("%s: configuration error: %s.%s[%u].%s %s\n", microkit_name, config_name, error->array,
                       error->index, error->field, error->problem);
    } else {
        tessera_printf("%s: configuration error: %s.%s %s\n", microkit_name, config_name, error->field, error->problem);
    }
}
