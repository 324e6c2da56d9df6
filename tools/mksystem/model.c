/*
 * From the XML tree to the system model: every element and attribute is checked here (SPEC 5.1:
 * unknown elements/attributes, missing or duplicate names and ids, alignment, ranges, unknown
 * references, program images). Cross-checks that need the memory layout are in layout.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <board.h>
#include "diag.h"
#include "model.h"
#include "xml.h"

#define PAGE_SMALL 0x1000UL
#define PAGE_LARGE 0x200000UL

static void *grow(void *array, unsigned count, size_t size)
{
    void *p = realloc(array, (count + 1) * size);
    if (p == NULL) {
        fprintf(stderr, "mksystem: out of memory\n");
        exit(2);
    }
    memset((char *)p + count * size, 0, size);
    return p;
}

static char *dup_string(const char *s)
{
    char *copy = malloc(strlen(s) + 1);
    if (copy == NULL) {
        fprintf(stderr, "mksystem: out of memory\n");
        exit(2);
    }
    return strcpy(copy, s);
}

/* Only the listed attributes may appear. */
static bool check_attributes(const struct xml_node *node, const char *const *allowed)
{
    bool ok = true;
    for (unsigned i = 0; i < node->attr_count; i++) {
        bool known = false;
        for (const char *const *a = allowed; *a != NULL; a++) {
            known = known || strcmp(node->attrs[i].name, *a) == 0;
        }
        if (!known) {
            diag_error(node->line, "unknown attribute '%s' on <%s>", node->attrs[i].name, node->name);
            ok = false;
        }
    }
    return ok;
}

static const char *required(const struct xml_node *node, const char *name)
{
    const char *value = xml_attr(node, name);
    if (value == NULL) {
        diag_error(node->line, "<%s> needs the attribute '%s'", node->name, name);
    } else if (value[0] == '\0') {
        diag_error(node->line, "<%s> attribute '%s' is empty", node->name, name);
        return NULL;
    }
    return value;
}

/* Decimal or 0x-hex, with '_' separators; no sign, no garbage, no overflow. */
static bool parse_number(const struct xml_node *node, const char *attr, const char *text, uint64_t *out)
{
    uint64_t value = 0;
    unsigned base = 10;
    const char *p = text;
    bool digits = false;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (; *p != '\0'; p++) {
        unsigned digit;
        if (*p == '_') {
            continue;
        }
        if (*p >= '0' && *p <= '9') {
            digit = (unsigned)(*p - '0');
        } else if (base == 16 && *p >= 'a' && *p <= 'f') {
            digit = (unsigned)(*p - 'a' + 10);
        } else if (base == 16 && *p >= 'A' && *p <= 'F') {
            digit = (unsigned)(*p - 'A' + 10);
        } else {
            diag_error(node->line, "<%s> %s=\"%s\" is not a number", node->name, attr, text);
            return false;
        }
        if (__builtin_mul_overflow(value, base, &value) || __builtin_add_overflow(value, digit, &value)) {
            diag_error(node->line, "<%s> %s=\"%s\" is too large", node->name, attr, text);
            return false;
        }
        digits = true;
    }
    if (!digits) {
        diag_error(node->line, "<%s> %s=\"%s\" is not a number", node->name, attr, text);
        return false;
    }
    *out = value;
    return true;
}

static bool number_attr(const struct xml_node *node, const char *attr, bool needed, uint64_t fallback, uint64_t max,
                        uint64_t *out)
{
    const char *text = needed ? required(node, attr) : xml_attr(node, attr);
    if (text == NULL) {
        *out = fallback;
        return !needed;
    }
    if (!parse_number(node, attr, text, out)) {
        return false;
    }
    if (*out > max) {
        diag_error(node->line, "<%s> %s=%s is above the maximum %llu", node->name, attr, text, (unsigned long long)max);
        return false;
    }
    return true;
}

