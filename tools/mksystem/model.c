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

/* A Microkit feature Tessera cannot give, and why: one error naming it, instead of a generic
 * "unknown attribute/element". */
struct unsupported {
    const char *name;
    const char *reason;
};

#define NO_CAPABILITIES "Tessera has no capabilities (a PD's authority is its channels, IRQs and children)"
#define NO_DOMAINS      "seL4's domain scheduler has no counterpart; Tessera schedules by priority, budget and period"
#define AARCH64_ONLY    "it is x86 only; Tessera runs on AArch64"

static const struct unsupported unsupported_elements[] = {
    {"domains", NO_DOMAINS},
    {"io_address_space", "Tessera does not program an IOMMU"},
    {"cspace", NO_CAPABILITIES},
    {"ioport", AARCH64_ONLY},
    {NULL, NULL},
};

static const struct unsupported unsupported_pd_attributes[] = {{"domain", NO_DOMAINS}, {NULL, NULL}};
static const struct unsupported unsupported_irq_attributes[] = {
    {"pin", AARCH64_ONLY},
    {"pcidev", AARCH64_ONLY},
    {"ioapic", AARCH64_ONLY},
    {"vector", AARCH64_ONLY},
    {"polarity", AARCH64_ONLY},
    {"handle", AARCH64_ONLY},
    {NULL, NULL},
};
static const struct unsupported unsupported_region_attributes[] = {
    {"prefill_bootinfo", "Tessera hands PDs no boot information (x86 tables or a device tree)"},
    {NULL, NULL},
};

/* True (with the error printed) if `node` is an element Tessera knows from Microkit but cannot
 * give. */
static unsigned unsupported_count; /* such features met: the errors they cause are not given */

static bool is_refused_element(const struct xml_node *node)
{
    for (const struct unsupported *u = unsupported_elements; u->name != NULL; u++) {
        if (strcmp(node->name, u->name) == 0) {
            return true;
        }
    }
    return false;
}

static bool refused_element(const struct xml_node *node)
{
    for (const struct unsupported *u = unsupported_elements; u->name != NULL; u++) {
        if (strcmp(node->name, u->name) == 0) {
            diag_error(node->line, "<%s> is a Microkit feature Tessera does not support: %s", node->name, u->reason);
            unsupported_count++;
            return true;
        }
    }
    return false;
}

/* False (errors printed) if `node` has one of the attributes in `table`. */
static bool no_unsupported_attributes(const struct xml_node *node, const struct unsupported *table)
{
    bool ok = true;
    for (const struct unsupported *u = table; u->name != NULL; u++) {
        if (xml_attr(node, u->name) != NULL) {
            diag_error(node->line, "<%s> attribute '%s' is a Microkit feature Tessera does not support: %s", node->name,
                       u->name, u->reason);
            unsupported_count++;
            ok = false;
        }
    }
    return ok;
}

/* cpu="N": a core of this board; Tessera runs everything on core 0 (no SMP yet). */
static bool cpu_attr(const struct xml_node *node)
{
    uint64_t cpu;
    if (!number_attr(node, "cpu", false, 0, UINT64_MAX, &cpu)) {
        return false;
    }
    if (cpu >= BOARD_CPU_COUNT) {
        diag_error(node->line, "<%s> cpu=%llu: Tessera runs on core 0 only (board %s, no SMP yet)", node->name,
                   (unsigned long long)cpu, BOARD_NAME);
        return false;
    }
    return true;
}

static bool symbol_reference_valid(const struct xml_node *node, const char *attribute, const char *text);

