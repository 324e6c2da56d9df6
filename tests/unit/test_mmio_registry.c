/* The VMM's device tables: MMIO windows (overlaps, edges, the top of the address space, a full
 * table) and level vIRQ sources (SPIs only, one source per line). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <vmm/mmio_registry.h>

static struct mmio_registry mmio;
static struct virq_registry virqs;
static int device_a;
static int device_b;
static uint64_t last_offset;
static unsigned last_size;
static uint64_t last_value;

static uint64_t read_a(void *context, uint64_t offset, unsigned size)
{
    assert_ptr_equal(context, &device_a);
    last_offset = offset;
    last_size = size;
    return 0xa;
}

static void write_a(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    assert_ptr_equal(context, &device_a);
    last_offset = offset;
    last_size = size;
    last_value = value;
}

static bool line_up(void *context)
{
    return context == &device_a;
}

static int setup(void **state)
{
    (void)state;
    memset(&mmio, 0, sizeof(mmio));
    memset(&virqs, 0, sizeof(virqs));
    last_offset = last_size = last_value = 0;
    return 0;
}

static bool add(uint64_t base, uint64_t size)
{
    return mmio_registry_add(&mmio, base, size, read_a, write_a, &device_a);
}

static void lookup_at_the_edges(void **state)
{
    (void)state;
    assert_true(add(0x1000, 0x200));
    const struct mmio_region *r = mmio_registry_find(&mmio, 0x1000, 4);
    assert_non_null(r);
    assert_int_equal(r->base, 0x1000);
    assert_int_equal(r->size, 0x200);
    assert_ptr_equal(mmio_registry_find(&mmio, 0x11fc, 4), r); /* last word */
    assert_ptr_equal(mmio_registry_find(&mmio, 0x11ff, 1), r); /* last byte */
    assert_null(mmio_registry_find(&mmio, 0x11fe, 4));         /* starts inside, ends outside */
    assert_null(mmio_registry_find(&mmio, 0x11f8, 16));        /* wider than what is left */
    assert_null(mmio_registry_find(&mmio, 0x1200, 1));         /* one past the end */
    assert_null(mmio_registry_find(&mmio, 0x0fff, 1));         /* one before */
    assert_null(mmio_registry_find(&mmio, 0x0ffc, 8));         /* straddles the start */
    assert_null(mmio_registry_find(&mmio, 0xffffffffffffffffULL, 8));
    /* the handlers get the offset in the window and the context */
    assert_int_equal(r->read(r->context, 0x11fc - r->base, 4), 0xa);
    assert_int_equal(last_offset, 0x1fc);
    r->write(r->context, 8, 2, 0x55);
    assert_int_equal(last_value, 0x55);
}

static void overlaps_refused(void **state)
{
    (void)state;
    assert_true(add(0x1000, 0x200));
    assert_false(add(0x1100, 0x200));   /* over its end */
    assert_false(add(0x0f00, 0x101));   /* over its start by one byte */
    assert_false(add(0x1000, 0x200));   /* the same */
    assert_false(add(0x0000, 0x10000)); /* around it */
    assert_false(add(0x1080, 0x10));    /* inside it */
    assert_false(add(0x11ff, 1));       /* its last byte */
    assert_int_equal(mmio.count, 1);
    assert_true(add(0x1200, 0x100)); /* touching after */
    assert_true(add(0x0f00, 0x100)); /* touching before */
    assert_int_equal(mmio.count, 3);
    assert_int_equal(mmio_registry_find(&mmio, 0x11ff, 1)->base, 0x1000);
    assert_int_equal(mmio_registry_find(&mmio, 0x1200, 1)->base, 0x1200);
    assert_int_equal(mmio_registry_find(&mmio, 0x0fff, 1)->base, 0x0f00);
}

