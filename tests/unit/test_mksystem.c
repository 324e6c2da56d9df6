/*
 * The .system tool, run as a user runs it: every malformed file under tests/mksystem/bad must
 * fail with exit status 1, one `file:line: message` naming the problem (given in the file's
 * "expect" comment), and no output; a valid file must produce the layout and system image it
 * describes, with every symbol patched. Corrupt program images are made at start from the fixture
 * program (one program header changed each) into the work directory, which is on the search path.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <board.h>
#include <tessera/abi.h>
#include <tessera/sysimage.h>

struct run {
    int status;
    char output[8192];
};

static char work_dir[256];

/* Run mksystem on a file; capture its stderr. */
static void run_mksystem(const char *system_file, const char *image, struct run *run)
{
    char command[2048];
    snprintf(command, sizeof(command), "%s %s --kernel %s/kernel.elf --search-path %s:%s:%s -o %s --report %s.txt 2>&1",
             MKSYSTEM_PATH, system_file, FIXTURE_DIR, FIXTURE_DIR, TESTS_DIR, work_dir, image, image);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    size_t n = fread(run->output, 1, sizeof(run->output) - 1, p);
    run->output[n] = '\0';
    int status = pclose(p);
    run->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A copy of the fixture program with program header 1 (its read-only data, a PT_LOAD) changed,
 * and optionally one symbol: the bad files name these by file name. Sizes are set explicitly,
 * so the expected messages do not depend on how big the fixture's segment happens to be. */
struct corrupt_elf {
    const char *name;
    uint64_t offset, vaddr, filesz, memsz; /* the program header's new fields (offset 0: kept) */
    const char *symbol;                    /* NULL, or a symbol given this value and size */
    uint64_t symbol_value, symbol_size;
};

#define FIXTURE_SEGMENT_VADDR 0x201000ULL /* runtime/pd.ld: the second page of the program */

static const struct corrupt_elf corrupt_programs[] = {
    {.name = "segment-end-wraps.elf", .vaddr = 0xfffffffffffff000ULL, .filesz = 0x80, .memsz = 0x80},
    {.name = "segment-memsz-wraps.elf", .vaddr = FIXTURE_SEGMENT_VADDR, .filesz = 0x80, .memsz = 0xffffffffffffff00ULL},
    {.name = "segment-above-40-bits.elf", .vaddr = 1ULL << 40, .filesz = 0x80, .memsz = 0x80},
    {.name = "segment-filesz-above-memsz.elf", .vaddr = FIXTURE_SEGMENT_VADDR, .filesz = 0x81, .memsz = 0x80},
    {.name = "segment-past-file.elf",
     .offset = 0x1000000,
     .vaddr = FIXTURE_SEGMENT_VADDR,
     .filesz = 0x80,
     .memsz = 0x80},
    {.name = "segment-offset-wraps.elf",
     .offset = 0xffffffffffffff80ULL,
     .vaddr = FIXTURE_SEGMENT_VADDR,
     .filesz = 0x80,
     .memsz = 0x80},
    /* region_table[1] is 8 bytes past a symbol at 2^64 - 8: that wraps to address 0, where this
     * program has a segment the patch must not land in. */
    /* region_table 24 MiB into a 32 MiB .bss: patching it would write 24 MiB of zeros out. */
    {.name = "big-bss.elf",
     .vaddr = 0x4000000000ULL,
     .filesz = 0x80,
     .memsz = 0x2000000,
     .symbol = "region_table",
     .symbol_value = 0x4001800000ULL,
     .symbol_size = 24},
    {.name = "symbol-wraps.elf",
     .vaddr = 0,
     .filesz = 0x80,
     .memsz = 0x80,
     .symbol = "region_table",
     .symbol_value = 0xfffffffffffffff8ULL,
     .symbol_size = 24},
};

/* Field offsets in an ELF64 header and program header (System V gABI). */
#define EHDR_PHOFF  32
#define PHDR_SIZE   56
#define PHDR_OFFSET 8
#define PHDR_VADDR  16
#define PHDR_FILESZ 32
#define PHDR_MEMSZ  40
#define EHDR_SHOFF  40
#define EHDR_SHNUM  60
#define SHDR_SIZE   64
#define SHDR_TYPE   4
#define SHDR_OFFSET 24
#define SHDR_SIZE_F 32
#define SHDR_LINK   40
#define SHT_SYMTAB  2
#define SYM_SIZE    24
#define SYM_VALUE   8
#define SYM_SIZE_F  16

/* Give `name` a new value and size in the copy's symbol table. */
static void set_symbol(unsigned char *elf, size_t size, const char *name, uint64_t value, uint64_t sym_size)
{
    uint64_t shoff;
    uint16_t shnum;
    memcpy(&shoff, elf + EHDR_SHOFF, 8);
    memcpy(&shnum, elf + EHDR_SHNUM, 2);
    assert_true(shoff + (uint64_t)shnum * SHDR_SIZE <= size);
    for (unsigned i = 0; i < shnum; i++) {
        const unsigned char *sh = elf + shoff + (uint64_t)i * SHDR_SIZE;
        uint32_t type, link;
        uint64_t offset, length, str_offset;
        memcpy(&type, sh + SHDR_TYPE, 4);
        if (type != SHT_SYMTAB) {
            continue;
        }
        memcpy(&offset, sh + SHDR_OFFSET, 8);
        memcpy(&length, sh + SHDR_SIZE_F, 8);
        memcpy(&link, sh + SHDR_LINK, 4);
        memcpy(&str_offset, elf + shoff + (uint64_t)link * SHDR_SIZE + SHDR_OFFSET, 8);
        for (uint64_t at = offset; at + SYM_SIZE <= offset + length; at += SYM_SIZE) {
            uint32_t name_offset;
            memcpy(&name_offset, elf + at, 4);
            if (strcmp((const char *)elf + str_offset + name_offset, name) == 0) {
                memcpy(elf + at + SYM_VALUE, &value, 8);
                memcpy(elf + at + SYM_SIZE_F, &sym_size, 8);
                return;
            }
        }
    }
    fail_msg("symbol %s is not in the fixture program", name);
}

static void write_corrupt_elf(const unsigned char *fixture, size_t size, const struct corrupt_elf *c)
{
    unsigned char *copy = malloc(size);
    assert_non_null(copy);
    memcpy(copy, fixture, size);
    uint64_t phoff;
    memcpy(&phoff, copy + EHDR_PHOFF, 8);
    unsigned char *ph = copy + phoff + PHDR_SIZE; /* program header 1 */
    assert_true(phoff + 2 * PHDR_SIZE <= size);
    if (c->offset != 0) {
        memcpy(ph + PHDR_OFFSET, &c->offset, 8);
    }
    memcpy(ph + PHDR_VADDR, &c->vaddr, 8);
    memcpy(ph + PHDR_FILESZ, &c->filesz, 8);
    memcpy(ph + PHDR_MEMSZ, &c->memsz, 8);
    if (c->symbol != NULL) {
        set_symbol(copy, size, c->symbol, c->symbol_value, c->symbol_size);
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", work_dir, c->name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(copy, 1, size, f), size);
    fclose(f);
    free(copy);
}

/* A prefill file of `size` bytes: byte i is i * 7 + 1 (mod 256), so tests can tell where each
 * byte landed. */
static void write_prefill(const char *name, size_t size)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", work_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < size; i++) {
        fputc((int)((i * 7 + 1) & 0xff), f);
    }
    fclose(f);
}

