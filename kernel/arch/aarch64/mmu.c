/*
 * EL2's own translation (an identity map) and the stage-2 tables of PDs and VMs.
 *
 * EL2 stage 1: TTBR0_EL2 with a 4 GiB input range (T0SZ 32, walk from level 1); every 2 MiB
 * block inside board RAM is Normal write-back, every other block Device-nGnRnE. The kernel only
 * dereferences RAM it owns, IPC buffers and the devices of board.h.
 *
 * Stage 2: 40-bit IPA (T0SZ 24), walk from level 1 with two concatenated level-1 tables (an
 * 8 KiB root), 4 KiB granule. Tables come from a pool sized at build time and are filled once at
 * boot; nothing is mapped or unmapped afterwards, so there is no run-time TLB maintenance and
 * VMIDs are never reused.
 */
#include <board.h>
#include <kernel/arch.h>
#include <kernel/printk.h>
#include <tessera/sysimage.h>
#include "registers.h"

#define DESC_VALID     (1UL << 0)
#define DESC_TABLE     (1UL << 1) /* at levels 0-2; at level 3 it marks a page */
#define DESC_AF        (1UL << 10)
#define DESC_SH_INNER  (3UL << 8)
#define DESC_ADDR_MASK 0x0000fffffffff000UL

/* EL2 stage-1 attributes: AttrIndx[4:2] into MAIR_EL2. */
#define MAIR_DEVICE_NGNRNE 0x00UL
#define MAIR_NORMAL_WB     0xffUL
#define EL2_ATTR_DEVICE    (0UL << 2)
#define EL2_ATTR_NORMAL    (1UL << 2)
#define EL2_XN             (1UL << 54)

/* Stage-2 descriptor fields (Arm ARM D8.5). */
#define S2_MEMATTR_NORMAL_WB (0xfUL << 2)
#define S2_MEMATTR_DEVICE    (0x1UL << 2) /* Device-nGnRE */
#define S2AP_RO              (1UL << 6)
#define S2AP_RW              (3UL << 6)
#define S2_XN                (1UL << 54)

#define STAGE2_POOL_PAGES 1024

static uint64_t el2_l1[512] __attribute__((aligned(4096)));
static uint64_t el2_l2[4][512] __attribute__((aligned(4096)));

static uint64_t stage2_pool[STAGE2_POOL_PAGES][512] __attribute__((aligned(8192)));
static uint64_t stage2_pool_next;

static bool in_ram(uint64_t addr)
{
    /* One unsigned comparison: addresses below the base wrap to huge offsets. */
    return addr - BOARD_RAM_BASE < BOARD_RAM_SIZE;
}

void arch_mmu_init(void)
{
    for (unsigned l1 = 0; l1 < 4; l1++) {
        for (unsigned l2 = 0; l2 < 512; l2++) {
            uint64_t addr = ((uint64_t)l1 << 30) | ((uint64_t)l2 << 21);
            uint64_t attrs = in_ram(addr) ? (EL2_ATTR_NORMAL | DESC_SH_INNER) : (EL2_ATTR_DEVICE | EL2_XN);
            el2_l2[l1][l2] = addr | attrs | DESC_AF | DESC_VALID;
        }
        el2_l1[l1] = (uint64_t)&el2_l2[l1][0] | DESC_TABLE | DESC_VALID;
    }
    dsb_sy();

    write_sysreg(mair_el2, MAIR_DEVICE_NGNRNE | (MAIR_NORMAL_WB << 8));
    /* TCR_EL2: T0SZ 32, IRGN0/ORGN0 write-back, SH0 inner, TG0 4K, PS 40 bits, RES1 bits 31, 23. */
    word_t tcr = 32 | (1UL << 8) | (1UL << 10) | (3UL << 12) | (0UL << 14) | (2UL << 16) | (1UL << 23) | (1UL << 31);
    write_sysreg(tcr_el2, tcr);
    write_sysreg(ttbr0_el2, (word_t)el2_l1);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb_sy();
    isb();
    write_sysreg(sctlr_el2, SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA);
    isb();
}

void arch_stage2_init(void)
{
    /* VTCR_EL2: T0SZ 24 (40-bit IPA), SL0 1 (start at level 1), inner/outer write-back walks,
     * inner shareable, 4K granule, PS 40 bits (every CPU we support has at least that). */
    word_t vtcr = 24 | (1UL << 6) | (1UL << 8) | (1UL << 10) | (3UL << 12) | (0UL << 14) | (2UL << 16) | (1UL << 31);
    write_sysreg(vtcr_el2, vtcr);
    isb();
}

static uint64_t *stage2_alloc(unsigned pages)
{
    /* The 8 KiB root must be 8 KiB aligned. */
    if (pages == 2 && (stage2_pool_next & 1)) {
        stage2_pool_next++;
    }
    if (stage2_pool_next + pages > STAGE2_POOL_PAGES) {
        kpanic("stage-2 table pool exhausted (%u pages): the system maps too much in small pages", STAGE2_POOL_PAGES);
    }
    uint64_t *table = stage2_pool[stage2_pool_next];
    stage2_pool_next += pages;
    return table;
}

