/*
 * Fuzz harness of the flattened device tree editor (vmm/src/fdt.c) the VMM runs on a guest's
 * device tree before boot. Input: a blob of any bytes (a real one from dtc in the seeds), the
 * capacity of the buffer it sits in, then property edits (the paths and names the VMM uses and
 * others, values of any length) and reads.
 *
 * Invariants:
 * - nothing is read or written outside the buffer (it is allocated to exactly its capacity, so
 *   the address sanitizer sees the first byte past it);
 * - a blob fdt_check accepts stays accepted after any edit, whether the edit succeeds or not;
 * - after a successful edit the property reads back as set, and every property set before (and
 *   not set again since) still reads back as it was;
 * - every property read lies inside the blob.
 */
#include <stdlib.h>
#include <string.h>
#include <vmm/fdt.h>
#include "fuzz.h"

#define MAX_SET   32
#define MAX_VALUE 512

static const char *const paths[] = {"/chosen", "/memory@40000000", "/",        "/soc/uart@9000000",
                                    "/soc",    "/cpus/cpu@0",      "/nothere", "/chosen/x"};
static const char *const names[] = {"bootargs",    "linux,initrd-start", "linux,initrd-end", "reg", "status",
                                    "device_type", "compatible",         "#address-cells",   "x"};

struct set {
    char path[32];
    char name[32];
    uint8_t value[MAX_VALUE];
    uint32_t length;
};

static struct set sets[MAX_SET];
static unsigned set_count;

/* A name from the list (true), or any short string (false: it may name what a listed one names,
 * "chosen" for "/chosen", so the harness does not follow what it sets). */
static bool pick(struct fuzz_input *in, const char *const *list, unsigned count, char *out, size_t size)
{
    uint8_t c = fuzz_u8(in);
    if (c < 0xf0) {
        snprintf(out, size, "%s", list[c % count]);
        return true;
    }
    /* Anything short, NUL-terminated. */
    size_t n = fuzz_below(in, (uint32_t)size - 1);
    n = fuzz_bytes(in, out, n);
    out[n] = '\0';
    return false;
}

static void check_reads_back(const uint8_t *blob, size_t capacity, const struct set *e)
{
    const void *value;
    uint32_t length;
    FUZZ_CHECK(fdt_get_property(blob, e->path, e->name, &value, &length) == FDT_OK, "property %s of %s no longer there",
               e->name, e->path);
    FUZZ_CHECK((const uint8_t *)value >= blob && length <= capacity &&
                   (const uint8_t *)value - blob <= (ptrdiff_t)(capacity - length),
               "property %s of %s outside the blob", e->name, e->path);
    FUZZ_CHECK(length == e->length && memcmp(value, e->value, length) == 0, "property %s of %s reads %u bytes, set %u",
               e->name, e->path, length, e->length);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = fuzz_input(data, size);
    uint32_t blob_length = fuzz_u16(&in) % 8192;
    uint32_t extra = fuzz_u16(&in) % 4096;
    size_t capacity = blob_length + extra;
    if (capacity == 0) {
        return 0;
    }
    uint8_t *blob = malloc(capacity);
    memset(blob, 0, capacity);
    fuzz_bytes(&in, blob, blob_length);
    set_count = 0;
    bool valid = fdt_check(blob, capacity) == FDT_OK;
    for (unsigned step = 0; step < 16 && fuzz_more(&in); step++) {
        struct set e = {0};
        bool listed = pick(&in, paths, sizeof(paths) / sizeof(paths[0]), e.path, sizeof(e.path));
        listed = pick(&in, names, sizeof(names) / sizeof(names[0]), e.name, sizeof(e.name)) && listed;
        if (fuzz_u8(&in) < 0x40) {
            /* A read: anywhere the editor says a property is must be inside the blob. */
            const void *value;
            uint32_t length;
            if (valid && fdt_get_property(blob, e.path, e.name, &value, &length) == FDT_OK) {
                FUZZ_CHECK((const uint8_t *)value >= blob && length <= capacity &&
                               (const uint8_t *)value - blob <= (ptrdiff_t)(capacity - length),
                           "property %s of %s outside the blob", e.name, e.path);
            }
            continue;
        }
        e.length = fuzz_below(&in, MAX_VALUE + 1);
        for (uint32_t i = 0; i < e.length; i++) {
            e.value[i] = (uint8_t)(i * 29 + step);
        }
        enum fdt_error r = fdt_set_property(blob, capacity, e.path, e.name, e.value, e.length);
        bool still_valid = fdt_check(blob, capacity) == FDT_OK;
        FUZZ_CHECK(!valid || still_valid, "a valid blob is no longer valid after setting %s of %s (error %d)", e.name,
                   e.path, r);
        FUZZ_CHECK(r != FDT_OK || still_valid, "setting %s of %s succeeded on a blob that is not valid", e.name,
                   e.path);
        if (r != FDT_OK || !valid) {
            continue;
        }
        FUZZ_CHECK(fdt_total_size(blob) <= capacity, "the blob grew past its capacity");
        check_reads_back(blob, capacity, &e);
        if (!listed) {
            /* Its name may be another's: earlier values may rightly have changed. */
            set_count = 0;
            continue;
        }
        /* The new value replaces any earlier one of the same property. */
        for (unsigned k = 0; k < set_count; k++) {
            if (strcmp(sets[k].path, e.path) == 0 && strcmp(sets[k].name, e.name) == 0) {
                sets[k] = sets[--set_count];
                break;
            }
        }
        if (set_count < MAX_SET) {
            sets[set_count++] = e;
        }
        for (unsigned k = 0; k < set_count; k++) {
            check_reads_back(blob, capacity, &sets[k]);
        }
    }
    free(blob);
    return 0;
}
