/* The GICv3 register maps of the vGIC (ARM IHI 0069: 12.9 distributor, 12.10-12.11
 * redistributor) over the shared vGIC state: identification, enable and pending state through
 * both frames, priorities and configuration, routing, SGIs by system register, and accesses
 * the GIC does not have (counted, not obeyed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <vmm/vgic.h>

#define GICD_CTLR       0x0000
#define GICD_TYPER      0x0004
#define GICD_IIDR       0x0008
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_ICENABLER  0x0180
#define GICD_ISPENDR    0x0200
#define GICD_ICPENDR    0x0280
#define GICD_IPRIORITYR 0x0400
#define GICD_ICFGR      0x0c00
#define GICD_IGRPMODR   0x0d00
#define GICD_IROUTER    0x6000
#define GICD_PIDR2      0xffe8

#define GICR_CTLR       0x0000
#define GICR_IIDR       0x0004
#define GICR_TYPER      0x0008
#define GICR_WAKER      0x0014
#define GICR_PIDR2      0xffe8
#define SGI_BASE        0x10000
#define GICR_ISENABLER0 (SGI_BASE + 0x0100)
#define GICR_ICENABLER0 (SGI_BASE + 0x0180)
#define GICR_ISPENDR0   (SGI_BASE + 0x0200)
#define GICR_IPRIORITYR (SGI_BASE + 0x0400)
#define GICR_ICFGR0     (SGI_BASE + 0x0c00)
#define GICR_ICFGR1     (SGI_BASE + 0x0c04)
#define GICR_IGRPMODR0  (SGI_BASE + 0x0d00)

#define SPI     48 /* bank 1, bit 16 */
#define SPI_BIT (1u << (SPI - 32))
#define VTIMER  27

struct injected {
    unsigned count;
    unsigned irq[32];
};

static struct vgic v;
static struct injected log;

static bool record_inject(void *context, unsigned lr, unsigned irq, unsigned priority)
{
    struct injected *l = context;
    (void)lr;
    (void)priority;
    assert_true(l->count < 32);
    l->irq[l->count++] = irq;
    return true;
}

static int setup(void **state)
{
    (void)state;
    memset(&log, 0, sizeof(log));
    vgic_init(&v, record_inject, &log);
    return 0;
}

static uint64_t d(uint64_t offset, unsigned size)
{
    return vgic_v3_dist_read(&v, offset, size);
}

static void dw(uint64_t offset, unsigned size, uint64_t value)
{
    vgic_v3_dist_write(&v, offset, size, value);
}

static uint64_t rd(uint64_t offset, unsigned size)
{
    return vgic_v3_redist_read(&v, offset, size);
}

static void rw(uint64_t offset, unsigned size, uint64_t value)
{
    vgic_v3_redist_write(&v, offset, size, value);
}

/* ---- distributor ---- */

static void distributor_identification(void **state)
{
    (void)state;
    /* affinity routing always on, a single security state (DS) */
    assert_int_equal(d(GICD_CTLR, 4), (1u << 4) | (1u << 6));
    uint32_t typer = (uint32_t)d(GICD_TYPER, 4);
    assert_int_equal(typer & 0x1f, VGIC_IRQ_COUNT / 32 - 1); /* ITLinesNumber */
    assert_int_equal((typer >> 19) & 0x1f, 9);               /* IDbits: 10-bit INTIDs */
    assert_int_equal((typer >> 17) & 1, 0);                  /* no LPIs */
    assert_int_equal(d(GICD_IIDR, 4), 0x0300143b);
    assert_int_equal((d(GICD_PIDR2, 4) >> 4) & 0xf, 3); /* ArchRev: GICv3 */
    assert_int_equal(d(0xffd0, 4), 0);                  /* other ID registers */
    assert_int_equal(v.bad_accesses, 0);
}

static void distributor_enable_groups(void **state)
{
    (void)state;
    dw(GICD_CTLR, 4, 0xffffffff); /* only EnableGrp0/1 stick; ARE and DS stay as they are */
    assert_int_equal(d(GICD_CTLR, 4), 3 | (1u << 4) | (1u << 6));
    dw(GICD_CTLR, 4, 0);
    assert_int_equal(d(GICD_CTLR, 4), (1u << 4) | (1u << 6));
}

static void spi_enable_and_injection(void **state)
{
    (void)state;
    dw(GICD_CTLR, 4, 2); /* EnableGrp1, as Linux does */
    assert_true(vgic_inject(&v, SPI));
    assert_int_equal(log.count, 0); /* not enabled: it waits */
    assert_true(vgic_is_pending(&v, SPI));
    assert_int_equal(d(GICD_ISPENDR + 4, 4), SPI_BIT);
    dw(GICD_ISENABLER + 4, 4, SPI_BIT);
    assert_int_equal(d(GICD_ISENABLER + 4, 4), SPI_BIT);
    assert_int_equal(d(GICD_ICENABLER + 4, 4), SPI_BIT);
    assert_int_equal(log.count, 1);
    assert_int_equal(log.irq[0], SPI);
    dw(GICD_ICENABLER + 4, 4, SPI_BIT);
    assert_int_equal(d(GICD_ISENABLER + 4, 4), 0);
}