static bool bool_attr(const struct xml_node *node, const char *attr, bool fallback, bool *out)
{
    const char *text = xml_attr(node, attr);
    *out = fallback;
    if (text == NULL) {
        return true;
    }
    if (strcmp(text, "true") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(text, "false") == 0) {
        *out = false;
        return true;
    }
    diag_error(node->line, "<%s> %s=\"%s\" must be \"true\" or \"false\"", node->name, attr, text);
    return false;
}

static int find_region(const struct system *sys, const char *name)
{
    for (unsigned i = 0; i < sys->region_count; i++) {
        if (strcmp(sys->regions[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int find_pd(const struct system *sys, const char *name)
{
    for (unsigned i = 0; i < sys->pd_count; i++) {
        if (strcmp(sys->pds[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static bool name_taken(const struct system *sys, const char *name)
{
    if (find_pd(sys, name) >= 0) {
        return true;
    }
    for (unsigned i = 0; i < sys->vm_count; i++) {
        if (strcmp(sys->vms[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

static bool parse_region(const struct xml_node *node, struct system *sys)
{
    static const char *const allowed[] = {"name", "size", "page_size", "phys_addr", NULL};
    bool ok = check_attributes(node, allowed);
    const char *name = required(node, "name");
    uint64_t size, page_size, phys;
    ok = number_attr(node, "size", true, 0, UINT64_MAX, &size) && ok;
    ok = number_attr(node, "page_size", false, PAGE_SMALL, UINT64_MAX, &page_size) && ok;
    ok = number_attr(node, "phys_addr", false, 0, UINT64_MAX, &phys) && ok;
    if (name == NULL || !ok) {
        return false;
    }
    if (find_region(sys, name) >= 0) {
        diag_error(node->line, "a memory region named '%s' already exists", name);
        return false;
    }
    if (page_size != PAGE_SMALL && page_size != PAGE_LARGE) {
        diag_error(node->line, "memory region '%s': page_size must be 0x1000 or 0x200000", name);
        return false;
    }
    if (size == 0 || size % page_size != 0) {
        diag_error(node->line, "memory region '%s': size 0x%llx is not a non-zero multiple of its page size 0x%llx",
                   name, (unsigned long long)size, (unsigned long long)page_size);
        return false;
    }
    bool fixed = xml_attr(node, "phys_addr") != NULL;
    if (fixed && phys % page_size != 0) {
        diag_error(node->line, "memory region '%s': phys_addr 0x%llx is not aligned to its page size 0x%llx", name,
                   (unsigned long long)phys, (unsigned long long)page_size);
        return false;
    }
    sys->regions = grow(sys->regions, sys->region_count, sizeof(*sys->regions));
    struct region *r = &sys->regions[sys->region_count++];
    *r = (struct region){dup_string(name), node->line, size, page_size, fixed, phys, false};
    return true;
}

static bool parse_perms(const struct xml_node *node, const char *text, unsigned *perms)
{
    static const struct {
        const char *text;
        unsigned perms;
    } table[] = {{"r", PERM_R}, {"rw", PERM_R | PERM_W}, {"rx", PERM_R | PERM_X}, {"rwx", PERM_R | PERM_W | PERM_X}};
    for (unsigned i = 0; i < 4; i++) {
        if (strcmp(text, table[i].text) == 0) {
            *perms = table[i].perms;
            return true;
        }
    }
    diag_error(node->line, "<map> perms=\"%s\" must be one of r, rw, rx, rwx", text);
    return false;
}

/* A symbol to patch: a C identifier, optionally with an array index ("client_queue[2]"). */
static bool symbol_reference_valid(const struct xml_node *node, const char *attribute, const char *text)
{
    size_t i = 0;
    while (text[i] == '_' || (text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z') ||
           (i > 0 && text[i] >= '0' && text[i] <= '9')) {
        i++;
    }
    bool valid = i > 0 && text[i] == '\0';
    if (i > 0 && text[i] == '[') {
        size_t digits = 0;
        i++;
        while (text[i] >= '0' && text[i] <= '9' && digits < 4) {
            i++;
            digits++;
        }
        valid = digits > 0 && text[i] == ']' && text[i + 1] == '\0';
    }
    if (!valid) {
        diag_error(node->line, "<map> %s=\"%s\" is not a symbol name or name[index] (index up to 9999)", attribute,
                   text);
    }
    return valid;
}

static bool parse_map(const struct xml_node *node, struct system *sys, bool in_vm, struct map **maps, unsigned *count)
{
    static const char *const pd_allowed[] = {"mr", "vaddr", "perms", "cached", "setvar_vaddr", "setvar_size", NULL};
    static const char *const vm_allowed[] = {"mr", "vaddr", "perms", "cached", NULL};
    bool ok = check_attributes(node, in_vm ? vm_allowed : pd_allowed);
    const char *mr = required(node, "mr");
    uint64_t vaddr;
    ok = number_attr(node, "vaddr", true, 0, UINT64_MAX, &vaddr) && ok;
    unsigned perms = PERM_R | PERM_W;
    const char *perm_text = xml_attr(node, "perms");
    if (perm_text != NULL) {
        ok = parse_perms(node, perm_text, &perms) && ok;
    }
    bool cached;
    ok = bool_attr(node, "cached", true, &cached) && ok;
    if (mr == NULL || !ok) {
        return false;
    }
    int region = find_region(sys, mr);
    if (region < 0) {
        diag_error(node->line, "<map> names memory region '%s', which is not defined", mr);
        return false;
    }
    if (vaddr % sys->regions[region].page_size != 0) {
        diag_error(node->line, "<map> vaddr 0x%llx is not aligned to region '%s''s page size 0x%llx",
                   (unsigned long long)vaddr, mr, (unsigned long long)sys->regions[region].page_size);
        return false;
    }
    uint64_t end;
    if (__builtin_add_overflow(vaddr, sys->regions[region].size, &end) || end > ADDRESS_SPACE_LIMIT) {
        diag_error(node->line, "<map> of '%s' at 0x%llx runs past the 40-bit address space", mr,
                   (unsigned long long)vaddr);
        return false;
    }
    const char *setvar = xml_attr(node, "setvar_vaddr");
    const char *setvar_size = xml_attr(node, "setvar_size");
    if ((setvar != NULL && !symbol_reference_valid(node, "setvar_vaddr", setvar)) ||
        (setvar_size != NULL && !symbol_reference_valid(node, "setvar_size", setvar_size))) {
        return false;
    }
    *maps = grow(*maps, *count, sizeof(**maps));
    struct map *m = &(*maps)[(*count)++];
    *m = (struct map){node->line,
                      (unsigned)region,
                      vaddr,
                      perms,
                      cached,
                      setvar ? dup_string(setvar) : NULL,
                      setvar_size ? dup_string(setvar_size) : NULL};
    return true;
}

static bool parse_vm(const struct xml_node *node, struct system *sys, unsigned owner)
{
    static const char *const allowed[] = {"name", "priority", "budget", "period", NULL};
    bool ok = check_attributes(node, allowed);
    const char *name = required(node, "name");
    uint64_t priority, budget, period;
    ok = number_attr(node, "priority", false, 0, 254, &priority) && ok;
    ok = number_attr(node, "budget", false, 1000, UINT32_MAX, &budget) && ok;
    ok = number_attr(node, "period", false, budget, UINT32_MAX, &period) && ok;
    if (name == NULL || !ok) {
        return false;
    }
    if (name_taken(sys, name)) {
        diag_error(node->line, "a PD or VM named '%s' already exists", name);
        return false;
    }
    if (budget == 0 || budget > period) {
        diag_error(node->line, "virtual machine '%s': budget %llu must be non-zero and at most the period %llu", name,
                   (unsigned long long)budget, (unsigned long long)period);
        return false;
    }
    sys->vms = grow(sys->vms, sys->vm_count, sizeof(*sys->vms));
    unsigned index = sys->vm_count++;
    struct vm *vm = &sys->vms[index];
    *vm = (struct vm){.name = dup_string(name),
                      .line = node->line,
                      .owner = owner,
                      .priority = (unsigned)priority,
                      .budget = (uint32_t)budget,
                      .period = (uint32_t)period};
    sys->pds[owner].vm = (int)index;
    for (unsigned i = 0; i < node->child_count; i++) {
        const struct xml_node *child = node->children[i];
        if (strcmp(child->name, "vcpu") == 0) {
            static const char *const vcpu_allowed[] = {"id", NULL};
            uint64_t id;
            if (!check_attributes(child, vcpu_allowed) || !number_attr(child, "id", true, 0, MAX_IDS - 1, &id)) {
                ok = false;
                continue;
            }
            vm = &sys->vms[index];
            vm->vcpu_ids[vm->vcpu_count++] = (unsigned)id;
            if (vm->vcpu_count >= MAX_IDS) {
                diag_error(child->line, "virtual machine '%s' has too many vCPUs", name);
                return false;
            }
        } else if (strcmp(child->name, "map") == 0) {
            vm = &sys->vms[index];
            ok = parse_map(child, sys, true, &vm->maps, &vm->map_count) && ok;
        } else {
            diag_error(child->line, "unknown element <%s> in <virtual_machine>", child->name);
            ok = false;
        }
    }
    if (sys->vms[index].vcpu_count == 0) {
        diag_error(node->line, "virtual machine '%s' has no <vcpu>", name);
        ok = false;
    }
    return ok;
}

static bool find_program(const char *search_path, const char *program, char *out, size_t out_size)
{
    if (program[0] == '/') {
        snprintf(out, out_size, "%s", program);
        return access(out, R_OK) == 0;
    }
    const char *p = search_path;
    while (p != NULL && *p != '\0') {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        snprintf(out, out_size, "%.*s/%s", (int)len, p, program);
        if (access(out, R_OK) == 0) {
            return true;
        }
        p = colon ? colon + 1 : NULL;
    }
    return false;
}

/* Every segment of a PD program, in whole pages, inside the PD's 40-bit address space (elf_load
 * has checked that no segment wraps past 2^64). */
static bool program_fits(const struct xml_node *node, const char *pd_name, const char *path, const struct elf_file *elf)
{
    for (unsigned i = 0; i < elf->segment_count; i++) {
        const struct elf_segment *seg = &elf->segments[i];
        if (seg->vaddr >= ADDRESS_SPACE_LIMIT || ADDRESS_SPACE_LIMIT - seg->vaddr < seg->mem_size) {
            diag_error(node->line,
                       "program image of '%s': '%s': loadable segment %u (vaddr 0x%llx, memsz 0x%llx) lies outside "
                       "the 40-bit address space of a PD",
                       pd_name, path, seg->index, (unsigned long long)seg->vaddr, (unsigned long long)seg->mem_size);
            return false;
        }
    }
    return true;
}

static bool parse_pd(const struct xml_node *node, struct system *sys, int parent, const char *search_path)
{
    static const char *const allowed[] = {"name", "priority",   "budget", "period", "passive",
                                          "pp",   "stack_size", "smc",    "id",     NULL};
    bool ok = check_attributes(node, allowed);
    const char *name = required(node, "name");
    uint64_t priority, budget, period, stack_size, id = 0;
    bool passive, smc, pp;
    ok = number_attr(node, "priority", false, 0, 254, &priority) && ok;
    ok = number_attr(node, "budget", false, 1000, UINT32_MAX, &budget) && ok;
    ok = number_attr(node, "period", false, budget, UINT32_MAX, &period) && ok;
    ok = number_attr(node, "stack_size", false, 0x2000, 0x1000000, &stack_size) && ok;
    ok = bool_attr(node, "passive", false, &passive) && ok;
    ok = bool_attr(node, "smc", false, &smc) && ok;
    ok = bool_attr(node, "pp", false, &pp) && ok; /* older Microkit files mark PPC servers; accepted */
    if (parent >= 0) {
        ok = number_attr(node, "id", true, 0, MAX_IDS - 1, &id) && ok;
    } else if (xml_attr(node, "id") != NULL) {
        diag_error(node->line, "protection domain '%s': only a child PD (nested in another) has an id",
                   name ? name : "?");
        ok = false;
    }
    if (name == NULL || !ok) {
        return false;
    }
    if (strcmp(name, "monitor") == 0) {
        diag_error(node->line, "the name 'monitor' is reserved");
        return false;
    }
    if (name_taken(sys, name)) {
        diag_error(node->line, "a PD or VM named '%s' already exists", name);
        return false;
    }
    if (budget == 0 || budget > period) {
        diag_error(node->line, "protection domain '%s': budget %llu must be non-zero and at most the period %llu", name,
                   (unsigned long long)budget, (unsigned long long)period);
        return false;
    }
    if (stack_size < 0x1000 || stack_size % 0x1000 != 0) {
        diag_error(node->line,
                   "protection domain '%s': stack_size 0x%llx must be a multiple of 0x1000, at least "
                   "0x1000",
                   name, (unsigned long long)stack_size);
        return false;
    }
    sys->pds = grow(sys->pds, sys->pd_count, sizeof(*sys->pds));
    unsigned index = sys->pd_count++;
    sys->pds[index] = (struct pd){.name = dup_string(name),
                                  .line = node->line,
                                  .priority = (unsigned)priority,
                                  .budget = (uint32_t)budget,
                                  .period = (uint32_t)period,
                                  .passive = passive,
                                  .smc = smc,
                                  .stack_size = stack_size,
                                  .parent = parent,
                                  .id_in_parent = (unsigned)id,
                                  .vm = -1};
    unsigned images = 0;
    for (unsigned i = 0; i < node->child_count; i++) {
        const struct xml_node *child = node->children[i];
        struct pd *pd = &sys->pds[index];
        if (strcmp(child->name, "program_image") == 0) {
            static const char *const image_allowed[] = {"path", NULL};
            const char *path = required(child, "path");
            if (!check_attributes(child, image_allowed) || path == NULL) {
                ok = false;
                continue;
            }
            if (++images > 1) {
                diag_error(child->line, "protection domain '%s' has more than one <program_image>", name);
                ok = false;
                continue;
            }
            pd->program = dup_string(path);
            pd->program_line = child->line;
            char resolved[4096];
            char why[512];
            if (!find_program(search_path, path, resolved, sizeof(resolved))) {
                diag_error(child->line, "program image '%s' of '%s' not found (search path: %s)", path, name,
                           search_path);
                ok = false;
            } else if (!elf_load(resolved, &pd->elf, why, sizeof(why))) {
                diag_error(child->line, "program image of '%s': %s", name, why);
                ok = false;
            } else if (!program_fits(child, name, resolved, &pd->elf)) {
                ok = false;
            }
        } else if (strcmp(child->name, "map") == 0) {
            ok = parse_map(child, sys, false, &pd->maps, &pd->map_count) && ok;
        } else if (strcmp(child->name, "irq") == 0) {
            static const char *const irq_allowed[] = {"irq", "id", "trigger", NULL};
            uint64_t intid, irq_id;
            bool irq_ok = check_attributes(child, irq_allowed);
            irq_ok = number_attr(child, "irq", true, 0, UINT32_MAX, &intid) && irq_ok;
            irq_ok = number_attr(child, "id", true, 0, MAX_IDS - 1, &irq_id) && irq_ok;
            const char *trigger = xml_attr(child, "trigger");
            if (trigger != NULL && strcmp(trigger, "level") != 0 && strcmp(trigger, "edge") != 0) {
                diag_error(child->line, "<irq> trigger=\"%s\" must be \"level\" or \"edge\"", trigger);
                irq_ok = false;
            }
            if (irq_ok && (intid < 32 || intid > BOARD_GIC_MAX_INTID)) {
                diag_error(child->line, "<irq> irq=%llu is not a shared peripheral interrupt of this board (32..%u)",
                           (unsigned long long)intid, BOARD_GIC_MAX_INTID);
                irq_ok = false;
            }
            if (!irq_ok) {
                ok = false;
                continue;
            }
            pd->irqs = grow(pd->irqs, pd->irq_count, sizeof(*pd->irqs));
            pd->irqs[pd->irq_count++] = (struct irq){child->line, (unsigned)intid, (unsigned)irq_id,
                                                     trigger != NULL && strcmp(trigger, "edge") == 0};
        } else if (strcmp(child->name, "setvar") == 0) {
            static const char *const setvar_allowed[] = {"symbol", "region_paddr", NULL};
            const char *symbol = required(child, "symbol");
            const char *region = required(child, "region_paddr");
            if (!check_attributes(child, setvar_allowed) || symbol == NULL || region == NULL) {
                ok = false;
                continue;
            }
            int r = find_region(sys, region);
            if (r < 0) {
                diag_error(child->line, "<setvar> names memory region '%s', which is not defined", region);
                ok = false;
                continue;
            }
            pd->setvars = grow(pd->setvars, pd->setvar_count, sizeof(*pd->setvars));
            pd->setvars[pd->setvar_count++] = (struct setvar){child->line, dup_string(symbol), (unsigned)r};
        } else if (strcmp(child->name, "protection_domain") == 0) {
            ok = parse_pd(child, sys, (int)index, search_path) && ok;
        } else if (strcmp(child->name, "virtual_machine") == 0) {
            if (pd->vm >= 0) {
                diag_error(child->line, "protection domain '%s' has more than one <virtual_machine>", name);
                ok = false;
                continue;
            }
            ok = parse_vm(child, sys, index) && ok;
        } else {
            diag_error(child->line, "unknown element <%s> in <protection_domain>", child->name);
            ok = false;
        }
    }
    if (images == 0) {
        diag_error(node->line, "protection domain '%s' has no <program_image>", name);
        ok = false;
    }
    return ok;
}

static bool parse_channel(const struct xml_node *node, struct system *sys)
{
    static const char *const end_allowed[] = {"pd", "id", "pp", "notify", NULL};
    bool ok = check_attributes(node, (const char *const[]){NULL});
    struct channel ch = {.line = node->line};
    unsigned ends = 0;
    for (unsigned i = 0; i < node->child_count; i++) {
        const struct xml_node *child = node->children[i];
        if (strcmp(child->name, "end") != 0) {
            diag_error(child->line, "unknown element <%s> in <channel>", child->name);
            ok = false;
            continue;
        }
        if (ends == 2) {
            diag_error(child->line, "a channel has exactly two <end>s");
            return false;
        }
        const char *pd = required(child, "pd");
        uint64_t id;
        bool pp, notify;
        bool end_ok = check_attributes(child, end_allowed);
        end_ok = number_attr(child, "id", true, 0, MAX_IDS - 1, &id) && end_ok;
        end_ok = bool_attr(child, "pp", false, &pp) && end_ok;
        end_ok = bool_attr(child, "notify", true, &notify) && end_ok;
        if (pd == NULL || !end_ok) {
            ok = false;
            continue;
        }
        int index = find_pd(sys, pd);
        if (index < 0) {
            diag_error(child->line, "channel end names PD '%s', which is not defined", pd);
            ok = false;
            continue;
        }
        ch.ends[ends++] = (struct channel_end){child->line, (unsigned)index, (unsigned)id, pp, notify};
    }
    if (!ok) {
        return false;
    }
    if (ends != 2) {
        diag_error(node->line, "a channel has exactly two <end>s, this one has %u", ends);
        return false;
    }
    if (ch.ends[0].pd == ch.ends[1].pd) {
        diag_error(node->line, "both ends of this channel are PD '%s'", sys->pds[ch.ends[0].pd].name);
        return false;
    }
    for (unsigned e = 0; e < 2; e++) {
        const struct channel_end *from = &ch.ends[e];
        const struct channel_end *to = &ch.ends[1 - e];
        if (from->pp && sys->pds[to->pd].priority <= sys->pds[from->pd].priority) {
            diag_error(from->line,
                       "pp end: PD '%s' (priority %u) may only call a PD of higher priority, but '%s' has "
                       "priority %u",
                       sys->pds[from->pd].name, sys->pds[from->pd].priority, sys->pds[to->pd].name,
                       sys->pds[to->pd].priority);
            ok = false;
        }
    }
    sys->channels = grow(sys->channels, sys->channel_count, sizeof(*sys->channels));
    sys->channels[sys->channel_count++] = ch;
    return ok;
}

/* Ids: channels and IRQs share 0..62 per PD; child PDs and vCPUs share another 0..62. */
static bool check_ids(const struct system *sys)
{
    bool ok = true;
    for (unsigned p = 0; p < sys->pd_count; p++) {
        int used_line[MAX_IDS] = {0};
        const struct pd *pd = &sys->pds[p];
        for (unsigned c = 0; c < sys->channel_count; c++) {
            for (unsigned e = 0; e < 2; e++) {
                const struct channel_end *end = &sys->channels[c].ends[e];
                if (end->pd != p) {
                    continue;
                }
                if (used_line[end->id] != 0) {
                    diag_error(end->line, "PD '%s' already uses id %u (line %d)", pd->name, end->id,
                               used_line[end->id]);
                    ok = false;
                }
                used_line[end->id] = end->line;
            }
        }
        for (unsigned i = 0; i < pd->irq_count; i++) {
            const struct irq *irq = &pd->irqs[i];
            if (used_line[irq->id] != 0) {
                diag_error(irq->line, "PD '%s' already uses id %u (line %d)", pd->name, irq->id, used_line[irq->id]);
                ok = false;
            }
            used_line[irq->id] = irq->line;
        }
        int child_line[MAX_IDS] = {0};
        for (unsigned q = 0; q < sys->pd_count; q++) {
            const struct pd *child = &sys->pds[q];
            if (child->parent != (int)p) {
                continue;
            }
            if (child_line[child->id_in_parent] != 0) {
                diag_error(child->line, "PD '%s' already has a child or vCPU with id %u (line %d)", pd->name,
                           child->id_in_parent, child_line[child->id_in_parent]);
                ok = false;
            }
            child_line[child->id_in_parent] = child->line;
        }
        if (pd->vm >= 0) {
            const struct vm *vm = &sys->vms[pd->vm];
            for (unsigned v = 0; v < vm->vcpu_count; v++) {
                if (child_line[vm->vcpu_ids[v]] != 0) {
                    diag_error(vm->line, "PD '%s' already has a child or vCPU with id %u (line %d)", pd->name,
                               vm->vcpu_ids[v], child_line[vm->vcpu_ids[v]]);
                    ok = false;
                }
                child_line[vm->vcpu_ids[v]] = vm->line;
            }
        }
    }
    return ok;
}

/* One use of an INTID: PD index and position among that PD's <irq>s. */
struct irq_use {
    unsigned pd;
    unsigned index;
};

static const struct irq *irq_of(const struct system *sys, struct irq_use use)
{
    return &sys->pds[use.pd].irqs[use.index];
}

/* File order, with PD and element order to break ties: two <irq>s may share a line. */
static bool irq_use_before(const struct system *sys, struct irq_use a, struct irq_use b)
{
    int a_line = irq_of(sys, a)->line, b_line = irq_of(sys, b)->line;
    if (a_line != b_line) {
        return a_line < b_line;
    }
    return a.pd != b.pd ? a.pd < b.pd : a.index < b.index;
}

/* The first use of `use`'s INTID, if it comes before `use`. */
static bool earlier_irq_use(const struct system *sys, struct irq_use use, struct irq_use *first)
{
    bool found = false;
    for (unsigned q = 0; q < sys->pd_count; q++) {
        for (unsigned j = 0; j < sys->pds[q].irq_count; j++) {
            struct irq_use other = {q, j};
            if (irq_of(sys, other)->intid == irq_of(sys, use)->intid && irq_use_before(sys, other, use) &&
                (!found || irq_use_before(sys, other, *first))) {
                *first = other;
                found = true;
            }
        }
    }
    return found;
}

/* An INTID is routed to exactly one PD id (the kernel refuses an image that gives one twice):
 * every later use is an error naming the first. */
static bool check_irqs_unique(const struct system *sys)
{
    bool ok = true;
    for (unsigned p = 0; p < sys->pd_count; p++) {
        for (unsigned i = 0; i < sys->pds[p].irq_count; i++) {
            struct irq_use use = {p, i}, first;
            if (earlier_irq_use(sys, use, &first)) {
                const struct irq *irq = irq_of(sys, use), *other = irq_of(sys, first);
                diag_error(irq->line, "IRQ %u (id %u) is already given to PD '%s' (line %d, id %u)", irq->intid,
                           irq->id, sys->pds[first.pd].name, other->line, other->id);
                ok = false;
            }
        }
    }
    return ok;
}

bool model_build(const struct xml_node *root, const char *search_path, struct system *sys)
{
    memset(sys, 0, sizeof(*sys));
    if (strcmp(root->name, "system") != 0) {
        diag_error(root->line, "the root element must be <system>, not <%s>", root->name);
        return false;
    }
    bool ok = check_attributes(root, (const char *const[]){NULL});
    /* Regions first: maps and setvars may name regions defined later in the file. */
    for (unsigned i = 0; i < root->child_count; i++) {
        if (strcmp(root->children[i]->name, "memory_region") == 0) {
            ok = parse_region(root->children[i], sys) && ok;
        }
    }
    for (unsigned i = 0; i < root->child_count; i++) {
        if (strcmp(root->children[i]->name, "protection_domain") == 0) {
            ok = parse_pd(root->children[i], sys, -1, search_path) && ok;
        }
    }
    for (unsigned i = 0; i < root->child_count; i++) {
        const struct xml_node *child = root->children[i];
        if (strcmp(child->name, "channel") == 0) {
            ok = parse_channel(child, sys) && ok;
        } else if (strcmp(child->name, "memory_region") != 0 && strcmp(child->name, "protection_domain") != 0) {
            diag_error(child->line, "unknown element <%s> in <system>", child->name);
            ok = false;
        }
    }
    if (ok && sys->pd_count == 0) {
        diag_error(root->line, "the system has no protection domain");
        ok = false;
    }
    if (!ok) {
        return false;
    }
    /* Both, so that one run reports every clash. */
    bool ids_ok = check_ids(sys);
    return check_irqs_unique(sys) && ids_ok;
}

void model_free(struct system *sys)
{
    for (unsigned i = 0; i < sys->region_count; i++) {
        free(sys->regions[i].name);
    }
    for (unsigned p = 0; p < sys->pd_count; p++) {
        struct pd *pd = &sys->pds[p];
        for (unsigned m = 0; m < pd->map_count; m++) {
            free(pd->maps[m].setvar_vaddr);
            free(pd->maps[m].setvar_size);
        }
        for (unsigned s = 0; s < pd->setvar_count; s++) {
            free(pd->setvars[s].symbol);
        }
        free(pd->name);
        free(pd->program);
        free(pd->maps);
        free(pd->irqs);
        free(pd->setvars);
        elf_free(&pd->elf);
    }
    for (unsigned v = 0; v < sys->vm_count; v++) {
        free(sys->vms[v].name);
        free(sys->vms[v].maps);
    }
    free(sys->regions);
    free(sys->pds);
    free(sys->vms);
    free(sys->channels);
    memset(sys, 0, sizeof(*sys));
}
