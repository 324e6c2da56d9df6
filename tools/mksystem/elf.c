/* ELF64 (System V gABI; AArch64 ELF ABI) reading with overflow-safe bounds checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "elf.h"

#define EM_AARCH64 183
#define ET_EXEC    2
#define PT_LOAD    1
#define SHT_SYMTAB 2

struct elf64_header {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

struct elf64_shdr {
    uint32_t name, type;
    uint64_t flags, addr, offset, size;
    uint32_t link, info;
    uint64_t addralign, entsize;
};

struct elf64_sym {
    uint32_t name;
    uint8_t info, other;
    uint16_t shndx;
    uint64_t value, size;
};

/* [offset, offset + length) lies inside a file of `size` bytes. */
static bool in_file(uint64_t offset, uint64_t length, size_t size)
{
    uint64_t end;
    return !__builtin_add_overflow(offset, length, &end) && end <= size;
}

/* A loadable segment must be loadable as written: its bytes in the file, no more of them than
 * it occupies in memory, and its memory range not wrapping past 2^64 (a wrapped end would look
 * like a small segment to every later range check). `index` is the program header's. */
static bool segment_ok(const char *path, unsigned index, const struct elf64_phdr *p, size_t file_size, char *why,
                       size_t why_size)
{
    uint64_t end;
    if (p->filesz > p->memsz) {
        snprintf(why, why_size, "'%s': loadable segment %u has more file bytes (0x%llx) than memory bytes (0x%llx)",
                 path, index, (unsigned long long)p->filesz, (unsigned long long)p->memsz);
        return false;
    }
    if (!in_file(p->offset, p->filesz, file_size)) {
        snprintf(why, why_size,
                 "'%s': loadable segment %u (file offset 0x%llx, 0x%llx bytes) lies past the end of "
                 "the file (0x%zx bytes)",
                 path, index, (unsigned long long)p->offset, (unsigned long long)p->filesz, file_size);
        return false;
    }
    /* The segment is mapped in whole pages: its last page must end by 2^64 too. */
    if (__builtin_add_overflow(p->vaddr, p->memsz, &end) || __builtin_add_overflow(end, ELF_PAGE_SIZE - 1, &end)) {
        snprintf(why, why_size,
                 "'%s': loadable segment %u (vaddr 0x%llx, memsz 0x%llx) runs past the end of the "
                 "address space",
                 path, index, (unsigned long long)p->vaddr, (unsigned long long)p->memsz);
        return false;
    }
    return true;
}