static int make_corrupt_programs(void **state)
{
    (void)state;
    FILE *f = fopen(FIXTURE_DIR "/pd.elf", "rb");
    assert_non_null(f);
    static unsigned char fixture[1 << 20];
    size_t size = fread(fixture, 1, sizeof(fixture), f);
    fclose(f);
    assert_true(size > 0 && size < sizeof(fixture));
    for (size_t i = 0; i < sizeof(corrupt_programs) / sizeof(corrupt_programs[0]); i++) {
        write_corrupt_elf(fixture, size, &corrupt_programs[i]);
    }
    /* a stripped copy of the fixture: its symbols are only in pd.elf (path_for_symbols) */
    char command[1024];
    snprintf(command, sizeof(command), "aarch64-linux-gnu-objcopy --strip-all %s/pd.elf %s/pd-stripped.elf",
             FIXTURE_DIR, work_dir);
    assert_int_equal(system(command), 0);
    write_prefill("prefill-5000.bin", 5000);
    write_prefill("prefill-empty.bin", 0);
    write_prefill("prefill-16.bin", 16);
    return 0;
}

static void bad_file_is_refused(void **state)
{
    const char *name = *state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/bad/%s", TESTS_DIR, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[4096];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    char *expect = strstr(text, "<!-- expect: ");
    assert_non_null(expect);
    expect += strlen("<!-- expect: ");
    char *end = strstr(expect, " -->");
    assert_non_null(end);
    *end = '\0';
    char *colon = strchr(expect, ':');
    assert_non_null(colon);
    *colon = '\0';
    const char *line = expect;
    const char *message = colon + 2;

    char wanted[2048];
    const char *testdir = strstr(message, "TESTDIR");
    if (testdir != NULL) {
        snprintf(wanted, sizeof(wanted), "%.*s%s%s", (int)(testdir - message), message, TESTS_DIR,
                 testdir + strlen("TESTDIR"));
    } else {
        snprintf(wanted, sizeof(wanted), "%s", message);
    }
    char location[1200];
    snprintf(location, sizeof(location), "%s:%s: ", path, line);

    char image[512];
    snprintf(image, sizeof(image), "%s/%s.elf", work_dir, name);
    struct run run;
    run_mksystem(path, image, &run);
    if (run.status != 1 || strstr(run.output, location) == NULL || strstr(run.output, wanted) == NULL) {
        fail_msg("%s: expected exit 1 and '%s%s', got exit %d:\n%s", name, location, wanted, run.status, run.output);
    }
    struct stat st;
    assert_int_not_equal(stat(image, &st), 0); /* nothing written */
}