paddr_t arch_stage2_new_root(void)
{
    return (paddr_t)stage2_alloc(2);
}

uint64_t arch_stage2_pages_used(void)
{
    return stage2_pool_next;
}

static uint64_t stage2_leaf_attrs(uint32_t attrs)
{
    uint64_t desc = DESC_AF;
    if (attrs & SYSIMAGE_MAP_CACHED) {
        desc |= S2_MEMATTR_NORMAL_WB | DESC_SH_INNER;
    } else {
        desc |= S2_MEMATTR_DEVICE;
    }
    desc |= (attrs & SYSIMAGE_MAP_W) ? S2AP_RW : S2AP_RO;
    if (!(attrs & SYSIMAGE_MAP_X)) {
        desc |= S2_XN;
    }
    return desc;
}

/* The table at the next level under entry `*slot`, creating it if absent. */
static uint64_t *stage2_next_table(uint64_t *slot)
{
    if (*slot & DESC_VALID) {
        kassert(*slot & DESC_TABLE);
        return (uint64_t *)(*slot & DESC_ADDR_MASK);
    }
    uint64_t *table = stage2_alloc(1);
    *slot = (uint64_t)table | DESC_TABLE | DESC_VALID;
    return table;
}

/* Map one block (level 2, 2 MiB) or page (level 3, 4 KiB). Levels: root (L1, 1 GiB each,
 * 1024 entries over two pages), L2, L3. */
static bool stage2_map_one(paddr_t root, uint64_t ipa, paddr_t pa, unsigned level, uint64_t leaf)
{
    uint64_t *l1 = (uint64_t *)root;
    uint64_t *l1_slot = &l1[(ipa >> 30) & 1023];
    uint64_t *l2 = stage2_next_table(l1_slot);
    uint64_t *l2_slot = &l2[(ipa >> 21) & 511];
    if (level == 2) {
        if (*l2_slot & DESC_VALID) {
            return false;
        }
        *l2_slot = pa | leaf | DESC_VALID;
        return true;
    }
    if ((*l2_slot & DESC_VALID) && !(*l2_slot & DESC_TABLE)) {
        return false;
    }
    uint64_t *l3 = stage2_next_table(l2_slot);
    uint64_t *l3_slot = &l3[(ipa >> 12) & 511];
    if (*l3_slot & DESC_VALID) {
        return false;
    }
    *l3_slot = pa | leaf | DESC_TABLE | DESC_VALID;
    return true;
}

bool arch_stage2_map(paddr_t root, uint64_t ipa, paddr_t pa, uint64_t size, uint32_t attrs)
{
    const uint64_t block = 2UL << 20;
    uint64_t leaf = stage2_leaf_attrs(attrs);
    uint64_t offset = 0;
    while (offset < size) {
        uint64_t left = size - offset;
        bool use_block = is_aligned(ipa + offset, block) && is_aligned(pa + offset, block) && left >= block;
        if (!stage2_map_one(root, ipa + offset, pa + offset, use_block ? 2 : 3, leaf)) {
            return false;
        }
        offset += use_block ? block : PAGE_SIZE;
    }
    return true;
}

/* VTTBR_EL2: VMID in bits [63:48] (8 bits used without FEAT_VMID16), table base below. */
uint64_t arch_address_space(paddr_t root, uint16_t vmid)
{
    return root | (uint64_t)vmid << 48;
}

void arch_stage2_commit(void)
{
    /* The walker reads the tables through the inner-shareable domain; nothing from before the
     * kernel (firmware, a previous boot) may survive in the EL1&0 TLBs. */
    dsb_ish();
    __asm__ volatile("tlbi alle1; dsb ish; isb" ::: "memory");
}

/* Clear RAM quickly with DC ZVA (whole cache-line-sized blocks, DCZID_EL0), falling back to
 * stores at the unaligned edges. The MMU is on and RAM is Normal memory, as DC ZVA requires. */
void arch_zero_memory(paddr_t base, uint64_t size)
{
    uint64_t dczid = read_sysreg(dczid_el0);
    uint64_t block = 4UL << (dczid & 0xf);
    uint8_t *p = (uint8_t *)base;
    uint8_t *end = p + size;
    while (p < end && ((uint64_t)p & (block - 1)) != 0) {
        *p++ = 0;
    }
    if (!(dczid & 0x10)) { /* DZP clear: DC ZVA permitted */
        while ((uint64_t)(end - p) >= block) {
            __asm__ volatile("dc zva, %0" ::"r"(p) : "memory");
            p += block;
        }
    }
    while (p < end) {
        *p++ = 0;
    }
    dsb_ish();
}
