/*
 * What every typed PD configuration shares. tools/sysgen generates one struct per PD and
 * subsystem from the system's description; the PD checks it at start and, when something is
 * wrong, reports the field: "clients[1].data_size" is array "clients", index 1, field
 * "data_size". The checks are portable (host-tested); the runtime prints the report.
 */
#pragma once

#include <stdbool.h>

struct tessera_config_error {
    const char *array; /* NULL: the field is not in an array */
    unsigned index;
    const char *field;
    const char *problem;
};

/* Whether the PD owns channel or IRQ `id` (the runtime's answer in a PD; a test's own). */
typedef bool (*tessera_has_channel_fn)(unsigned id);

static inline bool tessera_config_fail(struct tessera_config_error *error, const char *array, unsigned index,
                                       const char *field, const char *problem)
{
    *error = (struct tessera_config_error){array, index, field, problem};
    return false;
}

/* In PDs (runtime/src/config.c): whether the .system file gave this PD channel or IRQ `id`,
 * and the report "<pd>: configuration error: <config_name>.<field> <problem>". */
bool tessera_has_channel(unsigned id);
void tessera_config_report(const char *config_name, const struct tessera_config_error *error);
