/* The VMM configuration check: everything the VMM relies on, before it touches guest memory. */
#include <vmm/vmm_config.h>

static bool terminated(const char *text, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        if (text[i] == '\0') {
            return true;
        }
    }
    return false;
}

static bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a < b + b_size && b < a + a_size;
}

static bool is_spi(uint32_t intid)
{
    return intid >= 32 && intid < 1020;
}

/* Whether doorbell `self`'s INTID is another device's: a virtio device, a passthrough, an earlier doorbell. */
static bool intid_taken(const struct vmm_config *c, uint32_t intid, unsigned self)
{
    for (unsigned i = 0; i < c->virtio_count && i < VMM_CONFIG_MAX_VIRTIO; i++) {
        if (c->virtio[i].intid == intid) {
            return true;
        }
    }
    for (unsigned i = 0; i < c->passthrough_count && i < VMM_CONFIG_MAX_PASSTHROUGH; i++) {
        if (c->passthrough[i].intid == intid) {
            return true;
        }
    }
    for (unsigned i = 0; i < self; i++) {
        if (c->doorbells[i].intid == intid) {
            return true;
        }
    }
    return false;
}

static bool check_ram(const struct vmm_config *c, struct tessera_config_error *error)
{
    uint64_t end;
    if (c->ram_size == 0 || c->ram_size % VMM_CONFIG_RAM_ALIGN != 0) {
        return tessera_config_fail(error, 0, 0, "ram_size", "must be a non-zero multiple of 2 MiB");
    }
    if (c->ram_gpa % VMM_CONFIG_RAM_ALIGN != 0 || __builtin_add_overflow(c->ram_gpa, c->ram_size, &end)) {
        return tessera_config_fail(error, 0, 0, "ram_gpa", "must be 2 MiB aligned with RAM below 2^64");
    }
    if (c->ram_vaddr == 0 || c->ram_vaddr % VMM_CONFIG_RAM_ALIGN != 0 ||
        __builtin_add_overflow(c->ram_vaddr, c->ram_size, &end)) {
        return tessera_config_fail(error, 0, 0, "ram_vaddr", "must be a 2 MiB aligned mapping of guest RAM");
    }
    return true;
}

static bool check_virtio(const struct vmm_config *c, unsigned i, struct tessera_config_error *error)
{
    const struct vmm_virtio_config *v = &c->virtio[i];
    uint64_t end;
    if (v->device_id == 0) {
        return tessera_config_fail(error, "virtio", i, "device_id", "is 0 (no device)");
    }
    if (v->size < VMM_CONFIG_VIRTIO_ALIGN || v->gpa % VMM_CONFIG_VIRTIO_ALIGN != 0 ||
        __builtin_add_overflow(v->gpa, v->size, &end)) {
        return tessera_config_fail(error, "virtio", i, "gpa", "must be a 0x200-aligned window of at least 0x200");
    }
    if (overlaps(v->gpa, v->size, c->ram_gpa, c->ram_size)) {
        return tessera_config_fail(error, "virtio", i, "gpa", "overlaps guest RAM");
    }
    if (!is_spi(v->intid)) {
        return tessera_config_fail(error, "virtio", i, "intid", "must be an SPI (32..1019)");
    }
    for (unsigned j = 0; j < i; j++) {
        if (overlaps(v->gpa, v->size, c->virtio[j].gpa, c->virtio[j].size)) {
            return tessera_config_fail(error, "virtio", i, "gpa", "overlaps an earlier virtio device");
        }
        if (v->intid == c->virtio[j].intid) {
            return tessera_config_fail(error, "virtio", i, "intid", "is an earlier virtio device's too");
        }
    }
    for (unsigned j = 0; j < c->passthrough_count; j++) {
        if (v->intid == c->passthrough[j].intid) {
            return tessera_config_fail(error, "virtio", i, "intid", "is a passed-through interrupt's too");
        }
    }
    return true;
}

static bool panic_device_fits(const struct vmm_config *c)
{
    uint64_t end;
    if (__builtin_add_overflow(c->panic_gpa, VMM_CONFIG_PANIC_SIZE, &end) ||
        overlaps(c->panic_gpa, VMM_CONFIG_PANIC_SIZE, c->ram_gpa, c->ram_size)) {
        return false;
    }
    for (unsigned i = 0; i < c->virtio_count && i < VMM_CONFIG_MAX_VIRTIO; i++) {
        if (overlaps(c->panic_gpa, VMM_CONFIG_PANIC_SIZE, c->virtio[i].gpa, c->virtio[i].size)) {
            return false;
        }
    }
    return true;
}

