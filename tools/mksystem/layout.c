/*
 * Layout: fixed regions sit at their phys_addr (which must lie in board RAM or a device window,
 * clear of the kernel and of each other); everything else is allocated from the board's pool.
 * Each PD's address space is its program segments, its stack (ending at TESSERA_PD_STACK_TOP),
 * its IPC buffer (TESSERA_PD_IPC_BUFFER) and its maps, none overlapping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <board.h>
#include <tessera/abi.h>
#include "diag.h"
#include "layout.h"

#define PAGE 0x1000UL

static const uint64_t pool_ranges[][2] = BOARD_POOL_RANGES;
static const uint64_t device_ranges[][2] = BOARD_DEVICE_RANGES;

struct allocator {
    uint64_t next[BOARD_POOL_RANGE_COUNT];
    const struct system *sys;
};

/* Written as distances from the lower start, so that no end is computed: a range that reaches
 * 2^64 still compares right. */
static bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    if (a_size == 0 || b_size == 0) {
        return false;
    }
    return a <= b ? b - a < a_size : a - b < b_size;
}

/* False if rounding up would pass 2^64. `alignment` is a power of two. */
static bool align_up(uint64_t value, uint64_t alignment, uint64_t *out)
{
    uint64_t sum;
    if (__builtin_add_overflow(value, alignment - 1, &sum)) {
        return false;
    }
    *out = sum & ~(alignment - 1);
    return true;
}

/* The first aligned address at or after `candidate` clear of every fixed region; false if there
 * is none below 2^64. Each step moves past one fixed region, so this ends. */
static bool skip_fixed_regions(const struct system *sys, uint64_t size, uint64_t alignment, uint64_t *candidate)
{
    bool moved = true;
    while (moved) {
        moved = false;
        for (unsigned i = 0; i < sys->region_count; i++) {
            const struct region *fixed = &sys->regions[i];
            uint64_t fixed_end;
            if (!fixed->fixed || !overlaps(*candidate, size, fixed->paddr, fixed->size)) {
                continue;
            }
            if (__builtin_add_overflow(fixed->paddr, fixed->size, &fixed_end) ||
                !align_up(fixed_end, alignment, candidate)) {
                return false;
            }
            moved = true;
        }
    }
    return true;
}

/* First fit in the pool, stepping over fixed regions that lie inside it. Every end is computed
 * with an overflow check: a size near 2^64 must not wrap to a small range that "fits". */
static bool allocate(struct allocator *a, uint64_t size, uint64_t alignment, uint64_t *paddr)
{
    for (unsigned r = 0; r < BOARD_POOL_RANGE_COUNT; r++) {
        uint64_t candidate, end;
        if (!align_up(a->next[r], alignment, &candidate) || !skip_fixed_regions(a->sys, size, alignment, &candidate) ||
            __builtin_add_overflow(candidate, size, &end) || end > pool_ranges[r][1]) {
            continue;
        }
        *paddr = candidate;
        a->next[r] = end;
        return true;
    }
    return false;
}