static void distributor_off_holds_interrupts(void **state)
{
    (void)state;
    dw(GICD_ISENABLER + 4, 4, SPI_BIT);
    vgic_inject(&v, SPI);
    assert_int_equal(log.count, 0);
    dw(GICD_CTLR, 4, 2);
    assert_int_equal(log.count, 1);
}

static void spi_pending_set_and_clear(void **state)
{
    (void)state;
    dw(GICD_ISPENDR + 4, 4, SPI_BIT | 1); /* 48 and 32 */
    assert_true(vgic_is_pending(&v, SPI));
    assert_true(vgic_is_pending(&v, 32));
    dw(GICD_ICPENDR + 4, 4, SPI_BIT);
    assert_false(vgic_is_pending(&v, SPI));
    assert_true(vgic_is_pending(&v, 32));
    dw(GICD_CTLR, 4, 2);
    dw(GICD_ISENABLER + 4, 4, SPI_BIT | 1);
    assert_int_equal(log.count, 1); /* only 32 was still pending */
    assert_int_equal(log.irq[0], 32);
}

static void first_bank_is_the_redistributors(void **state)
{
    (void)state;
    /* Under affinity routing, the distributor's registers for 0..31 are RAZ/WI (12.9). */
    dw(GICD_ISENABLER, 4, 1u << VTIMER);
    dw(GICD_ICENABLER, 4, 0xffff);
    dw(GICD_IPRIORITYR + VTIMER, 1, 0x80);
    dw(GICD_ICFGR + 4, 4, 0);
    dw(GICD_IGROUPR, 4, 0xffffffff);
    assert_int_equal(d(GICD_ISENABLER, 4), 0);
    assert_int_equal(d(GICD_IPRIORITYR + VTIMER, 1), 0);
    assert_int_equal(rd(GICR_ISENABLER0, 4), 0xffff); /* SGIs still enabled, the PPI not */
    assert_int_equal(rd(GICR_IPRIORITYR + VTIMER, 1), 0);
    assert_int_equal(v.bad_accesses, 0);
}

static void spi_priority_and_configuration(void **state)
{
    (void)state;
    dw(GICD_IPRIORITYR + SPI, 1, 0xa0);
    assert_int_equal(d(GICD_IPRIORITYR + SPI, 1), 0xa0);
    assert_int_equal(d(GICD_IPRIORITYR + SPI, 4), 0xa0);
    dw(GICD_IPRIORITYR + SPI, 4, 0x10203040);
    assert_int_equal(d(GICD_IPRIORITYR + SPI + 3, 1), 0x10);
    dw(GICD_ICFGR + 12, 4, 0xffffffff); /* INTIDs 48..63: only the edge bits stick */
    assert_int_equal(d(GICD_ICFGR + 12, 4), 0xaaaaaaaa);
    dw(GICD_IGRPMODR + 4, 4, 0xffffffff); /* modifiers mean nothing with one security state */
    assert_int_equal(d(GICD_IGRPMODR + 4, 4), 0);
    assert_int_equal(v.bad_accesses, 0);
}

static void routing(void **state)
{
    (void)state;
    uint64_t reg = GICD_IROUTER + 8 * SPI;
    assert_int_equal(d(reg, 8), 0);
    dw(reg, 8, 0x0000000100000203ULL); /* Aff3 1, Aff1 2, Aff0 3 */
    assert_int_equal(d(reg, 8), 0x0000000100000203ULL);
    assert_int_equal(d(reg, 4), 0x00000203);
    assert_int_equal(d(reg + 4, 4), 0x1);
    dw(reg + 4, 4, 0);    /* the upper half alone */
    dw(reg, 4, 1u << 31); /* IRM: any participating PE */
    assert_int_equal(d(reg, 8), 1u << 31);
    assert_int_equal(d(GICD_IROUTER + 8 * (SPI + 1), 8), 0); /* its neighbour untouched */
    dw(GICD_IROUTER + 8 * (VGIC_IRQ_COUNT - 1), 8, 7);
    assert_int_equal(d(GICD_IROUTER + 8 * (VGIC_IRQ_COUNT - 1), 8), 7);
    assert_int_equal(v.bad_accesses, 0);
}