static void bad_windows_refused(void **state)
{
    (void)state;
    assert_false(add(0x1000, 0));                     /* empty */
    assert_false(add(0xfffffffffffff000ULL, 0x2000)); /* wraps */
    assert_false(add(0xfffffffffffff000ULL, 0x1000)); /* ends at 2^64, not representable */
    assert_false(add(0xffffffffffffffffULL, 0xffffffffffffffffULL));
    assert_false(mmio_registry_add(&mmio, 0x1000, 0x10, NULL, write_a, &device_a));
    assert_false(mmio_registry_add(&mmio, 0x1000, 0x10, read_a, NULL, &device_a));
    assert_int_equal(mmio.count, 0);
    /* the highest window there can be, and a lookup right at the top */
    assert_true(add(0xfffffffffffff000ULL, 0xfff));
    assert_non_null(mmio_registry_find(&mmio, 0xfffffffffffffffeULL, 1));
    assert_null(mmio_registry_find(&mmio, 0xfffffffffffffffeULL, 2));
    assert_null(mmio_registry_find(&mmio, 0xffffffffffffffffULL, 1));
    /* a window overlapping that one from below, found without wrapping */
    assert_false(add(0xffffffffffffe000ULL, 0x1800));
}

static void table_full(void **state)
{
    (void)state;
    for (unsigned i = 0; i < MMIO_REGISTRY_MAX; i++) {
        assert_true(add(0x10000 * (i + 1), 0x200));
    }
    assert_false(add(0x900000, 0x200));
    assert_int_equal(mmio.count, MMIO_REGISTRY_MAX);
    for (unsigned i = 0; i < MMIO_REGISTRY_MAX; i++) {
        assert_int_equal(mmio_registry_find(&mmio, 0x10000 * (i + 1) + 0x10, 4)->base, 0x10000 * (i + 1));
    }
    assert_null(mmio_registry_find(&mmio, 0x900000, 4));
}

static void virq_sources(void **state)
{
    (void)state;
    assert_true(virq_registry_add(&virqs, 48, line_up, &device_a));
    assert_true(virq_registry_add(&virqs, 49, line_up, &device_b));
    const struct virq_source *s = virq_registry_find(&virqs, 48);
    assert_non_null(s);
    assert_true(s->asserted(s->context));
    s = virq_registry_find(&virqs, 49);
    assert_false(s->asserted(s->context));
    assert_null(virq_registry_find(&virqs, 50));
    assert_false(virq_registry_add(&virqs, 48, line_up, &device_b)); /* one owner per line */
    assert_ptr_equal(virq_registry_find(&virqs, 48)->context, &device_a);
}

static void virq_must_be_an_spi(void **state)
{
    (void)state;
    assert_false(virq_registry_add(&virqs, 0, line_up, NULL));  /* SGI */
    assert_false(virq_registry_add(&virqs, 27, line_up, NULL)); /* the virtual timer's PPI */
    assert_false(virq_registry_add(&virqs, 31, line_up, NULL));
    assert_false(virq_registry_add(&virqs, VGIC_IRQ_COUNT, line_up, NULL));
    assert_false(virq_registry_add(&virqs, 1023, line_up, NULL));
    assert_false(virq_registry_add(&virqs, 0xffffffffu, line_up, NULL));
    assert_false(virq_registry_add(&virqs, 40, NULL, NULL));
    assert_int_equal(virqs.count, 0);
    assert_true(virq_registry_add(&virqs, VIRQ_FIRST_SPI, line_up, NULL));
    assert_true(virq_registry_add(&virqs, VGIC_IRQ_COUNT - 1, line_up, NULL));
}

static void virq_table_full_and_removal(void **state)
{
    (void)state;
    for (unsigned i = 0; i < VIRQ_REGISTRY_MAX; i++) {
        assert_true(virq_registry_add(&virqs, 32 + i, line_up, NULL));
    }
    assert_false(virq_registry_add(&virqs, 100, line_up, NULL));
    assert_true(virq_registry_remove(&virqs, 33));
    assert_false(virq_registry_remove(&virqs, 33));
    assert_null(virq_registry_find(&virqs, 33));
    for (unsigned i = 0; i < VIRQ_REGISTRY_MAX; i++) {
        if (i != 1) {
            assert_int_equal(virq_registry_find(&virqs, 32 + i)->virq, 32 + i);
        }
    }
    assert_true(virq_registry_add(&virqs, 100, line_up, NULL)); /* the slot is free again */
    assert_false(virq_registry_remove(&virqs, 200));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(lookup_at_the_edges, setup),
        cmocka_unit_test_setup(overlaps_refused, setup),
        cmocka_unit_test_setup(bad_windows_refused, setup),
        cmocka_unit_test_setup(table_full, setup),
        cmocka_unit_test_setup(virq_sources, setup),
        cmocka_unit_test_setup(virq_must_be_an_spi, setup),
        cmocka_unit_test_setup(virq_table_full_and_removal, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