/* setvar_id="symbol" on an <irq>, <end>, child PD or <vcpu>: the PD `pd` gets `id` in it. */
static bool add_id_setvar(const struct xml_node *node, struct system *sys, unsigned pd, uint64_t id)
{
    const char *symbol = xml_attr(node, "setvar_id");
    if (symbol == NULL) {
        return true;
    }
    if (!symbol_reference_valid(node, "setvar_id", symbol)) {
        return false;
    }
    struct pd *p = &sys->pds[pd];
    p->id_setvars = grow(p->id_setvars, p->id_setvar_count, sizeof(*p->id_setvars));
    p->id_setvars[p->id_setvar_count++] = (struct id_setvar){node->line, dup_string(symbol), id};
    return true;
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

static bool find_program(const char *search_path, const char *program, char *out, size_t out_size);

/* The prefill file's bytes (looked up like program images), checked against the region's size
 * when one is given. A region of `size` 0 takes its size from the file, rounded up to its page
 * size (Microkit's rule). */
static bool read_prefill(const struct xml_node *node, const char *name, const char *search_path, const char *file,
                         struct region *r)
{
    char resolved[4096];
    if (!find_program(search_path, file, resolved, sizeof(resolved))) {
        diag_error(node->line, "memory region '%s': prefill file '%s' not found (search path: %s)", name, file,
                   search_path);
        return false;
    }
    FILE *f = fopen(resolved, "rb");
    long length = -1;
    if (f != NULL && fseek(f, 0, SEEK_END) == 0) {
        length = ftell(f);
        rewind(f);
    }
    if (length <= 0 || (r->size != 0 && (uint64_t)length > r->size)) {
        if (f != NULL) {
            fclose(f);
        }
        if (length == 0) {
            diag_error(node->line, "memory region '%s': prefill file '%s' is empty", name, file);
        } else if (length < 0) {
            diag_error(node->line, "memory region '%s': cannot read prefill file '%s'", name, file);
        } else {
            diag_error(node->line, "memory region '%s': prefill file '%s' has 0x%llx bytes, more than its size 0x%llx",
                       name, file, (unsigned long long)length, (unsigned long long)r->size);
        }
        return false;
    }
    uint8_t *bytes = malloc((size_t)length);
    if (bytes == NULL || fread(bytes, 1, (size_t)length, f) != (size_t)length) {
        fclose(f);
        free(bytes);
        diag_error(node->line, "memory region '%s': cannot read prefill file '%s'", name, file);
        return false;
    }
    fclose(f);
    r->prefill = bytes;
    r->prefill_size = (uint64_t)length;
    if (r->size == 0) {
        /* length < 2^63, so rounding up to a page cannot wrap. */
        r->size = (r->prefill_size + r->page_size - 1) & ~(r->page_size - 1);
    }
    return true;
}

static bool parse_region(const struct xml_node *node, struct system *sys, const char *search_path)
{
    static const char *const allowed[] = {"name", "size", "page_size", "phys_addr", "prefill_path", NULL};
    if (!no_unsupported_attributes(node, unsupported_region_attributes)) {
        return false;
    }
    bool ok = check_attributes(node, allowed);
    const char *name = required(node, "name");
    const char *prefill = xml_attr(node, "prefill_path");
    uint64_t size, page_size, phys;
    /* With a prefill file the size may be left out (it is the file's, rounded up). */
    ok = number_attr(node, "size", prefill == NULL, 0, UINT64_MAX, &size) && ok;
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
    struct region r = {.name = NULL, .line = node->line, .size = size, .page_size = page_size};
    if (prefill != NULL && (xml_attr(node, "size") == NULL || size != 0) &&
        !read_prefill(node, name, search_path, prefill, &r)) {
        return false;
    }
    if (r.size == 0 || r.size % page_size != 0) {
        diag_error(node->line, "memory region '%s': size 0x%llx is not a non-zero multiple of its page size 0x%llx",
                   name, (unsigned long long)r.size, (unsigned long long)page_size);
        free(r.prefill);
        return false;
    }
    bool fixed = xml_attr(node, "phys_addr") != NULL;
    if (fixed && phys % page_size != 0) {
        diag_error(node->line, "memory region '%s': phys_addr 0x%llx is not aligned to its page size 0x%llx", name,
                   (unsigned long long)phys, (unsigned long long)page_size);
        free(r.prefill);
        return false;
    }
    sys->regions = grow(sys->regions, sys->region_count, sizeof(*sys->regions));
    r.name = dup_string(name);
    r.fixed = fixed;
    r.paddr = phys;
    sys->regions[sys->region_count++] = r;
    return true;
}

/* Any combination of r, w and x in any order (Microkit's rule), but not write-only. The
 * kernel maps nothing without read access, so a map without r is given it, with a warning:
 * "x" becomes read+execute, never more than that. */
static bool parse_perms(const struct xml_node *node, const char *text, unsigned *perms)
{
    unsigned p = 0;
    for (const char *c = text; *c != '\0'; c++) {
        if (*c == 'r') {
            p |= PERM_R;
        } else if (*c == 'w') {
            p |= PERM_W;
        } else if (*c == 'x') {
            p |= PERM_X;
        } else {
            p = 0;
            break;
        }
    }
    if (p == 0) {
        diag_error(node->line, "<map> perms=\"%s\" must be a combination of r, w and x", text);
        return false;
    }
    if (p == PERM_W) {
        diag_error(node->line, "<map> perms=\"w\": write-only maps are not possible (add r)");
        return false;
    }
    if (!(p & PERM_R)) {
        diag_warning(node->line,
                     "<map> perms=\"%s\": Tessera's kernel maps nothing without read access; mapped readable too",
                     text);
        p |= PERM_R;
    }
    *perms = p;
    return true;
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
        diag_error(node->line, "<%s> %s=\"%s\" is not a symbol name or name[index] (index up to 9999)", node->name,
                   attribute, text);
    }
    return valid;
}

