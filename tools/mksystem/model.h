/* The system a .system file describes, after parsing and before layout. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "elf.h"

/* Channel and IRQ ids 0..61, child PD and vCPU ids 0..61: Microkit's limits (its
 * MICROKIT_MAX_CHANNELS is 62, and programs size arrays by it), although the system image has
 * room for 63. */
#define MAX_IDS 62

/* A PD's and a VM's address space: 40 bits, as the kernel's stage 2 translates. */
#define ADDRESS_SPACE_LIMIT (1ULL << 40)

enum perms {
    PERM_R = 1,
    PERM_W = 2,
    PERM_X = 4,
};

struct region {
    char *name;
    int line;
    uint64_t size;
    uint64_t page_size;
    bool fixed;
    uint64_t paddr;   /* phys_addr if fixed, else set by layout */
    bool is_device;   /* fixed in a board device window */
    uint8_t *prefill; /* prefill_path's bytes (the region's start), or NULL */
    uint64_t prefill_size;
};

struct map {
    int line;
    unsigned region;
    uint64_t vaddr;
    unsigned perms;
    bool cached;
    char *setvar_vaddr;        /* symbol to receive vaddr, or NULL */
    char *setvar_size;         /* symbol to receive the region's size, or NULL */
    char *setvar_prefill_size; /* symbol to receive the region's prefill length, or NULL */
};

struct irq {
    int line;
    unsigned intid;
    unsigned id;
    bool edge;
};

struct setvar {
    int line;
    char *symbol;
    unsigned region;
};

/* A symbol that receives an id (setvar_id on an <irq>, <end>, child PD or <vcpu>). */
struct id_setvar {
    int line;
    char *symbol;
    uint64_t id;
};

struct vm {
    char *name;
    int line;
    unsigned owner; /* PD index */
    unsigned priority;
    uint32_t budget;
    uint32_t period;
    unsigned vcpu_ids[MAX_IDS];
    unsigned vcpu_count;
    struct map *maps;
    unsigned map_count;
};

struct pd {
    char *name;
    int line;
    unsigned priority;
    uint32_t budget;
    uint32_t period;
    bool passive;
    bool smc;
    uint64_t stack_size;
    int parent; /* PD index, or -1 */
    unsigned id_in_parent;
    char *program; /* path as written */
    int program_line;
    struct elf_file elf;     /* loaded and patched copy */
    struct elf_file symbols; /* path_for_symbols, or nothing loaded (data NULL): use elf */
    struct map *maps;
    unsigned map_count;
    struct irq *irqs;
    unsigned irq_count;
    struct setvar *setvars;
    unsigned setvar_count;
    struct id_setvar *id_setvars;
    unsigned id_setvar_count;
    int vm; /* index, or -1 */
};

struct channel_end {
    int line;
    unsigned pd;
    unsigned id;
    bool pp;
    bool notify;
};

struct channel {
    int line;
    struct channel_end ends[2];
};

struct system {
    struct region *regions;
    unsigned region_count;
    struct pd *pds;
    unsigned pd_count;
    struct vm *vms;
    unsigned vm_count;
    struct channel *channels;
    unsigned channel_count;
};

struct xml_node;

/* Build the model from the XML tree, checking every element and attribute (errors go to
 * diag). Program images are looked up in search_path (colon-separated). False on any error. */
bool model_build(const struct xml_node *root, const char *search_path, struct system *sys);
void model_free(struct system *sys);