static void routing_bad_accesses(void **state)
{
    (void)state;
    uint64_t reg = GICD_IROUTER + 8 * SPI;
    dw(reg, 8, 5);
    dw(reg + 4, 8, 0xffffffffffffffffULL); /* 64-bit, not 8-aligned */
    dw(reg + 2, 4, 0xffffffff);            /* 32-bit, not 4-aligned */
    dw(reg, 2, 0xffff);                    /* no 16-bit accesses */
    assert_int_equal(d(reg + 4, 8), 0);
    assert_int_equal(d(reg + 1, 4), 0);
    assert_int_equal(d(reg, 8), 5);  /* nothing changed */
    dw(GICD_IROUTER + 8 * 27, 8, 1); /* a PPI has no IROUTER */
    assert_int_equal(d(GICD_IROUTER + 8 * 27, 8), 0);
    dw(GICD_IROUTER + 8 * VGIC_IRQ_COUNT, 8, 1); /* past the last SPI */
    assert_int_equal(d(GICD_IROUTER + 8 * VGIC_IRQ_COUNT, 8), 0);
    assert_int_equal(v.bad_accesses, 9);
}

static void distributor_bad_offsets_and_sizes(void **state)
{
    (void)state;
    assert_int_equal(d(GICD_CTLR, 2), 0);
    assert_int_equal(d(GICD_ISENABLER + 4, 1), 0); /* bytes only for priorities */
    assert_int_equal(d(GICD_ISENABLER + 6, 4), 0); /* unaligned */
    assert_int_equal(d(0x2000, 4), 0);             /* nothing there */
    assert_int_equal(d(VGIC_V3_DIST_SIZE, 4), 0);  /* past the frame */
    assert_int_equal(d(0x100000, 4), 0);
    dw(GICD_ISENABLER + 4, 8, 0xffffffffffffffffULL);
    dw(GICD_ISENABLER + 6, 4, 0xffffffff);
    dw(0x2000, 4, 1);
    dw(VGIC_V3_DIST_SIZE + 0xffe8, 4, 1);
    assert_int_equal(v.bad_accesses, 10);
    assert_int_equal(d(GICD_ISENABLER + 4, 4), 0);
}

/* ---- redistributor ---- */

static void redistributor_identification(void **state)
{
    (void)state;
    uint64_t typer = rd(GICR_TYPER, 8);
    assert_int_equal(typer & (1u << 4), 1u << 4); /* Last: the only redistributor */
    assert_int_equal(typer >> 32, 0);             /* affinity 0.0.0.0 */
    assert_int_equal(rd(GICR_TYPER, 4), 1u << 4);
    assert_int_equal(rd(GICR_TYPER + 4, 4), 0);
    assert_int_equal(rd(GICR_IIDR, 4), 0x0300143b);
    assert_int_equal((rd(GICR_PIDR2, 4) >> 4) & 0xf, 3);
    assert_int_equal(rd(GICR_CTLR, 4), 0);
    assert_int_equal(v.bad_accesses, 0);
}

static void redistributor_wakes(void **state)
{
    (void)state;
    /* Linux clears ProcessorSleep and waits for ChildrenAsleep to clear (12.11.42). */
    assert_int_equal(rd(GICR_WAKER, 4), 0);
    rw(GICR_WAKER, 4, 1u << 1);
    assert_int_equal(rd(GICR_WAKER, 4), (1u << 1) | (1u << 2));
    rw(GICR_WAKER, 4, 0);
    assert_int_equal(rd(GICR_WAKER, 4), 0);
    rw(GICR_CTLR, 4, 1); /* EnableLPIs: there are none, nothing happens */
    assert_int_equal(rd(GICR_CTLR, 4), 0);
    assert_int_equal(v.bad_accesses, 0);
}

static void ppi_enable_through_the_sgi_frame(void **state)
{
    (void)state;
    dw(GICD_CTLR, 4, 2);
    rw(GICR_ISENABLER0, 4, 1u << VTIMER);
    assert_int_equal(rd(GICR_ISENABLER0, 4) & (1u << VTIMER), 1u << VTIMER);
    vgic_inject(&v, VTIMER);
    assert_int_equal(log.count, 1);
    assert_int_equal(log.irq[0], VTIMER);
    rw(GICR_ICENABLER0, 4, 1u << VTIMER);
    assert_int_equal(rd(GICR_ISENABLER0, 4) & (1u << VTIMER), 0);
    rw(GICR_ISPENDR0, 4, 1u << 20);                                      /* PPI 20 made pending by the guest */
    assert_int_equal(rd(GICR_ISPENDR0, 4), (1u << 20) | (1u << VTIMER)); /* 27 still in its list register */
    rw(GICR_IPRIORITYR + VTIMER, 1, 0xa0);
    assert_int_equal(rd(GICR_IPRIORITYR + VTIMER, 1), 0xa0);
    rw(GICR_ICFGR0, 4, 0); /* SGIs stay edge */
    assert_int_equal(rd(GICR_ICFGR0, 4), 0xaaaaaaaa);
    rw(GICR_ICFGR1, 4, 0xffffffff);
    assert_int_equal(rd(GICR_ICFGR1, 4), 0xaaaaaaaa);
    rw(GICR_IGRPMODR0, 4, 0xffffffff);
    assert_int_equal(rd(GICR_IGRPMODR0, 4), 0);
    assert_int_equal(v.bad_accesses, 0);
}

