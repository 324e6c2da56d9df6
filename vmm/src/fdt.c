#include <stdbool.h>
#include <vmm/fdt.h>

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_NOP        4
#define FDT_END        9

/* Header fields, big-endian 32-bit words. */
#define H_MAGIC             0
#define H_TOTALSIZE         1
#define H_OFF_STRUCT        2
#define H_OFF_STRINGS       3
#define H_OFF_RSVMAP        4
#define H_VERSION           5
#define H_LAST_COMP_VERSION 6
#define H_SIZE_STRINGS      8
#define H_SIZE_STRUCT       9

#define FDT_HEADER_SIZE    40 /* version 17: ten 32-bit words */
#define FDT_RSV_ENTRY_SIZE 16 /* a 64-bit address and a 64-bit size */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t header(const void *blob, unsigned field)
{
    return be32((const uint8_t *)blob + 4 * field);
}

static void set_header(void *blob, unsigned field, uint32_t value)
{
    put_be32((uint8_t *)blob + 4 * field, value);
}

uint32_t fdt_total_size(const void *blob)
{
    return header(blob, H_TOTALSIZE);
}

static uint32_t align4(uint32_t n)
{
    return (n + 3) & ~3u;
}

static size_t string_length(const uint8_t *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}

static int compare_name(const uint8_t *a, const char *b, size_t b_length)
{
    for (size_t i = 0; i < b_length; i++) {
        if (a[i] != (uint8_t)b[i]) {
            return 1;
        }
    }
    return 0;
}

/* Magic, a version whose header has size_dt_struct (17) and that a version-17 reader may read,
 * and a totalsize that holds the header and fits the memory the blob is in. */
static enum fdt_error check_header(const void *blob, size_t capacity)
{
    if (capacity < FDT_HEADER_SIZE || header(blob, H_MAGIC) != FDT_MAGIC || header(blob, H_VERSION) < 17 ||
        header(blob, H_LAST_COMP_VERSION) > 17) {
        return FDT_BAD_HEADER;
    }
    uint32_t total = header(blob, H_TOTALSIZE);
    if (total < FDT_HEADER_SIZE || total > capacity) {
        return FDT_BAD_HEADER;
    }
    return FDT_OK;
}

/* The memory reservation block: 16-byte (address, size) entries from `offset`, the last one
 * (0, 0), all before `limit`. Its end (after the terminator) in *end. Bounded by limit. */
static enum fdt_error check_reservations(const uint8_t *b, uint64_t offset, uint64_t limit, uint64_t *end)
{
    if ((offset & 7) != 0 || offset < FDT_HEADER_SIZE) {
        return FDT_BAD_LAYOUT;
    }
    for (uint64_t entry = offset; entry <= limit && limit - entry >= FDT_RSV_ENTRY_SIZE; entry += FDT_RSV_ENTRY_SIZE) {
        bool terminator = true;
        for (unsigned i = 0; i < FDT_RSV_ENTRY_SIZE; i++) {
            terminator = terminator && b[entry + i] == 0;
        }
        if (terminator) {
            *end = entry + FDT_RSV_ENTRY_SIZE;
            return FDT_OK;
        }
    }
    return FDT_BAD_LAYOUT;
}

/* Header, reservations, structure, strings: in this order, disjoint, inside totalsize. The
 * header's values are 32-bit; every sum is taken in 64 bits, so none wraps. */
static enum fdt_error check_layout(const void *blob)
{
    uint64_t total = header(blob, H_TOTALSIZE);
    uint64_t off_rsvmap = header(blob, H_OFF_RSVMAP);
    uint64_t off_struct = header(blob, H_OFF_STRUCT), size_struct = header(blob, H_SIZE_STRUCT);
    uint64_t off_strings = header(blob, H_OFF_STRINGS), size_strings = header(blob, H_SIZE_STRINGS);
    uint64_t rsvmap_end;
    /* The reservations may not run into the structure block, which must itself be in the blob. */
    if (off_struct > total || off_rsvmap > off_struct ||
        check_reservations(blob, off_rsvmap, off_struct, &rsvmap_end) != FDT_OK) {
        return FDT_BAD_LAYOUT;
    }
    if ((off_struct & 3) != 0 || off_struct < rsvmap_end || off_struct + size_struct > off_strings ||
        off_strings + size_strings > total) {
        return FDT_BAD_LAYOUT;
    }
    return FDT_OK;
}