/* The system image and segments of a produced ELF. */
struct image {
    unsigned char *data;
    size_t size;
};

static const unsigned char *at_paddr(const struct image *img, uint64_t paddr, uint64_t length)
{
    uint16_t phnum;
    uint64_t phoff;
    memcpy(&phoff, img->data + 32, 8);
    memcpy(&phnum, img->data + 56, 2);
    for (unsigned i = 0; i < phnum; i++) {
        const unsigned char *ph = img->data + phoff + 56 * i;
        uint64_t offset, addr, filesz;
        memcpy(&offset, ph + 8, 8);
        memcpy(&addr, ph + 24, 8);
        memcpy(&filesz, ph + 32, 8);
        if (paddr >= addr && paddr + length <= addr + filesz) {
            return img->data + offset + (paddr - addr);
        }
    }
    return NULL;
}

/* `length` (at most 8) bytes of a PD's memory as the image gives them. */
static uint64_t read_pd_bytes(const struct image *img, const struct sysimage *si, unsigned pd, uint64_t vaddr,
                              size_t length)
{
    const struct sysimage_pd *e = &si->pds[pd];
    for (uint32_t m = e->map_first; m < e->map_first + e->map_count; m++) {
        const struct sysimage_map *map = &si->maps[m];
        if (vaddr >= map->vaddr && vaddr < map->vaddr + map->size) {
            const unsigned char *p = at_paddr(img, map->paddr + (vaddr - map->vaddr), length);
            assert_non_null(p);
            uint64_t value = 0;
            memcpy(&value, p, length);
            return value;
        }
    }
    fail_msg("vaddr 0x%llx not mapped in PD %u", (unsigned long long)vaddr, pd);
    return 0;
}

static uint64_t read_pd_u64(const struct image *img, const struct sysimage *si, unsigned pd, uint64_t vaddr)
{
    return read_pd_bytes(img, si, pd, vaddr, 8);
}

static const struct sysimage_map *find_map(const struct sysimage *si, uint32_t first, uint32_t count, uint64_t vaddr)
{
    for (uint32_t m = first; m < first + count; m++) {
        if (si->maps[m].vaddr == vaddr) {
            return &si->maps[m];
        }
    }
    return NULL;
}