static void redistributor_bad_offsets_and_sizes(void **state)
{
    (void)state;
    assert_int_equal(rd(GICR_CTLR, 1), 0);
    assert_int_equal(rd(0x0100, 4), 0);            /* nothing there in RD_base */
    assert_int_equal(rd(SGI_BASE + 0x0104, 4), 0); /* ISENABLER1 belongs to the distributor */
    assert_int_equal(rd(SGI_BASE + 0x0400 + 32, 1), 0);
    assert_int_equal(rd(SGI_BASE + 0x0d04, 4), 0);
    assert_int_equal(rd(VGIC_V3_REDIST_SIZE, 4), 0); /* past both frames */
    rw(GICR_WAKER, 2, 2);
    rw(GICR_IIDR, 4, 1); /* read-only */
    rw(SGI_BASE + 0x0104, 4, 0xffffffff);
    rw(GICR_ISENABLER0, 2, 0xffff);
    rw(VGIC_V3_REDIST_SIZE + GICR_ISENABLER0, 4, 1);
    assert_int_equal(v.bad_accesses, 11);
    assert_int_equal(rd(GICR_WAKER, 4), 0);
    assert_int_equal(d(GICD_ISENABLER + 4, 4), 0);
}

/* ---- SGIs: ICC_SGI1R_EL1 (a CPU interface register, 12.2), trapped to the VMM ---- */

static uint64_t sgi1r(unsigned intid, uint16_t targets, unsigned aff1, unsigned aff2, unsigned aff3, unsigned rs,
                      bool irm)
{
    return (uint64_t)targets | (uint64_t)aff1 << 16 | (uint64_t)intid << 24 | (uint64_t)aff2 << 32 |
           (uint64_t)irm << 40 | (uint64_t)rs << 44 | (uint64_t)aff3 << 48;
}

static void sgi_to_self_only(void **state)
{
    (void)state;
    dw(GICD_CTLR, 4, 2); /* SGIs are enabled from reset */
    vgic_v3_sgi1r(&v, sgi1r(5, 1, 0, 0, 0, 0, false));
    assert_int_equal(log.count, 1);
    assert_int_equal(log.irq[0], 5);
    vgic_v3_sgi1r(&v, sgi1r(6, 2, 0, 0, 0, 0, false)); /* CPU 1 */
    vgic_v3_sgi1r(&v, sgi1r(6, 1, 1, 0, 0, 0, false)); /* Aff1 1 */
    vgic_v3_sgi1r(&v, sgi1r(6, 1, 0, 1, 0, 0, false)); /* Aff2 1 */
    vgic_v3_sgi1r(&v, sgi1r(6, 1, 0, 0, 1, 0, false)); /* Aff3 1 */
    vgic_v3_sgi1r(&v, sgi1r(6, 1, 0, 0, 0, 1, false)); /* RS 1: Aff0 16 */
    vgic_v3_sgi1r(&v, sgi1r(6, 1, 0, 0, 0, 0, true));  /* all but self */
    assert_int_equal(log.count, 1);
    assert_false(vgic_is_pending(&v, 6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(distributor_identification, setup),
        cmocka_unit_test_setup(distributor_enable_groups, setup),
        cmocka_unit_test_setup(spi_enable_and_injection, setup),
        cmocka_unit_test_setup(distributor_off_holds_interrupts, setup),
        cmocka_unit_test_setup(spi_pending_set_and_clear, setup),
        cmocka_unit_test_setup(first_bank_is_the_redistributors, setup),
        cmocka_unit_test_setup(spi_priority_and_configuration, setup),
        cmocka_unit_test_setup(routing, setup),
        cmocka_unit_test_setup(routing_bad_accesses, setup),
        cmocka_unit_test_setup(distributor_bad_offsets_and_sizes, setup),
        cmocka_unit_test_setup(redistributor_identification, setup),
        cmocka_unit_test_setup(redistributor_wakes, setup),
        cmocka_unit_test_setup(ppi_enable_through_the_sgi_frame, setup),
        cmocka_unit_test_setup(redistributor_bad_offsets_and_sizes, setup),
        cmocka_unit_test_setup(sgi_to_self_only, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