bool elf_load(const char *path, struct elf_file *elf, char *why, size_t why_size)
{
    memset(elf, 0, sizeof(*elf));
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(why, why_size, "cannot open '%s'", path);
        return false;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        snprintf(why, why_size, "cannot read '%s'", path);
        return false;
    }
    long length = ftell(f);
    rewind(f);
    if (length < (long)sizeof(struct elf64_header)) {
        fclose(f);
        snprintf(why, why_size, "'%s' is too short to be an ELF file", path);
        return false;
    }
    elf->size = (size_t)length;
    elf->data = malloc(elf->size);
    if (elf->data == NULL || fread(elf->data, 1, elf->size, f) != elf->size) {
        fclose(f);
        snprintf(why, why_size, "cannot read '%s'", path);
        elf_free(elf);
        return false;
    }
    fclose(f);

    struct elf64_header h;
    memcpy(&h, elf->data, sizeof(h));
    if (memcmp(h.ident, "\177ELF", 4) != 0) {
        snprintf(why, why_size, "'%s' is not an ELF file", path);
        goto bad;
    }
    if (h.ident[4] != 2 || h.ident[5] != 1 || h.machine != EM_AARCH64) {
        snprintf(why, why_size, "'%s' is not a little-endian 64-bit AArch64 ELF file", path);
        goto bad;
    }
    if (h.type != ET_EXEC) {
        snprintf(why, why_size, "'%s' is not an executable (link it with the PD link script)", path);
        goto bad;
    }
    if (h.phentsize != sizeof(struct elf64_phdr) || !in_file(h.phoff, (uint64_t)h.phnum * h.phentsize, elf->size)) {
        snprintf(why, why_size, "'%s' has a corrupt program header table", path);
        goto bad;
    }
    elf->entry = h.entry;
    elf->segments = calloc(h.phnum + 1u, sizeof(*elf->segments));
    if (elf->segments == NULL) {
        snprintf(why, why_size, "out of memory reading '%s'", path);
        goto bad;
    }
    for (unsigned i = 0; i < h.phnum; i++) {
        struct elf64_phdr p;
        memcpy(&p, elf->data + h.phoff + (uint64_t)i * sizeof(p), sizeof(p));
        if (p.type != PT_LOAD || p.memsz == 0) {
            continue;
        }
        if (!segment_ok(path, i, &p, elf->size, why, why_size)) {
            goto bad;
        }
        elf->segments[elf->segment_count++] =
            (struct elf_segment){p.vaddr, p.offset, p.filesz, p.memsz, p.flags, 0, i, NULL};
    }
    if (elf->segment_count == 0) {
        snprintf(why, why_size, "'%s' has nothing to load", path);
        goto bad;
    }
    if (h.shnum != 0) {
        if (h.shentsize != sizeof(struct elf64_shdr) || !in_file(h.shoff, (uint64_t)h.shnum * h.shentsize, elf->size)) {
            snprintf(why, why_size, "'%s' has a corrupt section header table", path);
            goto bad;
        }
        for (unsigned i = 0; i < h.shnum; i++) {
            struct elf64_shdr s;
            memcpy(&s, elf->data + h.shoff + (uint64_t)i * sizeof(s), sizeof(s));
            if (s.type != SHT_SYMTAB) {
                continue;
            }
            struct elf64_shdr str;
            if (s.link >= h.shnum) {
                snprintf(why, why_size, "'%s' has a corrupt symbol table", path);
                goto bad;
            }
            memcpy(&str, elf->data + h.shoff + (uint64_t)s.link * sizeof(str), sizeof(str));
            if (!in_file(s.offset, s.size, elf->size) || !in_file(str.offset, str.size, elf->size) ||
                s.entsize != sizeof(struct elf64_sym)) {
                snprintf(why, why_size, "'%s' has a corrupt symbol table", path);
                goto bad;
            }
            elf->symtab_offset = s.offset;
            elf->symtab_size = s.size;
            elf->strtab_offset = str.offset;
            elf->strtab_size = str.size;
        }
    }
    return true;
bad:
    elf_free(elf);
    return false;
}

bool elf_symbol(const struct elf_file *elf, const char *name, uint64_t *addr, uint64_t *size)
{
    size_t name_len = strlen(name);
    for (uint64_t off = 0; off + sizeof(struct elf64_sym) <= elf->symtab_size; off += sizeof(struct elf64_sym)) {
        struct elf64_sym sym;
        memcpy(&sym, elf->data + elf->symtab_offset + off, sizeof(sym));
        if (sym.name >= elf->strtab_size || elf->strtab_size - sym.name <= name_len) {
            continue;
        }
        const char *s = (const char *)elf->data + elf->strtab_offset + sym.name;
        if (memcmp(s, name, name_len) == 0 && s[name_len] == '\0' && sym.shndx != 0) {
            *addr = sym.value;
            *size = sym.size;
            return true;
        }
    }
    return false;
}

bool elf_patch_symbol(struct elf_file *elf, const char *name, const void *bytes, size_t len, char *why, size_t why_size)
{
    return elf_patch_symbol_at(elf, name, 0, bytes, len, why, why_size);
}

const uint8_t *elf_segment_bytes(const struct elf_file *elf, const struct elf_segment *seg)
{
    return seg->owned != NULL ? seg->owned : elf->data + seg->offset;
}