static void valid_file_gives_expected_layout(void **state)
{
    (void)state;
    char path[1024], image_path[512];
    snprintf(path, sizeof(path), "%s/good/layout.system", TESTS_DIR);
    snprintf(image_path, sizeof(image_path), "%s/layout.elf", work_dir);
    struct run run;
    run_mksystem(path, image_path, &run);
    if (run.status != 0) {
        fail_msg("mksystem failed on a valid file:\n%s", run.output);
    }
    FILE *f = fopen(image_path, "rb");
    assert_non_null(f);
    struct image img;
    img.data = malloc(4 << 20);
    img.size = fread(img.data, 1, 4 << 20, f);
    fclose(f);

    /* A copy: the image's bytes sit at whatever alignment the ELF file gives them. */
    const unsigned char *raw = at_paddr(&img, BOARD_SYSIMAGE_BASE, sizeof(struct sysimage));
    assert_non_null(raw);
    struct sysimage *si = malloc(sizeof(*si));
    memcpy(si, raw, sizeof(*si));
    assert_int_equal(si->magic, SYSIMAGE_MAGIC);
    assert_int_equal(si->pd_count, 3);
    assert_int_equal(si->vm_count, 1);
    assert_int_equal(si->vcpu_count, 1);
    const struct sysimage_pd *server = &si->pds[0], *client = &si->pds[1], *child = &si->pds[2];
    assert_string_equal(server->name, "server");
    assert_int_equal(server->priority, 200);
    assert_int_equal(server->passive, 1);
    assert_int_equal(client->budget_us, 500);
    assert_int_equal(client->period_us, 2000);
    assert_int_equal(server->entry, 0x200000);
    assert_int_equal(server->stack_top, TESSERA_PD_STACK_TOP);
    assert_int_equal(server->ipc_buffer, TESSERA_PD_IPC_BUFFER);
    /* channel ends point at each other with the right rights */
    assert_int_equal(client->ids[2].kind, SYSIMAGE_ID_CHANNEL);
    assert_int_equal(client->ids[2].peer_pd, 0);
    assert_int_equal(client->ids[2].peer_id, 9);
    assert_int_equal(client->ids[2].flags, SYSIMAGE_CH_NOTIFY | SYSIMAGE_CH_PPC);
    assert_int_equal(server->ids[9].flags, SYSIMAGE_CH_NOTIFY);
    assert_int_equal(server->ids[5].kind, SYSIMAGE_ID_IRQ);
    assert_int_equal(server->ids[5].intid, 33);
    assert_int_equal(server->ids[5].flags, SYSIMAGE_IRQ_EDGE);
    /* the child PD and the vCPU in the client's child id space */
    assert_int_equal(child->parent, 1);
    assert_int_equal(child->id_in_parent, 4);
    assert_int_equal(client->children[4].kind, SYSIMAGE_CHILD_PD);
    assert_int_equal(client->children[4].index, 2);
    assert_int_equal(client->children[7].kind, SYSIMAGE_CHILD_VCPU);
    assert_int_equal(si->vms[0].owner_pd, 1);
    assert_int_equal(si->vcpus[0].id, 7);
    /* maps: device uncached, perms as written, the shared region at the same paddr twice */
    const struct sysimage_map *uart = find_map(si, server->map_first, server->map_count, 0x2000000);
    assert_non_null(uart);
    assert_int_equal(uart->paddr, 0x9000000);
    assert_int_equal(uart->attrs, SYSIMAGE_MAP_R | SYSIMAGE_MAP_W);
    const struct sysimage_map *shared_rw = find_map(si, server->map_first, server->map_count, 0x30000000);
    const struct sysimage_map *shared_r = find_map(si, client->map_first, client->map_count, 0x40000000);
    assert_non_null(shared_rw);
    assert_non_null(shared_r);
    assert_int_equal(shared_rw->paddr, shared_r->paddr);
    assert_int_equal(shared_rw->paddr % 0x200000, 0);
    assert_int_equal(shared_r->attrs, SYSIMAGE_MAP_R | SYSIMAGE_MAP_CACHED);
    const struct sysimage_map *stack =
        find_map(si, server->map_first, server->map_count, TESSERA_PD_STACK_TOP - 0x4000);
    assert_non_null(stack);
    assert_int_equal(stack->size, 0x4000);
    const struct sysimage_map *code = find_map(si, server->map_first, server->map_count, 0x200000);
    assert_non_null(code);
    assert_int_equal(code->attrs, SYSIMAGE_MAP_R | SYSIMAGE_MAP_X | SYSIMAGE_MAP_CACHED);
    const struct sysimage_map *guest = find_map(si, si->vms[0].map_first, si->vms[0].map_count, 0x40000000);
    assert_non_null(guest);
    assert_int_equal(guest->paddr, 0x40000000);
    /* every PD's physical memory is distinct from every other's */
    assert_int_not_equal(server->ipc_buffer_paddr, client->ipc_buffer_paddr);

    /* patched symbols, read back through the image: vaddr/paddr setvars and microkit_* masks */
    uint64_t vaddr_symbol = 0, paddr_symbol = 0, irqs_symbol = 0, pps_symbol = 0, size_symbol = 0, table_symbol = 0;
    FILE *nm = popen("aarch64-linux-gnu-nm " FIXTURE_DIR "/pd.elf", "r");
    assert_non_null(nm);
    char line[256];
    while (fgets(line, sizeof(line), nm) != NULL) {
        unsigned long long addr;
        char type, sym[128];
        if (sscanf(line, "%llx %c %127s", &addr, &type, sym) == 3) {
            if (strcmp(sym, "region_vaddr") == 0) {
                vaddr_symbol = addr;
            } else if (strcmp(sym, "region_paddr") == 0) {
                paddr_symbol = addr;
            } else if (strcmp(sym, "microkit_irqs") == 0) {
                irqs_symbol = addr;
            } else if (strcmp(sym, "microkit_pps") == 0) {
                pps_symbol = addr;
            } else if (strcmp(sym, "region_size") == 0) {
                size_symbol = addr;
            } else if (strcmp(sym, "region_table") == 0) {
                table_symbol = addr;
            }
        }
    }
    pclose(nm);
    assert_int_equal(read_pd_u64(&img, si, 0, vaddr_symbol), 0x30000000);
    assert_int_equal(read_pd_u64(&img, si, 0, paddr_symbol), 0x40000000);
    assert_int_equal(read_pd_u64(&img, si, 0, irqs_symbol), 1ULL << 5);
    assert_int_equal(read_pd_u64(&img, si, 1, pps_symbol), 1ULL << 2);
    /* setvar_size, and array elements named name[index] */
    assert_int_equal(read_pd_u64(&img, si, 0, size_symbol), 0x200000);
    assert_int_equal(read_pd_u64(&img, si, 0, table_symbol), 1);
    assert_int_equal(read_pd_u64(&img, si, 0, table_symbol + 8), 0x3000);
    assert_int_equal(read_pd_u64(&img, si, 0, table_symbol + 16), 0x31000000);
    /* the client's copy was not given the server's setvar */
    assert_int_equal(read_pd_u64(&img, si, 1, vaddr_symbol), 1);

    /* the report names every region with its physical address */
    char report_path[600];
    snprintf(report_path, sizeof(report_path), "%s.txt", image_path);
    f = fopen(report_path, "r");
    assert_non_null(f);
    char report[16384];
    size_t n = fread(report, 1, sizeof(report) - 1, f);
    report[n] = '\0';
    fclose(f);
    assert_non_null(strstr(report, "pinned                   paddr 0x0040000000"));
    assert_non_null(strstr(report, "client id 2 (pp) <-> server id 9"));
    free(img.data);
    free(si);
}