/* Walk the structure block: tokens in bounds, names terminated, nesting balanced, one END. */
static enum fdt_error check_structure(const void *blob)
{
    uint32_t off_struct = header(blob, H_OFF_STRUCT), size_struct = header(blob, H_SIZE_STRUCT);
    uint32_t off_strings = header(blob, H_OFF_STRINGS), size_strings = header(blob, H_SIZE_STRINGS);
    if (size_struct < 8) {
        return FDT_BAD_STRUCTURE;
    }
    const uint8_t *p = (const uint8_t *)blob + off_struct;
    uint32_t pos = 0;
    int depth = 0;
    for (;;) {
        if (pos + 4 > size_struct) {
            return FDT_BAD_STRUCTURE;
        }
        uint32_t token = be32(p + pos);
        pos += 4;
        if (token == FDT_BEGIN_NODE) {
            size_t n = string_length(p + pos, size_struct - pos);
            if (n == size_struct - pos) {
                return FDT_BAD_STRUCTURE;
            }
            pos += align4((uint32_t)n + 1);
            depth++;
        } else if (token == FDT_END_NODE) {
            if (--depth < 0) {
                return FDT_BAD_STRUCTURE;
            }
        } else if (token == FDT_PROP) {
            if (pos + 8 > size_struct) {
                return FDT_BAD_STRUCTURE;
            }
            uint32_t length = be32(p + pos), name = be32(p + pos + 4);
            if (length > size_struct - pos - 8 || name >= size_strings ||
                string_length((const uint8_t *)blob + off_strings + name, size_strings - name) == size_strings - name) {
                return FDT_BAD_STRUCTURE;
            }
            pos += 8 + align4(length);
        } else if (token == FDT_NOP) {
            continue;
        } else if (token == FDT_END) {
            return depth == 0 ? FDT_OK : FDT_BAD_STRUCTURE;
        } else {
            return FDT_BAD_STRUCTURE;
        }
    }
}

enum fdt_error fdt_check(const void *blob, size_t capacity)
{
    /* In this order: the layout check reads only within totalsize, which the header check
     * bounded, and the structure walk only within blocks the layout check placed. */
    enum fdt_error e = check_header(blob, capacity);
    if (e == FDT_OK) {
        e = check_layout(blob);
    }
    if (e == FDT_OK) {
        e = check_structure(blob);
    }
    return e;
}

const char *fdt_error_text(enum fdt_error error)
{
    switch (error) {
    case FDT_OK:
        return "no error";
    case FDT_BAD_HEADER:
        return "not a version 17 device tree that fits its buffer";
    case FDT_BAD_STRUCTURE:
        return "malformed structure block";
    case FDT_NOT_FOUND:
        return "node or property not found";
    case FDT_NO_SPACE:
        return "no room left to grow the device tree";
    case FDT_BAD_LAYOUT:
        return "blocks out of order, overlapping or outside totalsize";
    }
    return "unknown error";
}

/* Offset (in the struct block) just after the BEGIN_NODE token + name of the node at path. */
static enum fdt_error find_node(const void *blob, const char *path, uint32_t *after_name)
{
    const uint8_t *p = (const uint8_t *)blob + header(blob, H_OFF_STRUCT);
    uint32_t size = header(blob, H_SIZE_STRUCT);
    uint32_t pos = 0;
    int depth = 0;
    int matched = 0; /* components of path matched so far (the root is depth 1) */
    const char *component = path[0] == '/' ? path + 1 : path;
    while (pos + 4 <= size) {
        uint32_t token = be32(p + pos);
        pos += 4;
        if (token == FDT_BEGIN_NODE) {
            size_t n = string_length(p + pos, size - pos);
            const uint8_t *name = p + pos;
            pos += align4((uint32_t)n + 1);
            depth++;
            if (depth == 1) {
                matched = 0;
                if (*component == '\0') {
                    *after_name = pos;
                    return FDT_OK;
                }
                continue;
            }
            if (depth == matched + 2) {
                const char *end = component;
                while (*end != '\0' && *end != '/') {
                    end++;
                }
                size_t length = (size_t)(end - component);
                if (n == length && compare_name(name, component, length) == 0) {
                    matched++;
                    if (*end == '\0') {
                        *after_name = pos;
                        return FDT_OK;
                    }
                    component = end + 1;
                }
            }
        } else if (token == FDT_END_NODE) {
            if (depth <= matched + 1 && matched > 0 && depth == matched + 1) {
                return FDT_NOT_FOUND; /* left the matched parent without finding the child */
            }
            depth--;
        } else if (token == FDT_PROP) {
            pos += 8 + align4(be32(p + pos));
        } else if (token == FDT_END) {
            break;
        }
    }
    return FDT_NOT_FOUND;
}

/* The node's property named `name`: offset of its FDT_PROP token, or FDT_NOT_FOUND. */
static enum fdt_error find_property(const void *blob, uint32_t node, const char *name, uint32_t *prop)
{
    const uint8_t *p = (const uint8_t *)blob + header(blob, H_OFF_STRUCT);
    const uint8_t *strings = (const uint8_t *)blob + header(blob, H_OFF_STRINGS);
    uint32_t size = header(blob, H_SIZE_STRUCT);
    size_t name_length = string_length((const uint8_t *)name, 256);
    uint32_t pos = node;
    while (pos + 4 <= size) {
        uint32_t token = be32(p + pos);
        if (token == FDT_PROP) {
            uint32_t length = be32(p + pos + 4);
            const uint8_t *prop_name = strings + be32(p + pos + 8);
            if (compare_name(prop_name, name, name_length + 1) == 0) {
                *prop = pos;
                return FDT_OK;
            }
            pos += 12 + align4(length);
        } else if (token == FDT_NOP) {
            pos += 4;
        } else {
            return FDT_NOT_FOUND; /* properties come before subnodes */
        }
    }
    return FDT_NOT_FOUND;
}

