/*
 * The system image comes from the build tool, but the kernel does not rely on the tool being
 * right: every count is bounded, every index is checked against its count, and every physical
 * range must lie in board RAM or a board device window and never touch the kernel's own memory.
 */
#include <kernel/sysimage_check.h>

/* The error sentence, built piece by piece into the caller's buffer (no libc in the kernel);
 * whatever does not fit is cut, and the text always ends in a NUL. */
struct message {
    char *text;
    unsigned size;
    unsigned length;
};

static void put_text(struct message *m, const char *s)
{
    for (; *s != '\0' && m->length + 1 < m->size; s++) {
        m->text[m->length++] = *s;
    }
    m->text[m->length] = '\0';
}

static void put_number(struct message *m, unsigned value)
{
    char digits[12];
    unsigned count = 0;
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    char digit[2] = {0, 0};
    while (count > 0) {
        digit[0] = digits[--count];
        put_text(m, digit);
    }
}

/* False if there is no room for even the terminating NUL. */
static bool message_start(struct message *m, char *error, unsigned size)
{
    *m = (struct message){error, size, 0};
    if (size == 0) {
        return false;
    }
    error[0] = '\0';
    return true;
}

static void set_error(char *error, unsigned size, const char *prefix, unsigned index, const char *what)
{
    struct message m;
    if (!message_start(&m, error, size)) {
        return;
    }
    put_text(&m, prefix);
    put_number(&m, index);
    put_text(&m, ": ");
    put_text(&m, what);
}

static bool ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a < b + b_size && b < a + a_size;
}

/* [base, base + size) without wrap, inside RAM or one device window, clear of the kernel. */
static bool physical_range_ok(const struct sysimage_board *board, uint64_t base, uint64_t size, bool ram_only)
{
    uint64_t end;
    if (size == 0 || __builtin_add_overflow(base, size, &end)) {
        return false;
    }
    if (ranges_overlap(base, size, board->kernel_base, board->kernel_size) ||
        ranges_overlap(base, size, board->sysimage_base, board->sysimage_size)) {
        return false;
    }
    if (base >= board->ram_base && end <= board->ram_base + board->ram_size) {
        return true;
    }
    if (ram_only) {
        return false;
    }
    for (unsigned i = 0; i < board->device_range_count; i++) {
        if (base >= board->device_ranges[i][0] && end <= board->device_ranges[i][1]) {
            return true;
        }
    }
    return false;
}

/* The first slot before PD `pd`'s id `id` (in image order: PDs, then ids) that is an IRQ with
 * the same INTID. Bounded: at most SYSIMAGE_MAX_PDS * SYSIMAGE_IDS slots per call. */
static bool earlier_irq(const struct sysimage *image, unsigned pd, unsigned id, unsigned *first_pd, unsigned *first_id)
{
    uint16_t intid = image->pds[pd].ids[id].intid;
    for (unsigned q = 0; q <= pd; q++) {
        unsigned end = q == pd ? id : SYSIMAGE_IDS;
        for (unsigned j = 0; j < end; j++) {
            const struct sysimage_id *slot = &image->pds[q].ids[j];
            if (slot->kind == SYSIMAGE_ID_IRQ && slot->intid == intid) {
                *first_pd = q;
                *first_id = j;
                return true;
            }
        }
    }
    return false;
}

/* The kernel routes each INTID to exactly one PD id (irq_register asserts it): a second use is
 * refused here with both uses named, so a bad image stops the boot with a sentence. */
static bool irq_unique(const struct sysimage *image, unsigned pd, unsigned id, char *error, unsigned error_size)
{
    unsigned first_pd, first_id;
    struct message m;
    if (!earlier_irq(image, pd, id, &first_pd, &first_id)) {
        return true;
    }
    if (message_start(&m, error, error_size)) {
        put_text(&m, "PD ");
        put_number(&m, pd);
        put_text(&m, ": IRQ ");
        put_number(&m, image->pds[pd].ids[id].intid);
        put_text(&m, " (id ");
        put_number(&m, id);
        put_text(&m, ") is already given to PD ");
        put_number(&m, first_pd);
        put_text(&m, " (id ");
        put_number(&m, first_id);
        put_text(&m, ")");
    }
    return false;
}