/* Run a shell command; capture its stdout and stderr. */
static void run_command(const char *command, struct run *run)
{
    char full[4096];
    snprintf(full, sizeof(full), "%s 2>&1", command);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t n = fread(run->output, 1, sizeof(run->output) - 1, p);
    run->output[n] = '\0';
    int status = pclose(p);
    run->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A symbol's address in the fixture program, by nm. */
static uint64_t fixture_symbol(const char *name)
{
    FILE *nm = popen("aarch64-linux-gnu-nm " FIXTURE_DIR "/pd.elf", "r");
    assert_non_null(nm);
    char line[256];
    uint64_t found = 0;
    while (fgets(line, sizeof(line), nm) != NULL) {
        unsigned long long addr;
        char type, sym[128];
        if (sscanf(line, "%llx %c %127s", &addr, &type, sym) == 3 && strcmp(sym, name) == 0) {
            found = addr;
        }
    }
    pclose(nm);
    if (found == 0) {
        fail_msg("symbol %s is not in the fixture program", name);
    }
    return found;
}

static void load_image(const char *path, struct image *img, struct sysimage **si)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    img->data = malloc(64 << 20);
    assert_non_null(img->data);
    img->size = fread(img->data, 1, 64 << 20, f);
    fclose(f);
    const unsigned char *raw = at_paddr(img, BOARD_SYSIMAGE_BASE, sizeof(struct sysimage));
    assert_non_null(raw);
    *si = malloc(sizeof(**si));
    memcpy(*si, raw, sizeof(**si));
    assert_int_equal((*si)->magic, SYSIMAGE_MAGIC);
}

