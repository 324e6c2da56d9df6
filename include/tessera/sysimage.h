/*
 * The system image: the one data structure the .system tool writes (at BOARD_SYSIMAGE_BASE) and
 * the kernel reads at boot. Everything the kernel knows about PDs, VMs, maps, channels and IRQs
 * comes from here; the kernel has no run-time allocation and no objects of its own beyond this.
 *
 * Fixed-size arrays with explicit counts keep the format trivial to validate: the kernel checks
 * magic, version, every count against its maximum and every index against its count before use,
 * so a corrupt image stops the boot with a message instead of mapping something it should not.
 * Little-endian, naturally aligned, no pointers.
 */
#pragma once

#include <stdint.h>

#define SYSIMAGE_MAGIC   0x314d455453595354ULL /* "TSYSTEM1" read as a little-endian u64 */
#define SYSIMAGE_VERSION 1

#define SYSIMAGE_MAX_PDS   63
#define SYSIMAGE_MAX_VMS   63
#define SYSIMAGE_MAX_VCPUS 63
#define SYSIMAGE_MAX_MAPS  1024
#define SYSIMAGE_MAX_ZEROS 256
#define SYSIMAGE_NAME_LEN  64
#define SYSIMAGE_IDS       63 /* channel and IRQ ids 0..62 share one space per PD */
#define SYSIMAGE_CHILD_IDS 63 /* child PD ids and vCPU ids share another */
#define SYSIMAGE_NONE      0xff

/* What a PD's local channel/IRQ id stands for. */
enum sysimage_id_kind {
    SYSIMAGE_ID_UNUSED = 0,
    SYSIMAGE_ID_CHANNEL = 1,
    SYSIMAGE_ID_IRQ = 2,
};

/* sysimage_id.flags */
#define SYSIMAGE_CH_NOTIFY (1u << 0) /* this end may notify the peer */
#define SYSIMAGE_CH_PPC    (1u << 1) /* this end may ppcall the peer (peer has higher priority) */
#define SYSIMAGE_IRQ_EDGE  (1u << 2) /* IRQ is edge-triggered (level otherwise) */

struct sysimage_id {
    uint8_t kind;    /* enum sysimage_id_kind */
    uint8_t peer_pd; /* CHANNEL: index of the PD at the other end */
    uint8_t peer_id; /* CHANNEL: the other end's id for the same channel */
    uint8_t flags;
    uint16_t intid; /* IRQ: GIC interrupt id */
    uint16_t reserved;
};

enum sysimage_child_kind {
    SYSIMAGE_CHILD_UNUSED = 0,
    SYSIMAGE_CHILD_PD = 1,
    SYSIMAGE_CHILD_VCPU = 2,
};

struct sysimage_child {
    uint8_t kind;  /* enum sysimage_child_kind */
    uint8_t index; /* PD index or vCPU index */
    uint16_t reserved;
};

/* sysimage_map.attrs */
#define SYSIMAGE_MAP_R      (1u << 0)
#define SYSIMAGE_MAP_W      (1u << 1)
#define SYSIMAGE_MAP_X      (1u << 2)
#define SYSIMAGE_MAP_CACHED (1u << 3)

/* One contiguous range of an address space (a PD's or a VM's stage 2): IPA -> PA. */
struct sysimage_map {
    uint64_t vaddr;
    uint64_t paddr;
    uint64_t size; /* multiple of 4 KiB; vaddr and paddr 4 KiB aligned */
    uint32_t attrs;
    uint32_t reserved;
};

struct sysimage_pd {
    char name[SYSIMAGE_NAME_LEN]; /* NUL-terminated */
    uint8_t priority;             /* 0..254 */
    uint8_t passive;
    uint8_t smc;          /* may issue SMC calls through the kernel */
    uint8_t parent;       /* PD index of the parent, or SYSIMAGE_NONE */
    uint8_t id_in_parent; /* this PD's child id in its parent (valid if parent != NONE) */
    uint8_t reserved[3];
    uint32_t budget_us;
    uint32_t period_us;
    uint64_t entry;            /* initial PC (IPA) */
    uint64_t stack_top;        /* initial SP (IPA) */
    uint64_t ipc_buffer;       /* IPA of the 4 KiB IPC buffer page */
    uint64_t ipc_buffer_paddr; /* its physical address */
    uint32_t map_first;        /* maps[map_first .. map_first + map_count) form its stage 2 */
    uint32_t map_count;
    struct sysimage_id ids[SYSIMAGE_IDS];
    struct sysimage_child children[SYSIMAGE_CHILD_IDS];
};

struct sysimage_vm {
    char name[SYSIMAGE_NAME_LEN];
    uint8_t owner_pd; /* the VMM PD that receives this VM's faults */
    uint8_t priority;
    uint8_t vcpu_count;
    uint8_t reserved;
    uint32_t budget_us;
    uint32_t period_us;
    uint32_t map_first; /* guest-physical maps */
    uint32_t map_count;
};

struct sysimage_vcpu {
    uint8_t vm;           /* index into vms[] */
    uint8_t id;           /* child id in the owner PD (shared space with child PDs) */
    uint8_t cpu_affinity; /* physical core; 0 until SMP */
    uint8_t reserved;
};

struct sysimage_zero {
    uint64_t paddr;
    uint64_t size;
};

struct sysimage {
    uint64_t magic;
    uint32_t version;
    uint32_t board_id;
    uint32_t pd_count;
    uint32_t vm_count;
    uint32_t vcpu_count;
    uint32_t map_count;
    uint32_t zero_count;
    uint32_t reserved;
    struct sysimage_pd pds[SYSIMAGE_MAX_PDS];
    struct sysimage_vm vms[SYSIMAGE_MAX_VMS];
    struct sysimage_vcpu vcpus[SYSIMAGE_MAX_VCPUS];
    struct sysimage_map maps[SYSIMAGE_MAX_MAPS];
    struct sysimage_zero zeros[SYSIMAGE_MAX_ZEROS];
};
