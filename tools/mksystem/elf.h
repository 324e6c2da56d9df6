/* A small checked reader/patcher of AArch64 ELF64 executables: every header, segment and section
 * is bounds-checked against the file before use. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_PAGE_SIZE 0x1000ULL /* segments are loaded and mapped in whole pages of this size */
/* A patch into .bss writes the zeros before it out too: bounded, so that a symbol placed far
 * into a huge .bss cannot make the image gigabytes long. */
#define ELF_BSS_PATCH_MAX 0x1000000ULL

struct elf_segment {
    uint64_t vaddr;
    uint64_t offset;
    uint64_t file_size;
    uint64_t mem_size;
    uint32_t flags; /* PF_X 1, PF_W 2, PF_R 4 */
    uint64_t paddr; /* set by layout: where vaddr's page lands */
    unsigned index; /* of its program header, to name it in messages */
    uint8_t *owned; /* NULL: the bytes are the file's at `offset`; else a copy grown into .bss */
};

struct elf_file {
    uint8_t *data;
    size_t size;
    uint64_t entry;
    struct elf_segment *segments; /* PT_LOAD only */
    unsigned segment_count;
    /* symbol table (may be absent) */
    uint64_t symtab_offset, symtab_size, strtab_offset, strtab_size;
};

/* Load a file; false with a sentence in `why` if it is not a usable AArch64 ELF64 executable. */
bool elf_load(const char *path, struct elf_file *elf, char *why, size_t why_size);
/* Find a symbol's address and size. */
bool elf_symbol(const struct elf_file *elf, const char *name, uint64_t *addr, uint64_t *size);
/* A segment's file-backed bytes (file_size of them). */
const uint8_t *elf_segment_bytes(const struct elf_file *elf, const struct elf_segment *seg);
/* Overwrite `len` bytes at a symbol; false (and why) if absent, too small or outside every
 * loadable segment. A symbol in .bss (past the file bytes, inside the segment's memory) is
 * patched by making the segment's bytes up to it explicit zeros in the output, as Microkit's
 * tool does: the program sees the value, everything else there stays zero. */
bool elf_patch_symbol(struct elf_file *elf, const char *name, const void *bytes, size_t len, char *why,
                      size_t why_size);
/* The same at `offset` bytes into the symbol (an element of an array), checked against its size. */
bool elf_patch_symbol_at(struct elf_file *elf, const char *name, uint64_t offset, const void *bytes, size_t len,
                         char *why, size_t why_size);
/* The same with the symbol looked up in `symbols` (the same program with its symbol table, when
 * the image given to load is stripped: <program_image path_for_symbols>). */
bool elf_patch_symbol_from(struct elf_file *elf, const struct elf_file *symbols, const char *name, uint64_t offset,
                           const void *bytes, size_t len, char *why, size_t why_size);
void elf_free(struct elf_file *elf);