static bool zeroed_at_boot(const struct sysimage *si, uint64_t paddr)
{
    for (uint32_t z = 0; z < si->zero_count; z++) {
        if (paddr >= si->zeros[z].paddr && paddr - si->zeros[z].paddr < si->zeros[z].size) {
            return true;
        }
    }
    return false;
}

/* Microkit's features, from tests/mksystem/good/microkit.system, read back from the image. */
static void microkit_features_are_given(void **state)
{
    (void)state;
    char path[1024], image_path[512];
    snprintf(path, sizeof(path), "%s/good/microkit.system", TESTS_DIR);
    snprintf(image_path, sizeof(image_path), "%s/microkit.elf", work_dir);
    struct run run;
    run_mksystem(path, image_path, &run);
    if (run.status != 0) {
        fail_msg("mksystem failed on a valid file:\n%s", run.output);
    }
    /* perms="x" is given read too, and says so */
    assert_non_null(strstr(run.output, "microkit.system:14: warning: <map> perms=\"x\": Tessera's kernel maps nothing "
                                       "without read access; mapped readable too"));
    struct image img;
    struct sysimage *si;
    load_image(image_path, &img, &si);
    const struct sysimage_pd *parent = &si->pds[0], *child = &si->pds[1];
    assert_string_equal(child->name, "child");

    /* ids up to 61 */
    assert_int_equal(parent->ids[61].kind, SYSIMAGE_ID_IRQ);
    assert_int_equal(parent->ids[60].kind, SYSIMAGE_ID_CHANNEL);
    assert_int_equal(parent->children[61].kind, SYSIMAGE_CHILD_PD);
    assert_int_equal(parent->children[3].kind, SYSIMAGE_CHILD_VCPU);

    /* perms in any order; "x" as read+execute */
    const struct sysimage_map *data = find_map(si, parent->map_first, parent->map_count, 0x21000000);
    const struct sysimage_map *code = find_map(si, parent->map_first, parent->map_count, 0x22000000);
    assert_non_null(data);
    assert_non_null(code);
    assert_int_equal(data->attrs, SYSIMAGE_MAP_R | SYSIMAGE_MAP_W | SYSIMAGE_MAP_CACHED);
    assert_int_equal(code->attrs, SYSIMAGE_MAP_R | SYSIMAGE_MAP_X | SYSIMAGE_MAP_CACHED);

    /* the prefill: 5000 bytes make a 0x2000 region; the bytes are in the image at its paddr,
     * its first two pages are not zeroed at boot */
    const struct sysimage_map *filled = find_map(si, parent->map_first, parent->map_count, 0x20000000);
    assert_non_null(filled);
    assert_int_equal(filled->size, 0x2000);
    const unsigned char *bytes = at_paddr(&img, filled->paddr, 5000);
    assert_non_null(bytes);
    for (unsigned i = 0; i < 5000; i++) {
        assert_int_equal(bytes[i], (i * 7 + 1) & 0xff);
    }
    assert_false(zeroed_at_boot(si, filled->paddr));
    assert_false(zeroed_at_boot(si, filled->paddr + 0x1fff));

    /* setvars into .bss: the map's vaddr, the prefill's length, and every setvar_id */
    uint64_t in_bss = fixture_symbol("in_bss"), ids = fixture_symbol("bss_ids");
    assert_int_equal(read_pd_u64(&img, si, 0, in_bss), 0x20000000);
    assert_int_equal(read_pd_u64(&img, si, 0, ids + 4 * 8), 5000);
    assert_int_equal(read_pd_u64(&img, si, 0, ids + 0 * 8), 61); /* the irq's id */
    assert_int_equal(read_pd_u64(&img, si, 0, ids + 1 * 8), 60); /* the channel end's */
    assert_int_equal(read_pd_u64(&img, si, 0, ids + 2 * 8), 61); /* the child's, in the parent */
    assert_int_equal(read_pd_u64(&img, si, 0, ids + 3 * 8), 3);  /* the vCPU's */
    /* smc="true" reaches the runtime; the child, without it, keeps 0 */
    uint64_t smc = fixture_symbol("tessera_pd_smc");
    assert_int_equal(read_pd_bytes(&img, si, 0, smc, 1), 1);
    assert_int_equal(read_pd_bytes(&img, si, 1, smc, 1), 0);
    /* the stripped image, patched where pd.elf's symbols say */
    assert_string_equal(si->pds[2].name, "peer");
    assert_int_equal(read_pd_u64(&img, si, 2, fixture_symbol("region_vaddr")), 0x23000000);
    free(img.data);
    free(si);
}

