/* The GICv2 distributor register map (ARM IHI 0048B section 4.3) over the shared vGIC state. */
#include <vmm/vgic.h>
#include "vgic_internal.h"

/* Distributor register map (ARM IHI 0048B, table 4-1). */
#define GICD_CTLR       0x000
#define GICD_TYPER      0x004
#define GICD_IIDR       0x008
#define GICD_IGROUPR    0x080
#define GICD_ISENABLER  0x100
#define GICD_ICENABLER  0x180
#define GICD_ISPENDR    0x200
#define GICD_ICPENDR    0x280
#define GICD_ISACTIVER  0x300
#define GICD_ICACTIVER  0x380
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR  0x800
#define GICD_ICFGR      0xc00
#define GICD_SGIR       0xf00
#define GICD_CPENDSGIR  0xf10
#define GICD_SPENDSGIR  0xf20
#define GICD_PIDR2      0xfe8

#define BANK(offset, base)      (((offset) - (base)) / 4)
#define IN(offset, base, bytes) ((offset) >= (base) && (offset) < (base) + (bytes))

static uint32_t read_bits(const struct vgic *vgic, const uint32_t *bits, unsigned bank)
{
    (void)vgic;
    return bank < VGIC_IRQ_COUNT / 32 ? bits[bank] : 0;
}

static uint32_t read_bytes(const uint8_t *array, uint64_t index, unsigned size)
{
    uint32_t value = 0;
    for (unsigned i = 0; i < size && index + i < VGIC_IRQ_COUNT; i++) {
        value |= (uint32_t)array[index + i] << (8 * i);
    }
    return value;
}

uint32_t vgic_dist_read(struct vgic *vgic, uint64_t offset, unsigned size)
{
    bool byte_array = IN(offset, GICD_IPRIORITYR, VGIC_IRQ_COUNT) || IN(offset, GICD_ITARGETSR, VGIC_IRQ_COUNT);
    if ((size != 4 && !(byte_array && size == 1)) || (offset & (size - 1)) != 0 || offset >= VGIC_DIST_SIZE) {
        vgic->bad_accesses++;
        return 0;
    }
    if (offset == GICD_CTLR) {
        return vgic->ctlr;
    }
    if (offset == GICD_TYPER) {
        return (VGIC_IRQ_COUNT / 32 - 1) & 0x1f; /* ITLinesNumber; CPUNumber 0 = one CPU */
    }
    if (offset == GICD_IIDR) {
        return 0x0200143bu; /* ARM (0x43b), GICv2 */
    }
    if (IN(offset, GICD_IGROUPR, 0x80)) {
        return read_bits(vgic, vgic->group, BANK(offset, GICD_IGROUPR));
    }
    if (IN(offset, GICD_ISENABLER, 0x80)) {
        return read_bits(vgic, vgic->enabled, BANK(offset, GICD_ISENABLER));
    }
    if (IN(offset, GICD_ICENABLER, 0x80)) {
        return read_bits(vgic, vgic->enabled, BANK(offset, GICD_ICENABLER));
    }
    if (IN(offset, GICD_ISPENDR, 0x80) || IN(offset, GICD_ICPENDR, 0x80)) {
        unsigned bank = IN(offset, GICD_ISPENDR, 0x80) ? BANK(offset, GICD_ISPENDR) : BANK(offset, GICD_ICPENDR);
        uint32_t value = 0;
        for (unsigned i = 0; i < 32 && bank * 32 + i < VGIC_IRQ_COUNT; i++) {
            value |= vgic_is_pending(vgic, bank * 32 + i) ? 1u << i : 0;
        }
        return value;
    }
    if (IN(offset, GICD_ISACTIVER, 0x80) || IN(offset, GICD_ICACTIVER, 0x80)) {
        return 0; /* active state lives in the list registers, not visible here */
    }
    if (IN(offset, GICD_IPRIORITYR, VGIC_IRQ_COUNT)) {
        return read_bytes(vgic->priority, offset - GICD_IPRIORITYR, size);
    }
    if (IN(offset, GICD_ITARGETSR, VGIC_IRQ_COUNT)) {
        return read_bytes(vgic->targets, offset - GICD_ITARGETSR, size);
    }
    if (IN(offset, GICD_ICFGR, VGIC_IRQ_COUNT / 4)) {
        return vgic->config[BANK(offset, GICD_ICFGR)];
    }
    if (offset == GICD_PIDR2) {
        return 0x2b; /* ArchRev 2 */
    }
    if (IN(offset, GICD_CPENDSGIR, 0x20) || offset == GICD_SGIR || (offset >= 0xfd0 && offset < 0x1000)) {
        return 0;
    }
    vgic->bad_accesses++;
    return 0;
}

