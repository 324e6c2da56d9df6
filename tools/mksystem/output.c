#include <stdlib.h>
#include <string.h>
#include <board.h>
#include <tessera/abi.h>
#include "diag.h"
#include "output.h"

struct out_segment {
    uint64_t paddr;
    const uint8_t *bytes;
    uint64_t file_size;
    uint64_t mem_size;
    uint32_t flags;
};

static bool write_all(FILE *out, const void *data, size_t size)
{
    return fwrite(data, 1, size, out) == size;
}

bool output_image(FILE *out, const struct elf_file *kernel, const struct system *sys, const struct layout *layout)
{
    unsigned count = kernel->segment_count + 1 + sys->region_count;
    for (unsigned p = 0; p < sys->pd_count; p++) {
        count += sys->pds[p].elf.segment_count;
    }
    struct out_segment *segs = calloc(count, sizeof(*segs));
    unsigned n = 0;
    for (unsigned i = 0; i < kernel->segment_count; i++) {
        const struct elf_segment *s = &kernel->segments[i];
        if (s->vaddr < BOARD_KERNEL_BASE || s->vaddr + s->mem_size > BOARD_KERNEL_BASE + BOARD_KERNEL_SIZE) {
            diag_error_plain("the kernel's segment at 0x%llx lies outside the board's kernel window",
                             (unsigned long long)s->vaddr);
            free(segs);
            return false;
        }
        segs[n++] = (struct out_segment){s->vaddr, elf_segment_bytes(kernel, s), s->file_size, s->mem_size, s->flags};
    }
    segs[n++] = (struct out_segment){BOARD_SYSIMAGE_BASE, (const uint8_t *)layout->image, sizeof(*layout->image),
                                     sizeof(*layout->image), 4};
    /* Prefilled regions: the file's bytes, the rest of the last page zeroed by the loader (the
     * kernel zeroes the region's later pages, layout.c). */
    for (unsigned r = 0; r < sys->region_count; r++) {
        const struct region *region = &sys->regions[r];
        if (region->prefill != NULL) {
            uint64_t pages = (region->prefill_size + 0xfff) & ~0xfffULL;
            segs[n++] = (struct out_segment){region->paddr, region->prefill, region->prefill_size, pages, 4};
        }
    }
    for (unsigned p = 0; p < sys->pd_count; p++) {
        const struct elf_file *elf = &sys->pds[p].elf;
        for (unsigned i = 0; i < elf->segment_count; i++) {
            const struct elf_segment *s = &elf->segments[i];
            segs[n++] = (struct out_segment){s->paddr, elf_segment_bytes(elf, s), s->file_size, s->mem_size, s->flags};
        }
    }

    /* ELF64 header and program headers (System V gABI), then the segments' bytes. */
    uint8_t header[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    u16 = 2; /* ET_EXEC */
    memcpy(header + 16, &u16, 2);
    u16 = 183; /* EM_AARCH64 */
    memcpy(header + 18, &u16, 2);
    u32 = 1;
    memcpy(header + 20, &u32, 4);
    memcpy(header + 24, &kernel->entry, 8);
    u64 = 64; /* phoff */
    memcpy(header + 32, &u64, 8);
    u16 = 64; /* ehsize */
    memcpy(header + 52, &u16, 2);
    u16 = 56; /* phentsize */
    memcpy(header + 54, &u16, 2);
    u16 = (uint16_t)n;
    memcpy(header + 56, &u16, 2);
    bool ok = write_all(out, header, sizeof(header));
    uint64_t offset = 64 + 56 * (uint64_t)n;
    for (unsigned i = 0; i < n; i++) {
        uint8_t ph[56] = {0};
        u32 = 1; /* PT_LOAD */
        memcpy(ph, &u32, 4);
        memcpy(ph + 4, &segs[i].flags, 4);
        memcpy(ph + 8, &offset, 8);
        memcpy(ph + 16, &segs[i].paddr, 8);
        memcpy(ph + 24, &segs[i].paddr, 8);
        memcpy(ph + 32, &segs[i].file_size, 8);
        memcpy(ph + 40, &segs[i].mem_size, 8);
        u64 = 8;
        memcpy(ph + 48, &u64, 8);
        ok = ok && write_all(out, ph, sizeof(ph));
        offset += segs[i].file_size;
    }
    for (unsigned i = 0; i < n; i++) {
        ok = ok && write_all(out, segs[i].bytes, segs[i].file_size);
    }
    free(segs);
    return ok;
}

static void perms_text(uint32_t attrs, char text[8])
{
    snprintf(text, 8, "%c%c%c", (attrs & SYSIMAGE_MAP_R) ? 'r' : '-', (attrs & SYSIMAGE_MAP_W) ? 'w' : '-',
             (attrs & SYSIMAGE_MAP_X) ? 'x' : '-');
}

static void report_maps(FILE *out, const struct sysimage *image, uint32_t first, uint32_t count)
{
    for (uint32_t m = first; m < first + count; m++) {
        const struct sysimage_map *map = &image->maps[m];
        char perms[8];
        perms_text(map->attrs, perms);
        fprintf(out, "      0x%010llx -> 0x%010llx  size 0x%-9llx %s %s\n", (unsigned long long)map->vaddr,
                (unsigned long long)map->paddr, (unsigned long long)map->size, perms,
                (map->attrs & SYSIMAGE_MAP_CACHED) ? "cached" : "uncached (device)");
    }
}

void output_report(FILE *out, const struct system *sys, const struct layout *layout)
{
    const struct sysimage *image = layout->image;
    fprintf(out, "Tessera system layout (board %s)\n\n", BOARD_NAME);
    fprintf(out, "Kernel window 0x%lx..0x%lx, system image at 0x%lx (%zu bytes)\n\n", BOARD_KERNEL_BASE,
            BOARD_KERNEL_BASE + BOARD_KERNEL_SIZE, BOARD_SYSIMAGE_BASE, sizeof(*image));
    fprintf(out, "Memory regions:\n");
    for (unsigned i = 0; i < sys->region_count; i++) {
        const struct region *r = &sys->regions[i];
        fprintf(out, "  %-24s paddr 0x%010llx size 0x%-9llx page 0x%llx%s%s", r->name, (unsigned long long)r->paddr,
                (unsigned long long)r->size, (unsigned long long)r->page_size, r->fixed ? " fixed" : "",
                r->is_device ? " device" : "");
        if (r->prefill != NULL) {
            fprintf(out, " prefilled 0x%llx bytes", (unsigned long long)r->prefill_size);
        }
        fputc('\n', out);
    }
    fprintf(out, "\nProtection domains:\n");
    for (unsigned p = 0; p < sys->pd_count; p++) {
        const struct pd *pd = &sys->pds[p];
        const struct sysimage_pd *e = &image->pds[p];
        fprintf(out, "  %s: priority %u budget %u us period %u us%s%s, program %s, entry 0x%llx\n", pd->name,
                pd->priority, pd->budget, pd->period, pd->passive ? " passive" : "", pd->smc ? " smc" : "", pd->program,
                (unsigned long long)e->entry);
        if (pd->parent >= 0) {
            fprintf(out, "    child %u of %s\n", pd->id_in_parent, sys->pds[pd->parent].name);
        }
        fprintf(out, "    IPC buffer 0x%llx (paddr 0x%llx), stack top 0x%llx\n", (unsigned long long)e->ipc_buffer,
                (unsigned long long)e->ipc_buffer_paddr, (unsigned long long)e->stack_top);
        fprintf(out, "    maps:\n");
        report_maps(out, image, e->map_first, e->map_count);
        for (unsigned id = 0; id < SYSIMAGE_IDS; id++) {
            if (e->ids[id].kind == SYSIMAGE_ID_IRQ) {
                fprintf(out, "    id %2u: IRQ %u (%s)\n", id, e->ids[id].intid,
                        (e->ids[id].flags & SYSIMAGE_IRQ_EDGE) ? "edge" : "level");
            }
        }
    }
    fprintf(out, "\nVirtual machines:\n");
    for (unsigned v = 0; v < sys->vm_count; v++) {
        const struct vm *vm = &sys->vms[v];
        const struct sysimage_vm *e = &image->vms[v];
        fprintf(out, "  %s: VMM %s, priority %u budget %u us period %u us, %u vCPU(s)\n", vm->name,
                sys->pds[vm->owner].name, vm->priority, vm->budget, vm->period, vm->vcpu_count);
        fprintf(out, "    guest-physical maps:\n");
        report_maps(out, image, e->map_first, e->map_count);
    }
    fprintf(out, "\nChannels:\n");
    for (unsigned c = 0; c < sys->channel_count; c++) {
        const struct channel *ch = &sys->channels[c];
        fprintf(out, "  %s id %u%s%s <-> %s id %u%s%s\n", sys->pds[ch->ends[0].pd].name, ch->ends[0].id,
                ch->ends[0].pp ? " (pp)" : "", ch->ends[0].notify ? "" : " (no notify)", sys->pds[ch->ends[1].pd].name,
                ch->ends[1].id, ch->ends[1].pp ? " (pp)" : "", ch->ends[1].notify ? "" : " (no notify)");
    }
}