/* A Microkit SDK's layout (board/<board>/<config>/elf/kernel.elf) in the work directory. */
static void make_fake_sdk(char *sdk, size_t size)
{
    snprintf(sdk, size, "%s/sdk", work_dir);
    char command[2048];
    snprintf(command, sizeof(command), "mkdir -p %s/board/%s/debug/elf && cp %s/kernel.elf %s/board/%s/debug/elf/", sdk,
             BOARD_NAME, FIXTURE_DIR, sdk, BOARD_NAME);
    assert_int_equal(system(command), 0);
}

/* Microkit's command line: --board/--config find the SDK's kernel, --search-path takes several
 * values, -o/-r name the outputs, capability outputs are ignored with a warning. */
static void microkit_command_line_builds(void **state)
{
    (void)state;
    char sdk[512], command[4096];
    make_fake_sdk(sdk, sizeof(sdk));
    snprintf(command, sizeof(command),
             "cd %s && MICROKIT_SDK=%s %s %s/good/microkit.system --search-path %s %s --viper-output viper --board %s "
             "--config debug -o mk.img -r mk-report.txt",
             work_dir, sdk, MKSYSTEM_PATH, TESTS_DIR, FIXTURE_DIR, work_dir, BOARD_NAME);
    struct run run;
    run_command(command, &run);
    if (run.status != 0) {
        fail_msg("Microkit-style run failed:\n%s", run.output);
    }
    assert_non_null(strstr(run.output, "warning: --viper-output ignored: Tessera has no capabilities"));
    char path[1024];
    struct stat st;
    snprintf(path, sizeof(path), "%s/mk.img", work_dir);
    assert_int_equal(stat(path, &st), 0);
    snprintf(path, sizeof(path), "%s/mk-report.txt", work_dir);
    assert_int_equal(stat(path, &st), 0);
    /* Microkit's defaults: loader.img and report.txt; the working directory (holding the
     * prefill file and the stripped program) is searched last */
    snprintf(command, sizeof(command),
             "cd %s && MICROKIT_SDK=%s %s %s/good/microkit.system --search-path %s --board %s --config debug", work_dir,
             sdk, MKSYSTEM_PATH, TESTS_DIR, FIXTURE_DIR, BOARD_NAME);
    run_command(command, &run);
    assert_int_equal(run.status, 0);
    snprintf(path, sizeof(path), "%s/loader.img", work_dir);
    assert_int_equal(stat(path, &st), 0);
    snprintf(path, sizeof(path), "%s/report.txt", work_dir);
    assert_int_equal(stat(path, &st), 0);
}