static bool parse_map(const struct xml_node *node, struct system *sys, bool in_vm, struct map **maps, unsigned *count)
{
    static const char *const pd_allowed[] = {
        "mr", "vaddr", "perms", "cached", "setvar_vaddr", "setvar_size", "setvar_prefill_size", NULL};
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
    const char *setvar_prefill = xml_attr(node, "setvar_prefill_size");
    if ((setvar != NULL && !symbol_reference_valid(node, "setvar_vaddr", setvar)) ||
        (setvar_size != NULL && !symbol_reference_valid(node, "setvar_size", setvar_size)) ||
        (setvar_prefill != NULL && !symbol_reference_valid(node, "setvar_prefill_size", setvar_prefill))) {
        return false;
    }
    if (setvar_prefill != NULL && sys->regions[region].prefill == NULL) {
        diag_error(node->line, "<map> setvar_prefill_size=\"%s\": memory region '%s' has no prefill_path",
                   setvar_prefill, mr);
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
                      setvar_size ? dup_string(setvar_size) : NULL,
                      setvar_prefill ? dup_string(setvar_prefill) : NULL};
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
            static const char *const vcpu_allowed[] = {"id", "setvar_id", "cpu", NULL};
            uint64_t id;
            if (!check_attributes(child, vcpu_allowed) || !number_attr(child, "id", true, 0, MAX_IDS - 1, &id) ||
                !cpu_attr(child) || !add_id_setvar(child, sys, owner, id)) {
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
        } else if (!refused_element(child)) {
            diag_error(child->line, "unknown element <%s> in <virtual_machine>", child->name);
            ok = false;
        } else {
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

/* path_for_symbols: the same program with its symbol table, for a stripped image. Its
 * loadable segments must be the image's, so the symbols' addresses mean the same there. */
static bool load_symbols(const struct xml_node *node, const char *search_path, const char *pd_name, struct pd *pd)
{
    const char *path = xml_attr(node, "path_for_symbols");
    if (path == NULL) {
        return true;
    }
    char resolved[4096];
    char why[512];
    if (!find_program(search_path, path, resolved, sizeof(resolved))) {
        diag_error(node->line, "symbols file '%s' of '%s' not found (search path: %s)", path, pd_name, search_path);
        return false;
    }
    if (!elf_load(resolved, &pd->symbols, why, sizeof(why))) {
        diag_error(node->line, "symbols file of '%s': %s", pd_name, why);
        return false;
    }
    bool same = pd->symbols.segment_count == pd->elf.segment_count && pd->elf.entry == pd->symbols.entry;
    for (unsigned i = 0; same && i < pd->elf.segment_count; i++) {
        same = pd->symbols.segments[i].vaddr == pd->elf.segments[i].vaddr &&
               pd->symbols.segments[i].mem_size == pd->elf.segments[i].mem_size;
    }
    if (!same) {
        diag_error(node->line, "symbols file '%s' of '%s' is not the same program as its image (segments differ)", path,
                   pd_name);
        return false;
    }
    return true;
}

static bool parse_pd(const struct xml_node *node, struct system *sys, int parent, const char *search_path)
{
    static const char *const allowed[] = {"name", "priority", "budget", "period", "passive",   "pp", "stack_size",
                                          "smc",  "id",       "cpu",    "fpu",    "setvar_id", NULL};
    if (!no_unsupported_attributes(node, unsupported_pd_attributes)) {
        return false;
    }
    bool ok = check_attributes(node, allowed);
    const char *name = required(node, "name");
    uint64_t priority, budget, period, stack_size, id = 0;
    bool passive, smc, pp, fpu;
    ok = number_attr(node, "priority", false, 0, 254, &priority) && ok;
    ok = number_attr(node, "budget", false, 1000, UINT32_MAX, &budget) && ok;
    ok = number_attr(node, "period", false, budget, UINT32_MAX, &period) && ok;
    ok = number_attr(node, "stack_size", false, 0x2000, 0x1000000, &stack_size) && ok;
    ok = bool_attr(node, "passive", false, &passive) && ok;
    ok = bool_attr(node, "smc", false, &smc) && ok;
    ok = bool_attr(node, "pp", false, &pp) && ok; /* older Microkit files mark PPC servers; accepted */
    /* fpu="false" is accepted: the kernel switches FP state lazily, so a PD that uses none costs
     * nothing, which is what Microkit's fpu="false" buys; FP use is not made to fault, though. */
    ok = bool_attr(node, "fpu", true, &fpu) && ok;
    ok = cpu_attr(node) && ok;
    if (parent >= 0) {
        ok = number_attr(node, "id", true, 0, MAX_IDS - 1, &id) && ok;
    } else if (xml_attr(node, "id") != NULL || xml_attr(node, "setvar_id") != NULL) {
        diag_error(node->line, "protection domain '%s': only a child PD (nested in another) has an id or setvar_id",
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
    /* A child's setvar_id is the parent's to read (its id for this child). */
    if (parent >= 0 && !add_id_setvar(node, sys, (unsigned)parent, id)) {
        ok = false;
    }
    unsigned images = 0;
    for (unsigned i = 0; i < node->child_count; i++) {
        const struct xml_node *child = node->children[i];
        struct pd *pd = &sys->pds[index];
        if (strcmp(child->name, "program_image") == 0) {
            static const char *const image_allowed[] = {"path", "path_for_symbols", NULL};
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
            } else if (!load_symbols(child, search_path, name, pd)) {
                ok = false;
            }
        } else if (strcmp(child->name, "map") == 0) {
            ok = parse_map(child, sys, false, &pd->maps, &pd->map_count) && ok;
        } else if (strcmp(child->name, "irq") == 0) {
            static const char *const irq_allowed[] = {"irq", "id", "trigger", "setvar_id", NULL};
            uint64_t intid, irq_id;
            if (!no_unsupported_attributes(child, unsupported_irq_attributes)) {
                ok = false;
                continue;
            }
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
            if (!irq_ok || !add_id_setvar(child, sys, index, irq_id)) {
                ok = false;
                continue;
            }
            pd = &sys->pds[index];
            pd->irqs = grow(pd->irqs, pd->irq_count, sizeof(*pd->irqs));
            pd->irqs[pd->irq_count++] = (struct irq){child->line, (unsigned)intid, (unsigned)irq_id,
                                                     trigger != NULL && strcmp(trigger, "edge") == 0};
        } else if (strcmp(child->name, "setvar") == 0) {
            static const char *const setvar_allowed[] = {"symbol", "region_paddr", NULL};
            const char *symbol = required(child, "symbol");
            const char *region = required(child, "region_paddr");
            if (!check_attributes(child, setvar_allowed) || symbol == NULL || region == NULL ||
                !symbol_reference_valid(child, "symbol", symbol)) {
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
        } else if (!refused_element(child)) {
            diag_error(child->line, "unknown element <%s> in <protection_domain>", child->name);
            ok = false;
        } else {
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
    static const char *const end_allowed[] = {"pd", "id", "pp", "notify", "setvar_id", NULL};
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
        if (!add_id_setvar(child, sys, (unsigned)index, id)) {
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

struct symbol_use {
    const char *symbol;
    int line;
};

static void add_use(struct symbol_use *uses, unsigned *count, const char *symbol, int line)
{
    if (symbol != NULL) {
        uses[(*count)++] = (struct symbol_use){symbol, line};
    }
}

/* One symbol receives one value: a second setvar of the same symbol in a PD is an error naming
 * the first (Microkit refuses it too), not a silent last-one-wins. */
static bool check_setvar_symbols(const struct system *sys)
{
    bool ok = true;
    for (unsigned p = 0; p < sys->pd_count; p++) {
        const struct pd *pd = &sys->pds[p];
        unsigned max = 3 * pd->map_count + pd->setvar_count + pd->id_setvar_count, count = 0;
        struct symbol_use *uses = calloc(max + 1, sizeof(*uses));
        if (uses == NULL) {
            fprintf(stderr, "mksystem: out of memory\n");
            exit(2);
        }
        for (unsigned m = 0; m < pd->map_count; m++) {
            add_use(uses, &count, pd->maps[m].setvar_vaddr, pd->maps[m].line);
            add_use(uses, &count, pd->maps[m].setvar_size, pd->maps[m].line);
            add_use(uses, &count, pd->maps[m].setvar_prefill_size, pd->maps[m].line);
        }
        for (unsigned i = 0; i < pd->setvar_count; i++) {
            add_use(uses, &count, pd->setvars[i].symbol, pd->setvars[i].line);
        }
        for (unsigned i = 0; i < pd->id_setvar_count; i++) {
            add_use(uses, &count, pd->id_setvars[i].symbol, pd->id_setvars[i].line);
        }
        for (unsigned i = 0; i < count; i++) {
            for (unsigned j = 0; j < i; j++) {
                if (strcmp(uses[i].symbol, uses[j].symbol) == 0) {
                    diag_error(uses[i].line, "PD '%s': symbol '%s' is already set (line %d)", pd->name, uses[i].symbol,
                               uses[j].line);
                    ok = false;
                    break;
                }
            }
        }
        free(uses);
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
    /* A Microkit feature Tessera cannot give is said first: the rest of such a file is written
     * for it, so what follows would only be errors that stem from it. */
    for (unsigned i = 0; i < root->child_count; i++) {
        ok = !refused_element(root->children[i]) && ok;
    }
    /* Regions first: maps and setvars may name regions defined later in the file. */
    for (unsigned i = 0; i < root->child_count; i++) {
        if (strcmp(root->children[i]->name, "memory_region") == 0) {
            ok = parse_region(root->children[i], sys, search_path) && ok;
        }
    }
    for (unsigned i = 0; i < root->child_count; i++) {
        if (strcmp(root->children[i]->name, "protection_domain") == 0) {
            ok = parse_pd(root->children[i], sys, -1, search_path) && ok;
        }
    }
    if (unsupported_count != 0) {
        return false;
    }
    for (unsigned i = 0; i < root->child_count; i++) {
        const struct xml_node *child = root->children[i];
        if (strcmp(child->name, "channel") == 0) {
            ok = parse_channel(child, sys) && ok;
        } else if (strcmp(child->name, "memory_region") != 0 && strcmp(child->name, "protection_domain") != 0 &&
                   !is_refused_element(child)) {
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
    bool symbols_ok = check_setvar_symbols(sys);
    return check_irqs_unique(sys) && ids_ok && symbols_ok;
}

void model_free(struct system *sys)
{
    for (unsigned i = 0; i < sys->region_count; i++) {
        free(sys->regions[i].name);
        free(sys->regions[i].prefill);
    }
    for (unsigned p = 0; p < sys->pd_count; p++) {
        struct pd *pd = &sys->pds[p];
        for (unsigned m = 0; m < pd->map_count; m++) {
            free(pd->maps[m].setvar_vaddr);
            free(pd->maps[m].setvar_size);
            free(pd->maps[m].setvar_prefill_size);
        }
        for (unsigned s = 0; s < pd->setvar_count; s++) {
            free(pd->setvars[s].symbol);
        }
        for (unsigned s = 0; s < pd->id_setvar_count; s++) {
            free(pd->id_setvars[s].symbol);
        }
        free(pd->id_setvars);
        elf_free(&pd->symbols);
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