static bool check_fixed_regions(struct system *sys)
{
    bool ok = true;
    for (unsigned i = 0; i < sys->region_count; i++) {
        struct region *r = &sys->regions[i];
        if (!r->fixed) {
            continue;
        }
        uint64_t end;
        if (__builtin_add_overflow(r->paddr, r->size, &end)) {
            diag_error(r->line, "memory region '%s' wraps around the address space", r->name);
            ok = false;
            continue;
        }
        /* Offsets from the RAM base: a comparison with the base itself is always true on a board
         * whose RAM starts at 0, which -Wtype-limits refuses. */
        bool in_ram = r->paddr - BOARD_RAM_BASE < BOARD_RAM_SIZE && end - BOARD_RAM_BASE <= BOARD_RAM_SIZE &&
                      end > BOARD_RAM_BASE;
        bool in_device = false;
        for (unsigned d = 0; d < BOARD_DEVICE_RANGE_COUNT; d++) {
            in_device = in_device || (r->paddr >= device_ranges[d][0] && end <= device_ranges[d][1]);
        }
        r->is_device = in_device;
        if (!in_ram && !in_device) {
            diag_error(r->line, "memory region '%s' at 0x%llx..0x%llx is neither RAM nor a device of board %s", r->name,
                       (unsigned long long)r->paddr, (unsigned long long)end, BOARD_NAME);
            ok = false;
        }
        if (overlaps(r->paddr, r->size, BOARD_KERNEL_BASE, BOARD_KERNEL_SIZE + BOARD_SYSIMAGE_SIZE)) {
            diag_error(r->line, "memory region '%s' overlaps the kernel's memory (0x%lx..0x%lx)", r->name,
                       BOARD_KERNEL_BASE, BOARD_KERNEL_BASE + BOARD_KERNEL_SIZE + BOARD_SYSIMAGE_SIZE);
            ok = false;
        }
        for (unsigned j = 0; j < i; j++) {
            const struct region *o = &sys->regions[j];
            if (o->fixed && overlaps(r->paddr, r->size, o->paddr, o->size)) {
                diag_error(r->line, "memory region '%s' overlaps memory region '%s' (line %d)", r->name, o->name,
                           o->line);
                ok = false;
            }
        }
    }
    return ok;
}

struct range {
    uint64_t start;
    uint64_t size;
    int line;
    const char *what;
};

/* Every pair of ranges in one address space must be disjoint. */
static bool check_space(const char *owner, struct range *ranges, unsigned count)
{
    bool ok = true;
    for (unsigned i = 0; i < count; i++) {
        for (unsigned j = 0; j < i; j++) {
            if (overlaps(ranges[i].start, ranges[i].size, ranges[j].start, ranges[j].size)) {
                diag_error(ranges[i].line, "in '%s', %s at 0x%llx..0x%llx overlaps %s at 0x%llx..0x%llx", owner,
                           ranges[i].what, (unsigned long long)ranges[i].start,
                           (unsigned long long)(ranges[i].start + ranges[i].size), ranges[j].what,
                           (unsigned long long)ranges[j].start, (unsigned long long)(ranges[j].start + ranges[j].size));
                ok = false;
            }
        }
    }
    return ok;
}

static uint32_t map_attrs(unsigned perms, bool cached)
{
    uint32_t attrs = 0;
    attrs |= (perms & PERM_R) ? SYSIMAGE_MAP_R : 0;
    attrs |= (perms & PERM_W) ? SYSIMAGE_MAP_W : 0;
    attrs |= (perms & PERM_X) ? SYSIMAGE_MAP_X : 0;
    attrs |= cached ? SYSIMAGE_MAP_CACHED : 0;
    return attrs;
}

static bool add_map(struct sysimage *image, uint64_t vaddr, uint64_t paddr, uint64_t size, uint32_t attrs, int line)
{
    if (image->map_count >= SYSIMAGE_MAX_MAPS) {
        diag_error(line, "too many maps in the system (at most %d)", SYSIMAGE_MAX_MAPS);
        return false;
    }
    image->maps[image->map_count++] = (struct sysimage_map){vaddr, paddr, size, attrs, 0};
    return true;
}

static bool add_zero(struct sysimage *image, uint64_t paddr, uint64_t size)
{
    if (image->zero_count >= SYSIMAGE_MAX_ZEROS) {
        diag_error_plain("too many memory ranges to clear at boot (at most %d)", SYSIMAGE_MAX_ZEROS);
        return false;
    }
    image->zeros[image->zero_count++] = (struct sysimage_zero){paddr, size};
    return true;
}

/* Where a PD's symbols are looked up: its path_for_symbols file if it has one. */
static const struct elf_file *symbols_of(const struct pd *pd)
{
    return pd->symbols.data != NULL ? &pd->symbols : &pd->elf;
}