/* Each refused command line: exit 2, the option named and why. */
static void bad_command_lines_are_refused(void **state)
{
    (void)state;
    char sdk[512];
    make_fake_sdk(sdk, sizeof(sdk));
    static const struct {
        const char *arguments;
        const char *message;
    } cases[] = {
        {"--board no_such_board --config debug", "--board no_such_board: this mksystem is built for board"},
        {"--board BOARD --config benchmark",
         "--config benchmark: Tessera has the configurations debug and release only"},
        {"--board BOARD --config release",
         "/board/BOARD/release/elf/kernel.elf (an SDK holds the configuration it was built with"},
        {"--board BOARD", "give --kernel KERNEL_ELF, or --board and --config"},
        {"--board BOARD --config debug --image-type binary", "--image-type binary: mksystem writes an ELF image only"},
        {"--board BOARD --config debug --search-path", "--search-path needs a value"},
        {"--board BOARD --config debug --frobnicate", "unknown option --frobnicate"},
        {"--board BOARD --config debug other.system", "a second system file 'other.system'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char arguments[512], message[512], command[4096];
        /* BOARD stands for this build's board name */
        const char *in[2] = {cases[i].arguments, cases[i].message};
        char *out[2] = {arguments, message};
        for (int k = 0; k < 2; k++) {
            const char *at = strstr(in[k], "BOARD");
            size_t o = 0;
            const char *from = in[k];
            while (at != NULL) {
                o += (size_t)snprintf(out[k] + o, 512 - o, "%.*s%s", (int)(at - from), from, BOARD_NAME);
                from = at + 5;
                at = strstr(from, "BOARD");
            }
            snprintf(out[k] + o, 512 - o, "%s", from);
        }
        snprintf(command, sizeof(command), "cd %s && MICROKIT_SDK=%s %s %s/good/microkit.system %s -o refused.img",
                 work_dir, sdk, MKSYSTEM_PATH, TESTS_DIR, arguments);
        struct run run;
        run_command(command, &run);
        if (run.status != 2 || strstr(run.output, message) == NULL) {
            fail_msg("'%s': expected exit 2 and '%s', got exit %d:\n%s", arguments, message, run.status, run.output);
        }
    }
}

int main(void)
{
    snprintf(work_dir, sizeof(work_dir), "/tmp/tessera-mksystem-test-%d", (int)getpid());
    mkdir(work_dir, 0700);
    char bad_dir[1024];
    snprintf(bad_dir, sizeof(bad_dir), "%s/bad", TESTS_DIR);
    DIR *dir = opendir(bad_dir);
    if (dir == NULL) {
        fprintf(stderr, "cannot open %s\n", bad_dir);
        return 1;
    }
    struct CMUnitTest *tests = calloc(128, sizeof(*tests));
    unsigned count = 0;
    tests[count++] = (struct CMUnitTest)cmocka_unit_test(valid_file_gives_expected_layout);
    tests[count++] = (struct CMUnitTest)cmocka_unit_test(microkit_features_are_given);
    tests[count++] = (struct CMUnitTest)cmocka_unit_test(microkit_command_line_builds);
    tests[count++] = (struct CMUnitTest)cmocka_unit_test(bad_command_lines_are_refused);
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && count < 128) {
        if (strstr(entry->d_name, ".system") == NULL) {
            continue;
        }
        char *name = strdup(entry->d_name);
        tests[count++] = (struct CMUnitTest){name, bad_file_is_refused, NULL, NULL, name};
    }
    closedir(dir);
    int failures = _cmocka_run_group_tests("mksystem", tests, count, make_corrupt_programs, NULL);
    char command[512];
    snprintf(command, sizeof(command), "rm -rf %s", work_dir);
    if (system(command) != 0) {
        fprintf(stderr, "could not remove %s\n", work_dir);
    }
    for (unsigned i = 4; i < count; i++) {
        free((void *)tests[i].name);
    }
    free(tests);
    return failures;
}