/* Open (delta > 0) or close (delta < 0) a gap at absolute offset `at`, keeping offsets right. */
static enum fdt_error resize(void *blob, size_t capacity, uint32_t at, int32_t delta, unsigned grown_block)
{
    uint8_t *b = blob;
    uint32_t total = header(blob, H_TOTALSIZE);
    if (delta > 0 && (uint64_t)total + (uint32_t)delta > capacity) {
        return FDT_NO_SPACE;
    }
    uint32_t tail = total - at;
    if (delta > 0) {
        for (uint32_t i = tail; i > 0; i--) {
            b[at + (uint32_t)delta + i - 1] = b[at + i - 1];
        }
    } else {
        uint32_t shrink = (uint32_t)(-delta);
        for (uint32_t i = 0; i + shrink < tail; i++) {
            b[at + i] = b[at + shrink + i];
        }
    }
    set_header(blob, H_TOTALSIZE, (uint32_t)((int64_t)total + delta));
    static const unsigned offsets[] = {H_OFF_STRUCT, H_OFF_STRINGS, H_OFF_RSVMAP};
    for (unsigned i = 0; i < 3; i++) {
        if (header(blob, offsets[i]) > at) {
            set_header(blob, offsets[i], (uint32_t)((int64_t)header(blob, offsets[i]) + delta));
        }
    }
    set_header(blob, grown_block, (uint32_t)((int64_t)header(blob, grown_block) + delta));
    return FDT_OK;
}

/* Offset of `name` in the strings block, adding it at the end if absent. */
static enum fdt_error string_offset(void *blob, size_t capacity, const char *name, uint32_t *offset)
{
    const uint8_t *strings = (const uint8_t *)blob + header(blob, H_OFF_STRINGS);
    uint32_t size = header(blob, H_SIZE_STRINGS);
    size_t name_length = string_length((const uint8_t *)name, 256);
    for (uint32_t pos = 0; pos + name_length < size;) {
        size_t n = string_length(strings + pos, size - pos);
        if (n == name_length && compare_name(strings + pos, name, name_length) == 0) {
            *offset = pos;
            return FDT_OK;
        }
        pos += (uint32_t)n + 1;
    }
    uint32_t at = header(blob, H_OFF_STRINGS) + size;
    enum fdt_error e = resize(blob, capacity, at, (int32_t)(name_length + 1), H_SIZE_STRINGS);
    if (e != FDT_OK) {
        return e;
    }
    uint8_t *dest = (uint8_t *)blob + at;
    for (size_t i = 0; i <= name_length; i++) {
        dest[i] = i < name_length ? (uint8_t)name[i] : 0;
    }
    *offset = size;
    return FDT_OK;
}

enum fdt_error fdt_set_property(void *blob, size_t capacity, const char *path, const char *name, const void *value,
                                uint32_t length)
{
    enum fdt_error e = fdt_check(blob, capacity);
    if (e != FDT_OK) {
        return e;
    }
    uint32_t name_offset;
    e = string_offset(blob, capacity, name, &name_offset);
    if (e != FDT_OK) {
        return e;
    }
    uint32_t node, prop;
    e = find_node(blob, path, &node);
    if (e != FDT_OK) {
        return e;
    }
    uint32_t struct_base = header(blob, H_OFF_STRUCT);
    if (find_property(blob, node, name, &prop) == FDT_OK) {
        uint32_t old = align4(be32((uint8_t *)blob + struct_base + prop + 4));
        e = resize(blob, capacity, struct_base + prop + 12, (int32_t)align4(length) - (int32_t)old, H_SIZE_STRUCT);
    } else {
        prop = node;
        e = resize(blob, capacity, struct_base + prop, (int32_t)(12 + align4(length)), H_SIZE_STRUCT);
    }
    if (e != FDT_OK) {
        return e;
    }
    uint8_t *p = (uint8_t *)blob + header(blob, H_OFF_STRUCT) + prop;
    put_be32(p, FDT_PROP);
    put_be32(p + 4, length);
    put_be32(p + 8, name_offset);
    const uint8_t *v = value;
    for (uint32_t i = 0; i < align4(length); i++) {
        p[12 + i] = i < length ? v[i] : 0;
    }
    return fdt_check(blob, capacity);
}

enum fdt_error fdt_get_property(const void *blob, const char *path, const char *name, const void **value,
                                uint32_t *length)
{
    uint32_t node, prop;
    /* The walks below trust the header; the caller gave no size, so totalsize stands in. */
    enum fdt_error e = fdt_check(blob, header(blob, H_TOTALSIZE));
    if (e == FDT_OK) {
        e = find_node(blob, path, &node);
    }
    if (e == FDT_OK) {
        e = find_property(blob, node, name, &prop);
    }
    if (e != FDT_OK) {
        return e;
    }
    const uint8_t *p = (const uint8_t *)blob + header(blob, H_OFF_STRUCT) + prop;
    *length = be32(p + 4);
    *value = p + 12;
    return FDT_OK;
}
