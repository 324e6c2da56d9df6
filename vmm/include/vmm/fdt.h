/* A flattened device tree (devicetree specification v0.4, chapter 5) edited in place: enough to
 * set a VM's memory, bootargs and initrd range before it boots. Every offset and size in the
 * blob is checked before use; a malformed blob is refused, never followed, and left as it was.
 *
 * Editing moves bytes and rewrites the header's offsets, which is only right if the blocks lie
 * in the order dtc and libfdt write them, without overlap, inside totalsize: the header (v17,
 * 40 bytes), the memory reservation block (8-byte aligned, ending in its (0, 0) entry), the
 * structure block (4-byte aligned), the strings block. Free space between them is fine. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum fdt_error {
    FDT_OK = 0,
    FDT_BAD_HEADER,
    FDT_BAD_STRUCTURE,
    FDT_NOT_FOUND,
    FDT_NO_SPACE,
    FDT_BAD_LAYOUT, /* blocks out of order, overlapping, or outside totalsize */
};

/* Check the blob (its header says how big it is) fits `capacity` bytes, has its blocks laid out
 * as above and a well-formed structure block. */
enum fdt_error fdt_check(const void *blob, size_t capacity);
/* Set (add or replace) property `name` of the node at `path` ("/chosen", "/memory@40000000"). */
enum fdt_error fdt_set_property(void *blob, size_t capacity, const char *path, const char *name, const void *value,
                                uint32_t length);
/* Read a property: its value and length (pointer into the blob). The blob is checked first,
 * trusting its totalsize as the size of the memory it is in. */
enum fdt_error fdt_get_property(const void *blob, const char *path, const char *name, const void **value,
                                uint32_t *length);
uint32_t fdt_total_size(const void *blob);
/* A short sentence for an error, to report it by name ("unknown error" for none of them). */
const char *fdt_error_text(enum fdt_error error);
