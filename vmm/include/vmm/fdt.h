/* A flattened device tree (devicetree specification v0.4, chapter 5) edited in place: enough to
 * set a VM's memory, bootargs and initrd range before it boots. Every offset and size in the
 * blob is checked before use; a malformed blob is refused, never followed. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum fdt_error {
    FDT_OK = 0,
    FDT_BAD_HEADER,
    FDT_BAD_STRUCTURE,
    FDT_NOT_FOUND,
    FDT_NO_SPACE,
};

/* Check the blob (its header says how big it is) fits `capacity` bytes and is well formed. */
enum fdt_error fdt_check(const void *blob, size_t capacity);
/* Set (add or replace) property `name` of the node at `path` ("/chosen", "/memory@40000000"). */
enum fdt_error fdt_set_property(void *blob, size_t capacity, const char *path, const char *name, const void *value,
                                uint32_t length);
/* Read a property: its value and length (pointer into the blob). */
enum fdt_error fdt_get_property(const void *blob, const char *path, const char *name, const void **value,
                                uint32_t *length);
uint32_t fdt_total_size(const void *blob);