/* Regions start zeroed, except a prefill's whole pages: the image carries the file's bytes and
 * the loader zeroes the rest of their last page. Device regions are left alone. */
static bool zero_region(struct sysimage *image, const struct region *r)
{
    if (r->is_device) {
        if (r->prefill != NULL) {
            diag_error(r->line, "memory region '%s' is a device: it cannot be prefilled", r->name);
            return false;
        }
        return true;
    }
    uint64_t filled = 0;
    if (r->prefill != NULL && !align_up(r->prefill_size, PAGE, &filled)) {
        return false;
    }
    return filled >= r->size || add_zero(image, r->paddr + filled, r->size - filled);
}

static bool patch_u64(struct pd *pd, const char *symbol, uint64_t value, int line, bool must_exist)
{
    char why[256];
    /* "name[index]": the index-th u64 of an array (the model checked the syntax). */
    char name[256];
    uint64_t index = 0;
    snprintf(name, sizeof(name), "%s", symbol);
    char *bracket = strchr(name, '[');
    if (bracket != NULL) {
        *bracket = '\0';
        index = strtoull(bracket + 1, NULL, 10);
    }
    if (!elf_patch_symbol_from(&pd->elf, symbols_of(pd), name, index * sizeof(value), &value, sizeof(value), why,
                               sizeof(why))) {
        uint64_t addr, size;
        if (!must_exist && !elf_symbol(symbols_of(pd), name, &addr, &size)) {
            return true;
        }
        diag_error(line, "program of '%s': %s", pd->name, why);
        return false;
    }
    return true;
}

/* A runtime symbol the program may not have (a program not linked with the runtime). */
static bool patch_optional(struct pd *pd, const char *symbol, const void *bytes, size_t len)
{
    char why[256];
    uint64_t addr, size;
    if (elf_symbol(symbols_of(pd), symbol, &addr, &size) &&
        !elf_patch_symbol_from(&pd->elf, symbols_of(pd), symbol, 0, bytes, len, why, sizeof(why))) {
        diag_error(pd->program_line, "program of '%s': %s", pd->name, why);
        return false;
    }
    return true;
}

static bool patch_pd_symbols(struct system *sys, unsigned index, const struct sysimage_pd *entry)
{
    struct pd *pd = &sys->pds[index];
    bool ok = true;
    char name[SYSIMAGE_NAME_LEN] = {0};
    snprintf(name, sizeof(name), "%s", pd->name);
    uint8_t passive = pd->passive, smc = pd->smc;
    ok = patch_optional(pd, "microkit_name", name, sizeof(name)) && ok;
    ok = patch_optional(pd, "microkit_passive", &passive, 1) && ok;
    ok = patch_optional(pd, "tessera_pd_smc", &smc, 1) && ok;
    uint64_t irqs = 0, notifications = 0, pps = 0;
    for (unsigned id = 0; id < SYSIMAGE_IDS; id++) {
        if (entry->ids[id].kind == SYSIMAGE_ID_IRQ) {
            irqs |= 1ULL << id;
        } else if (entry->ids[id].kind == SYSIMAGE_ID_CHANNEL) {
            notifications |= (entry->ids[id].flags & SYSIMAGE_CH_NOTIFY) ? 1ULL << id : 0;
            pps |= (entry->ids[id].flags & SYSIMAGE_CH_PPC) ? 1ULL << id : 0;
        }
    }
    ok = patch_u64(pd, "microkit_irqs", irqs, pd->program_line, false) && ok;
    ok = patch_u64(pd, "microkit_notifications", notifications, pd->program_line, false) && ok;
    ok = patch_u64(pd, "microkit_pps", pps, pd->program_line, false) && ok;
    for (unsigned m = 0; m < pd->map_count; m++) {
        if (pd->maps[m].setvar_vaddr != NULL) {
            ok = patch_u64(pd, pd->maps[m].setvar_vaddr, pd->maps[m].vaddr, pd->maps[m].line, true) && ok;
        }
        if (pd->maps[m].setvar_size != NULL) {
            ok =
                patch_u64(pd, pd->maps[m].setvar_size, sys->regions[pd->maps[m].region].size, pd->maps[m].line, true) &&
                ok;
        }
        if (pd->maps[m].setvar_prefill_size != NULL) {
            ok = patch_u64(pd, pd->maps[m].setvar_prefill_size, sys->regions[pd->maps[m].region].prefill_size,
                           pd->maps[m].line, true) &&
                 ok;
        }
    }
    for (unsigned s = 0; s < pd->id_setvar_count; s++) {
        ok = patch_u64(pd, pd->id_setvars[s].symbol, pd->id_setvars[s].id, pd->id_setvars[s].line, true) && ok;
    }
    for (unsigned s = 0; s < pd->setvar_count; s++) {
        ok = patch_u64(pd, pd->setvars[s].symbol, sys->regions[pd->setvars[s].region].paddr, pd->setvars[s].line,
                       true) &&
             ok;
    }
    return ok;
}