static bool map_slice_ok(uint32_t first, uint32_t count, uint32_t total)
{
    uint32_t end;
    return !__builtin_add_overflow(first, count, &end) && end <= total;
}

static bool name_ok(const char *name)
{
    for (unsigned i = 0; i < SYSIMAGE_NAME_LEN; i++) {
        if (name[i] == '\0') {
            return i > 0;
        }
    }
    return false;
}

static bool check_pd(const struct sysimage *image, const struct sysimage_board *board, unsigned index, char *error,
                     unsigned error_size)
{
    const struct sysimage_pd *pd = &image->pds[index];
    if (!name_ok(pd->name)) {
        set_error(error, error_size, "PD ", index, "name is empty or not NUL-terminated");
        return false;
    }
    if (pd->priority > 254) {
        set_error(error, error_size, "PD ", index, "priority above 254");
        return false;
    }
    if (pd->period_us == 0 || pd->budget_us == 0 || pd->budget_us > pd->period_us) {
        set_error(error, error_size, "PD ", index, "budget must be non-zero and at most the period");
        return false;
    }
    if (!map_slice_ok(pd->map_first, pd->map_count, image->map_count)) {
        set_error(error, error_size, "PD ", index, "map slice outside the map table");
        return false;
    }
    if (pd->parent != SYSIMAGE_NONE &&
        (pd->parent >= image->pd_count || pd->parent == index || pd->id_in_parent >= SYSIMAGE_CHILD_IDS)) {
        set_error(error, error_size, "PD ", index, "bad parent");
        return false;
    }
    if (!physical_range_ok(board, pd->ipc_buffer_paddr, 4096, true) || (pd->ipc_buffer_paddr & 4095) != 0 ||
        (pd->ipc_buffer & 4095) != 0) {
        set_error(error, error_size, "PD ", index, "IPC buffer not a page of RAM");
        return false;
    }
    for (unsigned id = 0; id < SYSIMAGE_IDS; id++) {
        const struct sysimage_id *slot = &pd->ids[id];
        if (slot->kind == SYSIMAGE_ID_CHANNEL) {
            if (slot->peer_pd >= image->pd_count || slot->peer_id >= SYSIMAGE_IDS) {
                set_error(error, error_size, "PD ", index, "channel to an unknown PD or id");
                return false;
            }
            const struct sysimage_id *peer = &image->pds[slot->peer_pd].ids[slot->peer_id];
            if (peer->kind != SYSIMAGE_ID_CHANNEL || peer->peer_pd != index || peer->peer_id != id) {
                set_error(error, error_size, "PD ", index, "channel ends do not match");
                return false;
            }
            if ((slot->flags & SYSIMAGE_CH_PPC) && image->pds[slot->peer_pd].priority <= pd->priority) {
                set_error(error, error_size, "PD ", index, "pp channel to a PD of equal or lower priority");
                return false;
            }
        } else if (slot->kind == SYSIMAGE_ID_IRQ) {
            if (slot->intid < 32 || slot->intid > board->max_intid) {
                set_error(error, error_size, "PD ", index, "IRQ is not an SPI of this board");
                return false;
            }
            if (!irq_unique(image, index, id, error, error_size)) {
                return false;
            }
        } else if (slot->kind != SYSIMAGE_ID_UNUSED) {
            set_error(error, error_size, "PD ", index, "unknown id kind");
            return false;
        }
    }
    for (unsigned id = 0; id < SYSIMAGE_CHILD_IDS; id++) {
        const struct sysimage_child *child = &pd->children[id];
        if (child->kind == SYSIMAGE_CHILD_PD) {
            if (child->index >= image->pd_count || image->pds[child->index].parent != index ||
                image->pds[child->index].id_in_parent != id) {
                set_error(error, error_size, "PD ", index, "child PD entry inconsistent");
                return false;
            }
        } else if (child->kind == SYSIMAGE_CHILD_VCPU) {
            if (child->index >= image->vcpu_count || image->vms[image->vcpus[child->index].vm].owner_pd != index ||
                image->vcpus[child->index].id != id) {
                set_error(error, error_size, "PD ", index, "vCPU entry inconsistent");
                return false;
            }
        } else if (child->kind != SYSIMAGE_CHILD_UNUSED) {
            set_error(error, error_size, "PD ", index, "unknown child kind");
            return false;
        }
    }
    return true;
}