static void write_bytes(uint8_t *array, uint64_t index, unsigned size, uint32_t value, unsigned first_writable)
{
    for (unsigned i = 0; i < size && index + i < VGIC_IRQ_COUNT; i++) {
        if (index + i >= first_writable) {
            array[index + i] = (uint8_t)(value >> (8 * i));
        }
    }
}

void vgic_dist_write(struct vgic *vgic, uint64_t offset, unsigned size, uint32_t value)
{
    bool byte_array = IN(offset, GICD_IPRIORITYR, VGIC_IRQ_COUNT) || IN(offset, GICD_ITARGETSR, VGIC_IRQ_COUNT);
    if ((size != 4 && !(byte_array && size == 1)) || (offset & (size - 1)) != 0 || offset >= VGIC_DIST_SIZE) {
        vgic->bad_accesses++;
        return;
    }
    if (offset == GICD_CTLR) {
        vgic->ctlr = value & 3;
    } else if (IN(offset, GICD_IGROUPR, 0x80)) {
        unsigned bank = BANK(offset, GICD_IGROUPR);
        if (bank < VGIC_IRQ_COUNT / 32) {
            vgic->group[bank] = value;
        }
    } else if (IN(offset, GICD_ISENABLER, 0x80)) {
        unsigned bank = BANK(offset, GICD_ISENABLER);
        if (bank < VGIC_IRQ_COUNT / 32) {
            for (unsigned i = 0; i < 32 && bank > 0 && vgic->enable_hook != NULL; i++) {
                if ((value >> i) & 1) {
                    vgic->enable_hook(vgic->enable_hook_context, bank * 32 + i);
                }
            }
            vgic->enabled[bank] |= value;
        }
    } else if (IN(offset, GICD_ICENABLER, 0x80)) {
        unsigned bank = BANK(offset, GICD_ICENABLER);
        if (bank < VGIC_IRQ_COUNT / 32) {
            vgic->enabled[bank] &= bank == 0 ? ~value | 0xffffu : ~value; /* SGIs stay enabled */
        }
    } else if (IN(offset, GICD_ISPENDR, 0x80)) {
        unsigned bank = BANK(offset, GICD_ISPENDR);
        for (unsigned i = 0; i < 32; i++) {
            if ((value >> i) & 1 && bank * 32 + i < VGIC_IRQ_COUNT && !vgic_in_lr(vgic, bank * 32 + i)) {
                vgic_make_pending(vgic, bank * 32 + i);
            }
        }
    } else if (IN(offset, GICD_ICPENDR, 0x80)) {
        unsigned bank = BANK(offset, GICD_ICPENDR);
        for (unsigned i = 0; i < 32; i++) {
            if ((value >> i) & 1 && bank * 32 + i < VGIC_IRQ_COUNT) {
                vgic_set_bit(vgic->pending, bank * 32 + i, false);
            }
        }
        unsigned kept = 0;
        for (unsigned q = 0; q < vgic->queue_length; q++) {
            if (vgic_bit(vgic->pending, vgic->queue[q])) {
                vgic->queue[kept++] = vgic->queue[q];
            }
        }
        vgic->queue_length = kept;
    } else if (IN(offset, GICD_ISACTIVER, 0x80) || IN(offset, GICD_ICACTIVER, 0x80)) {
        /* Linux clears active state at start-up; nothing is active outside the LRs. */
    } else if (IN(offset, GICD_IPRIORITYR, VGIC_IRQ_COUNT)) {
        write_bytes(vgic->priority, offset - GICD_IPRIORITYR, size, value, 0);
    } else if (IN(offset, GICD_ITARGETSR, VGIC_IRQ_COUNT)) {
        write_bytes(vgic->targets, offset - GICD_ITARGETSR, size, value, 32); /* 0..31 read-only */
    } else if (IN(offset, GICD_ICFGR, VGIC_IRQ_COUNT / 4)) {
        unsigned bank = BANK(offset, GICD_ICFGR);
        if (bank != 0) { /* SGIs' configuration is fixed */
            vgic->config[bank] = value & 0xaaaaaaaau;
        }
    } else if (offset == GICD_SGIR) {
        /* TargetListFilter[25:24]: 0 = the list in CPUTargetList[23:16], 1 = all others, 2 = self. */
        unsigned filter = (value >> 24) & 3;
        unsigned targets = (value >> 16) & 0xff;
        if (filter == 2 || (filter == 0 && (targets & 1))) {
            vgic_make_pending(vgic, value & 0xf);
        }
    } else if (IN(offset, GICD_CPENDSGIR, 0x20) || (offset >= 0xfd0 && offset < 0x1000)) {
        /* SGI pending by source and ID registers: nothing to change */
    } else {
        vgic->bad_accesses++;
        return;
    }
    vgic_flush(vgic);
}