static bool layout_pd(struct system *sys, struct allocator *alloc, unsigned index, struct layout *layout)
{
    struct pd *pd = &sys->pds[index];
    struct sysimage *image = layout->image;
    struct sysimage_pd *entry = &image->pds[index];
    bool ok = true;
    unsigned range_count = pd->elf.segment_count + 2 + pd->map_count;
    struct range *ranges = calloc(range_count, sizeof(*ranges));
    unsigned n = 0;

    snprintf(entry->name, sizeof(entry->name), "%s", pd->name);
    entry->priority = (uint8_t)pd->priority;
    entry->passive = pd->passive;
    entry->smc = pd->smc;
    entry->parent = pd->parent < 0 ? SYSIMAGE_NONE : (uint8_t)pd->parent;
    entry->id_in_parent = (uint8_t)pd->id_in_parent;
    entry->budget_us = pd->budget;
    entry->period_us = pd->period;
    entry->entry = pd->elf.entry;
    entry->stack_top = TESSERA_PD_STACK_TOP;
    entry->ipc_buffer = TESSERA_PD_IPC_BUFFER;
    entry->map_first = image->map_count;

    for (unsigned s = 0; s < pd->elf.segment_count; s++) {
        struct elf_segment *seg = &pd->elf.segments[s];
        uint64_t start = seg->vaddr & ~(PAGE - 1);
        uint64_t end, paddr;
        /* The model refused segments that wrap or leave the 40-bit space; checked again here, as
         * a wrapped end would give a huge or negative size. */
        if (__builtin_add_overflow(seg->vaddr, seg->mem_size, &end) || !align_up(end, PAGE, &end)) {
            diag_error(pd->program_line, "program of '%s': segment %u runs past the end of the address space", pd->name,
                       seg->index);
            free(ranges);
            return false;
        }
        if (!allocate(alloc, end - start, PAGE, &paddr)) {
            diag_error(pd->program_line, "no memory left for the program of '%s'", pd->name);
            free(ranges);
            return false;
        }
        seg->paddr = paddr + (seg->vaddr - start);
        unsigned perms =
            ((seg->flags & 4) ? PERM_R : 0) | ((seg->flags & 2) ? PERM_W : 0) | ((seg->flags & 1) ? PERM_X : 0);
        if (!(perms & PERM_R)) {
            perms |= PERM_R;
        }
        ok = add_map(image, start, paddr, end - start, map_attrs(perms, true), pd->program_line) && ok;
        if (end > TESSERA_PD_STACK_TOP - pd->stack_size - PAGE) {
            diag_error(pd->program_line, "program of '%s' reaches into its stack area", pd->name);
            ok = false;
        }
        ranges[n++] = (struct range){start, end - start, pd->program_line, "a program segment"};
    }

    struct pd_layout *pl = &layout->pds[index];
    pl->stack_vaddr = TESSERA_PD_STACK_TOP - pd->stack_size;
    if (!allocate(alloc, pd->stack_size, PAGE, &pl->stack_paddr) || !allocate(alloc, PAGE, PAGE, &pl->ipc_paddr)) {
        diag_error(pd->line, "no memory left for the stack of '%s'", pd->name);
        free(ranges);
        return false;
    }
    ok = add_map(image, pl->stack_vaddr, pl->stack_paddr, pd->stack_size, SYSIMAGE_MAP_R | SYSIMAGE_MAP_W | 8,
                 pd->line) &&
         ok;
    ok =
        add_map(image, TESSERA_PD_IPC_BUFFER, pl->ipc_paddr, PAGE, SYSIMAGE_MAP_R | SYSIMAGE_MAP_W | 8, pd->line) && ok;
    ok = add_zero(image, pl->stack_paddr, pd->stack_size) && ok;
    ok = add_zero(image, pl->ipc_paddr, PAGE) && ok;
    entry->ipc_buffer_paddr = pl->ipc_paddr;
    /* The guard page between the stack and the IPC buffer is part of the stack's range. */
    ranges[n++] = (struct range){pl->stack_vaddr, pd->stack_size + PAGE, pd->line, "the stack"};
    ranges[n++] = (struct range){TESSERA_PD_IPC_BUFFER, PAGE, pd->line, "the IPC buffer"};

    for (unsigned m = 0; m < pd->map_count; m++) {
        const struct map *map = &pd->maps[m];
        const struct region *r = &sys->regions[map->region];
        if (r->is_device && map->cached) {
            diag_error(map->line, "region '%s' is a device: map it with cached=\"false\"", r->name);
            ok = false;
        }
        ok = add_map(image, map->vaddr, r->paddr, r->size, map_attrs(map->perms, map->cached), map->line) && ok;
        ranges[n++] = (struct range){map->vaddr, r->size, map->line, "a map"};
    }
    ok = check_space(pd->name, ranges, n) && ok;
    free(ranges);
    entry->map_count = image->map_count - entry->map_first;
    return ok;
}