/* Make the segment's first `needed` bytes file-backed (needed <= mem_size, checked by the
 * caller): a zeroed copy that grows into .bss, so a patch there lands in the output. */
static bool grow_file_bytes(struct elf_file *elf, struct elf_segment *seg, uint64_t needed, char *why, size_t why_size)
{
    if (needed <= seg->file_size) {
        return true;
    }
    if (needed - seg->file_size > ELF_BSS_PATCH_MAX) {
        snprintf(why, why_size,
                 "a symbol lies 0x%llx bytes past the file bytes of segment %u, in .bss; mksystem writes at most "
                 "0x%llx bytes of .bss out to patch one",
                 (unsigned long long)(needed - seg->file_size), seg->index, (unsigned long long)ELF_BSS_PATCH_MAX);
        return false;
    }
    uint8_t *bytes = calloc(1, (size_t)needed);
    if (bytes == NULL) {
        snprintf(why, why_size, "out of memory patching segment %u", seg->index);
        return false;
    }
    memcpy(bytes, elf_segment_bytes(elf, seg), (size_t)seg->file_size);
    free(seg->owned);
    seg->owned = bytes;
    seg->file_size = needed;
    return true;
}

static bool patch_address(struct elf_file *elf, const char *name, uint64_t addr, const void *bytes, size_t len,
                          char *why, size_t why_size)
{
    for (unsigned i = 0; i < elf->segment_count; i++) {
        struct elf_segment *s = &elf->segments[i];
        if (addr < s->vaddr || addr - s->vaddr >= s->mem_size) {
            continue;
        }
        uint64_t offset_in_segment = addr - s->vaddr;
        if (s->mem_size - offset_in_segment < len) {
            snprintf(why, why_size, "symbol '%s' runs past the end of its segment", name);
            return false;
        }
        if (!grow_file_bytes(elf, s, offset_in_segment + len, why, why_size)) {
            return false;
        }
        uint8_t *target = s->owned != NULL ? s->owned : elf->data + s->offset;
        memcpy(target + offset_in_segment, bytes, len);
        return true;
    }
    snprintf(why, why_size, "symbol '%s' is not in a loadable segment", name);
    return false;
}

bool elf_patch_symbol_from(struct elf_file *elf, const struct elf_file *symbols, const char *name, uint64_t offset,
                           const void *bytes, size_t len, char *why, size_t why_size)
{
    uint64_t addr, size;
    if (!elf_symbol(symbols, name, &addr, &size)) {
        snprintf(why, why_size, "symbol '%s' is not in the program", name);
        return false;
    }
    if ((size != 0 || offset != 0) && (offset > size || size - offset < len)) {
        snprintf(why, why_size, "symbol '%s' has %llu bytes, %llu needed", name, (unsigned long long)size,
                 (unsigned long long)(offset + len));
        return false;
    }
    /* A symbol whose value and size wrap past 2^64 names no memory of the program. */
    uint64_t target;
    if (__builtin_add_overflow(addr, offset, &target)) {
        snprintf(why, why_size, "symbol '%s' at 0x%llx runs past the end of the address space", name,
                 (unsigned long long)addr);
        return false;
    }
    return patch_address(elf, name, target, bytes, len, why, why_size);
}

bool elf_patch_symbol_at(struct elf_file *elf, const char *name, uint64_t offset, const void *bytes, size_t len,
                         char *why, size_t why_size)
{
    return elf_patch_symbol_from(elf, elf, name, offset, bytes, len, why, why_size);
}

void elf_free(struct elf_file *elf)
{
    for (unsigned i = 0; elf->segments != NULL && i < elf->segment_count; i++) {
        free(elf->segments[i].owned);
    }
    free(elf->data);
    free(elf->segments);
    memset(elf, 0, sizeof(*elf));
}