bool vmm_config_check(const struct vmm_config *c, tessera_has_channel_fn has_channel,
                      struct tessera_config_error *error)
{
    if (c->magic != VMM_CONFIG_MAGIC) {
        return tessera_config_fail(error, 0, 0, "magic", "is not a VMM configuration's (built for another PD?)");
    }
    if (c->version != VMM_CONFIG_VERSION) {
        return tessera_config_fail(error, 0, 0, "version", "differs from the version this VMM was built for");
    }
    if (c->guest_name[0] == '\0' || !terminated(c->guest_name, sizeof(c->guest_name))) {
        return tessera_config_fail(error, 0, 0, "guest_name", "must be a non-empty string");
    }
    if (!terminated(c->bootargs, sizeof(c->bootargs))) {
        return tessera_config_fail(error, 0, 0, "bootargs", "is not NUL-terminated");
    }
    if (!check_ram(c, error)) {
        return false;
    }
    if (c->gicd_probe_vaddr == 0) {
        return tessera_config_fail(error, 0, 0, "gicd_probe_vaddr", "is 0: the distributor is not mapped");
    }
    if (overlaps(c->gicd_gpa, 0x10000, c->ram_gpa, c->ram_size)) {
        return tessera_config_fail(error, 0, 0, "gicd_gpa", "overlaps guest RAM");
    }
    if (c->passthrough_count > VMM_CONFIG_MAX_PASSTHROUGH) {
        return tessera_config_fail(error, 0, 0, "passthrough_count", "is more than VMM_CONFIG_MAX_PASSTHROUGH");
    }
    for (unsigned i = 0; i < c->passthrough_count; i++) {
        if (!is_spi(c->passthrough[i].intid)) {
            return tessera_config_fail(error, "passthrough", i, "intid", "must be an SPI (32..1019)");
        }
        if (!has_channel(c->passthrough[i].channel)) {
            return tessera_config_fail(error, "passthrough", i, "channel", "is not an IRQ of this PD");
        }
    }
    if (c->virtio_count > VMM_CONFIG_MAX_VIRTIO) {
        return tessera_config_fail(error, 0, 0, "virtio_count", "is more than VMM_CONFIG_MAX_VIRTIO");
    }
    for (unsigned i = 0; i < c->virtio_count; i++) {
        if (!check_virtio(c, i, error)) {
            return false;
        }
    }
    if (c->doorbell_count > VMM_CONFIG_MAX_DOORBELLS) {
        return tessera_config_fail(error, 0, 0, "doorbell_count", "is more than VMM_CONFIG_MAX_DOORBELLS");
    }
    for (unsigned i = 0; i < c->doorbell_count; i++) {
        const struct vmm_doorbell_config *d = &c->doorbells[i];
        if (!is_spi(d->intid) || intid_taken(c, d->intid, i)) {
            return tessera_config_fail(error, "doorbells", i, "intid", "must be an SPI no other device uses");
        }
        if (!has_channel(d->channel)) {
            return tessera_config_fail(error, "doorbells", i, "channel", "is not a channel of this PD");
        }
    }
    if (c->panic_gpa != 0 && !panic_device_fits(c)) {
        return tessera_config_fail(error, 0, 0, "panic_gpa", "must lie outside guest RAM and every virtio window");
    }
    if (c->stop_watcher_count > VMM_CONFIG_MAX_STOP_WATCHERS) {
        return tessera_config_fail(error, 0, 0, "stop_watcher_count", "is more than VMM_CONFIG_MAX_STOP_WATCHERS");
    }
    for (unsigned i = 0; i < c->stop_watcher_count; i++) {
        if (!has_channel(c->stop_watchers[i])) {
            return tessera_config_fail(error, 0, 0, "stop_watchers", "holds a channel this PD does not have");
        }
    }
    return true;
}

const struct vmm_virtio_config *vmm_config_virtio(const struct vmm_config *c, uint32_t device_id)
{
    for (unsigned i = 0; i < c->virtio_count && i < VMM_CONFIG_MAX_VIRTIO; i++) {
        if (c->virtio[i].device_id == device_id) {
            return &c->virtio[i];
        }
    }
    return 0;
}