bool sysimage_check(const struct sysimage *image, const struct sysimage_board *board, char *error, unsigned error_size)
{
    if (image->magic != SYSIMAGE_MAGIC) {
        set_error(error, error_size, "header ", 0, "no system image (bad magic)");
        return false;
    }
    if (image->version != SYSIMAGE_VERSION) {
        set_error(error, error_size, "header ", image->version, "unsupported system image version");
        return false;
    }
    if (image->board_id != board->board_id) {
        set_error(error, error_size, "header ", image->board_id, "system image built for another board");
        return false;
    }
    if (image->pd_count == 0 || image->pd_count > SYSIMAGE_MAX_PDS || image->vm_count > SYSIMAGE_MAX_VMS ||
        image->vcpu_count > SYSIMAGE_MAX_VCPUS || image->map_count > SYSIMAGE_MAX_MAPS ||
        image->zero_count > SYSIMAGE_MAX_ZEROS) {
        set_error(error, error_size, "header ", 0, "a count is zero or above its maximum");
        return false;
    }
    for (unsigned i = 0; i < image->map_count; i++) {
        const struct sysimage_map *map = &image->maps[i];
        uint64_t end;
        if ((map->vaddr & 4095) != 0 || (map->paddr & 4095) != 0 || (map->size & 4095) != 0 ||
            __builtin_add_overflow(map->vaddr, map->size, &end) || end > (1UL << 40)) {
            set_error(error, error_size, "map ", i, "not page-aligned or beyond the 40-bit address space");
            return false;
        }
        if (!physical_range_ok(board, map->paddr, map->size, false)) {
            set_error(error, error_size, "map ", i, "physical range outside RAM and devices, or over the kernel");
            return false;
        }
        if ((map->attrs & ~(uint32_t)(SYSIMAGE_MAP_R | SYSIMAGE_MAP_W | SYSIMAGE_MAP_X | SYSIMAGE_MAP_CACHED)) != 0 ||
            !(map->attrs & SYSIMAGE_MAP_R)) {
            set_error(error, error_size, "map ", i, "bad permissions");
            return false;
        }
    }
    for (unsigned i = 0; i < image->zero_count; i++) {
        if (!physical_range_ok(board, image->zeros[i].paddr, image->zeros[i].size, true)) {
            set_error(error, error_size, "zero range ", i, "outside RAM or over the kernel");
            return false;
        }
    }
    for (unsigned i = 0; i < image->vm_count; i++) {
        const struct sysimage_vm *vm = &image->vms[i];
        if (!name_ok(vm->name) || vm->owner_pd >= image->pd_count ||
            !map_slice_ok(vm->map_first, vm->map_count, image->map_count) || vm->period_us == 0 || vm->budget_us == 0 ||
            vm->budget_us > vm->period_us) {
            set_error(error, error_size, "VM ", i, "bad name, owner, maps or budget");
            return false;
        }
    }
    for (unsigned i = 0; i < image->vcpu_count; i++) {
        if (image->vcpus[i].vm >= image->vm_count || image->vcpus[i].id >= SYSIMAGE_CHILD_IDS) {
            set_error(error, error_size, "vCPU ", i, "bad VM or id");
            return false;
        }
    }
    for (unsigned i = 0; i < image->pd_count; i++) {
        if (!check_pd(image, board, i, error, error_size)) {
            return false;
        }
    }
    return true;
}