static bool layout_vm(struct system *sys, unsigned index, struct sysimage *image)
{
    struct vm *vm = &sys->vms[index];
    struct sysimage_vm *entry = &image->vms[index];
    bool ok = true;
    snprintf(entry->name, sizeof(entry->name), "%s", vm->name);
    entry->owner_pd = (uint8_t)vm->owner;
    entry->priority = (uint8_t)vm->priority;
    entry->vcpu_count = (uint8_t)vm->vcpu_count;
    entry->budget_us = vm->budget;
    entry->period_us = vm->period;
    entry->map_first = image->map_count;
    struct range *ranges = calloc(vm->map_count + 1, sizeof(*ranges));
    for (unsigned m = 0; m < vm->map_count; m++) {
        const struct map *map = &vm->maps[m];
        const struct region *r = &sys->regions[map->region];
        if (r->is_device && map->cached) {
            diag_error(map->line, "region '%s' is a device: map it with cached=\"false\"", r->name);
            ok = false;
        }
        ok = add_map(image, map->vaddr, r->paddr, r->size, map_attrs(map->perms, map->cached), map->line) && ok;
        ranges[m] = (struct range){map->vaddr, r->size, map->line, "a map"};
    }
    ok = check_space(vm->name, ranges, vm->map_count) && ok;
    free(ranges);
    entry->map_count = image->map_count - entry->map_first;
    return ok;
}

bool layout_build(struct system *sys, struct layout *layout)
{
    if (sys->pd_count > SYSIMAGE_MAX_PDS || sys->vm_count > SYSIMAGE_MAX_VMS) {
        diag_error_plain("too many PDs (%u, at most %d) or VMs (%u, at most %d)", sys->pd_count, SYSIMAGE_MAX_PDS,
                         sys->vm_count, SYSIMAGE_MAX_VMS);
        return false;
    }
    layout->image = calloc(1, sizeof(*layout->image));
    layout->pds = calloc(sys->pd_count, sizeof(*layout->pds));
    struct sysimage *image = layout->image;
    image->magic = SYSIMAGE_MAGIC;
    image->version = SYSIMAGE_VERSION;
    image->board_id = BOARD_ID;
    image->pd_count = sys->pd_count;
    image->vm_count = sys->vm_count;

    bool ok = check_fixed_regions(sys);
    struct allocator alloc = {.sys = sys};
    for (unsigned r = 0; r < BOARD_POOL_RANGE_COUNT; r++) {
        alloc.next[r] = pool_ranges[r][0];
    }
    for (unsigned i = 0; ok && i < sys->region_count; i++) {
        struct region *r = &sys->regions[i];
        if (!r->fixed) {
            if (!allocate(&alloc, r->size, r->page_size, &r->paddr)) {
                diag_error(r->line, "memory region '%s' (0x%llx bytes) does not fit in the memory left", r->name,
                           (unsigned long long)r->size);
                return false;
            }
        }
        ok = zero_region(image, r) && ok;
    }
    if (!ok) {
        return false;
    }

    /* Channels, IRQs and children into each PD's id tables. */
    for (unsigned c = 0; c < sys->channel_count; c++) {
        for (unsigned e = 0; e < 2; e++) {
            const struct channel_end *end = &sys->channels[c].ends[e];
            const struct channel_end *peer = &sys->channels[c].ends[1 - e];
            image->pds[end->pd].ids[end->id] = (struct sysimage_id){
                SYSIMAGE_ID_CHANNEL,
                (uint8_t)peer->pd,
                (uint8_t)peer->id,
                (uint8_t)((end->notify ? SYSIMAGE_CH_NOTIFY : 0) | (end->pp ? SYSIMAGE_CH_PPC : 0)),
                0,
                0};
        }
    }
    for (unsigned p = 0; p < sys->pd_count; p++) {
        const struct pd *pd = &sys->pds[p];
        for (unsigned i = 0; i < pd->irq_count; i++) {
            const struct irq *irq = &pd->irqs[i];
            image->pds[p].ids[irq->id] = (struct sysimage_id){
                SYSIMAGE_ID_IRQ, 0, 0, (uint8_t)(irq->edge ? SYSIMAGE_IRQ_EDGE : 0), (uint16_t)irq->intid, 0};
        }
        if (pd->parent >= 0) {
            image->pds[pd->parent].children[pd->id_in_parent] =
                (struct sysimage_child){SYSIMAGE_CHILD_PD, (uint8_t)p, 0};
        }
    }
    for (unsigned v = 0; v < sys->vm_count; v++) {
        const struct vm *vm = &sys->vms[v];
        for (unsigned i = 0; i < vm->vcpu_count; i++) {
            if (image->vcpu_count >= SYSIMAGE_MAX_VCPUS) {
                diag_error(vm->line, "too many vCPUs in the system (at most %d)", SYSIMAGE_MAX_VCPUS);
                return false;
            }
            unsigned index = image->vcpu_count++;
            image->vcpus[index] = (struct sysimage_vcpu){(uint8_t)v, (uint8_t)vm->vcpu_ids[i], 0, 0};
            image->pds[vm->owner].children[vm->vcpu_ids[i]] =
                (struct sysimage_child){SYSIMAGE_CHILD_VCPU, (uint8_t)index, 0};
        }
    }

    for (unsigned p = 0; p < sys->pd_count; p++) {
        ok = layout_pd(sys, &alloc, p, layout) && ok;
    }
    for (unsigned v = 0; v < sys->vm_count; v++) {
        ok = layout_vm(sys, v, image) && ok;
    }
    for (unsigned p = 0; ok && p < sys->pd_count; p++) {
        ok = patch_pd_symbols(sys, p, &image->pds[p]) && ok;
    }
    return ok;
}
