/* The VMM library's portable parts on the host: data-abort decoding, the GICv2 distributor and
 * list-register bookkeeping, PSCI, device-tree patching and the arm64 Image checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <vmm/fdt.h>
#include <vmm/linux.h>
#include <vmm/mmio_decode.h>
#include <vmm/psci.h>
#include <vmm/vgic.h>

/* ---- data aborts ---- */

static uint64_t dabt(unsigned sas, bool sse, unsigned srt, bool sf, bool write)
{
    return (0x24UL << 26) | (1UL << 25) | (1UL << 24) | ((uint64_t)sas << 22) | ((uint64_t)sse << 21) |
           ((uint64_t)srt << 16) | ((uint64_t)sf << 15) | ((uint64_t)write << 6) | 0x6;
}

static void decode_every_size(void **state)
{
    (void)state;
    for (unsigned sas = 0; sas < 4; sas++) {
        struct mmio_access a;
        assert_int_equal(mmio_decode(dabt(sas, false, 5, true, true), 0x9000010, &a), MMIO_DECODED);
        assert_int_equal(a.size, 1u << sas);
        assert_int_equal(a.reg, 5);
        assert_true(a.write);
        assert_int_equal(a.address, 0x9000010);
    }
    /* the syndrome QEMU gave for `strh w5` (KERNEL-DESIGN appendix A) */
    struct mmio_access a;
    assert_int_equal(mmio_decode(0x93450046UL, 0x30000010, &a), MMIO_DECODED);
    assert_int_equal(a.size, 2);
    assert_int_equal(a.reg, 5);
    assert_true(a.write);
}

static void decode_sign_extension_and_width(void **state)
{
    (void)state;
    struct mmio_access a;
    mmio_decode(dabt(0, true, 3, true, false), 0, &a); /* ldrsb x3 */
    assert_int_equal(mmio_read_result(&a, 0x80), 0xffffffffffffff80UL);
    mmio_decode(dabt(0, true, 3, false, false), 0, &a); /* ldrsb w3: top half cleared */
    assert_int_equal(mmio_read_result(&a, 0x80), 0xffffff80UL);
    mmio_decode(dabt(1, false, 3, false, false), 0, &a); /* ldrh w3 */
    assert_int_equal(mmio_read_result(&a, 0x12345678), 0x5678);
    mmio_decode(dabt(2, true, 3, true, false), 0, &a); /* ldrsw x3 */
    assert_int_equal(mmio_read_result(&a, 0x7fffffff), 0x7fffffff);
    assert_int_equal(mmio_read_result(&a, 0x80000000), 0xffffffff80000000UL);
    mmio_decode(dabt(3, false, 3, true, false), 0, &a);
    assert_int_equal(mmio_read_result(&a, 0x0123456789abcdefUL), 0x0123456789abcdefUL);
}

static void decode_xzr_and_write_values(void **state)
{
    (void)state;
    struct mmio_access a;
    mmio_decode(dabt(2, false, 31, false, true), 0, &a); /* str wzr */
    assert_int_equal(a.reg, 31);
    assert_int_equal(mmio_write_value(&a, 0xdeadbeef), 0);
    mmio_decode(dabt(0, false, 4, false, true), 0, &a); /* strb w4 */
    assert_int_equal(mmio_write_value(&a, 0x1234), 0x34);
}

static void decode_refuses_no_syndrome_and_other_classes(void **state)
{
    (void)state;
    struct mmio_access a;
    assert_int_equal(mmio_decode(dabt(2, false, 1, false, true) & ~(1UL << 24), 0, &a), MMIO_NO_SYNDROME);
    assert_int_equal(mmio_decode(0x17UL << 26, 0, &a), MMIO_NOT_DATA_ABORT);
}

/* ---- GICv2 distributor ---- */

struct injected {
    unsigned count;
    unsigned lr[32];
    unsigned irq[32];
    bool refuse;
};

static bool record_inject(void *context, unsigned lr, unsigned irq, unsigned priority)
{
    struct injected *log = context;
    (void)priority;
    if (log->refuse) {
        return false;
    }
    log->lr[log->count] = lr;
    log->irq[log->count] = irq;
    log->count++;
    return true;
}

static void gic_on(struct vgic *v, struct injected *log)
{
    memset(log, 0, sizeof(*log));
    vgic_init(v, record_inject, log);
    vgic_dist_write(v, 0x000, 4, 1); /* GICD_CTLR enable */
}

static void vgic_registers(void **state)
{
    (void)state;
    static struct vgic v;
    struct injected log;
    gic_on(&v, &log);
    assert_int_equal(vgic_dist_read(&v, 0x000, 4), 1);
    assert_int_equal(vgic_dist_read(&v, 0x004, 4) & 0x1f, VGIC_IRQ_COUNT / 32 - 1);
    vgic_dist_write(&v, 0x104, 4, 0x3); /* ISENABLER1: IRQs 32, 33 */
    assert_int_equal(vgic_dist_read(&v, 0x104, 4), 0x3);
    vgic_dist_write(&v, 0x184, 4, 0x1); /* ICENABLER1: 32 off */
    assert_int_equal(vgic_dist_read(&v, 0x104, 4), 0x2);
    vgic_dist_write(&v, 0x180, 4, 0xffffffff); /* SGIs cannot be disabled */
    assert_int_equal(vgic_dist_read(&v, 0x100, 4) & 0xffff, 0xffff);
    vgic_dist_write(&v, 0x420, 4, 0xa0b0c0d0); /* IPRIORITYR for 32..35 */
    assert_int_equal(vgic_dist_read(&v, 0x421, 1), 0xc0);
    vgic_dist_write(&v, 0x422, 1, 0x10);
    assert_int_equal(vgic_dist_read(&v, 0x420, 4), 0xa010c0d0);
    vgic_dist_write(&v, 0x821, 1, 0x1); /* ITARGETSR of 33 */
    assert_int_equal(vgic_dist_read(&v, 0x821, 1), 1);
    vgic_dist_write(&v, 0x800, 4, 0xffffffff); /* SGI/PPI targets are read-only */
    assert_int_equal(vgic_dist_read(&v, 0x800, 1), 1);
    vgic_dist_write(&v, 0xc08, 4, 0xffffffff); /* ICFGR2: only the edge bits stick */
    assert_int_equal(vgic_dist_read(&v, 0xc08, 4), 0xaaaaaaaa);
    vgic_dist_write(&v, 0xc00, 4, 0); /* SGIs stay edge */
    assert_int_equal(vgic_dist_read(&v, 0xc00, 4), 0xaaaaaaaa);
    assert_int_equal(vgic_dist_read(&v, 0xfe8, 4) & 0xf0, 0x20);
    /* wrong widths and offsets are counted, not obeyed */
    unsigned bad = v.bad_accesses;
    assert_int_equal(vgic_dist_read(&v, 0x104, 2), 0);
    vgic_dist_write(&v, 0x2000, 4, 1);
    vgic_dist_write(&v, 0x105, 1, 0xff);
    assert_int_equal(v.bad_accesses, bad + 3);
    assert_int_equal(vgic_dist_read(&v, 0x104, 4), 0x2);
}

static void vgic_injection_needs_enabled_irq_and_distributor(void **state)
{
    (void)state;
    static struct vgic v;
    struct injected log;
    memset(&log, 0, sizeof(log));
    vgic_init(&v, record_inject, &log);
    vgic_dist_write(&v, 0x104, 4, 1u << 1); /* enable 33 */
    assert_true(vgic_inject(&v, 33));
    assert_int_equal(log.count, 0); /* distributor still off */
    vgic_dist_write(&v, 0x000, 4, 1);
    assert_int_equal(log.count, 1);
    assert_int_equal(log.irq[0], 33);
    assert_true(vgic_inject(&v, 40)); /* not enabled: waits */
    assert_int_equal(log.count, 1);
    assert_true(vgic_is_pending(&v, 40));
    vgic_dist_write(&v, 0x104, 4, 1u << 8);
    assert_int_equal(log.count, 2);
    assert_int_equal(log.irq[1], 40);
    assert_false(vgic_inject(&v, VGIC_IRQ_COUNT));
}

static void vgic_overflow_queue_refills_in_order(void **state)
{
    (void)state;
    static struct vgic v;
    struct injected log;
    gic_on(&v, &log);
    vgic_dist_write(&v, 0x104, 4, 0xff); /* 32..39 */
    for (unsigned irq = 32; irq < 38; irq++) {
        vgic_inject(&v, irq);
    }
    assert_int_equal(log.count, 4); /* four list registers */
    assert_int_equal(v.queue_length, 2);
    vgic_inject(&v, 33); /* already in a list register: no second entry */
    vgic_inject(&v, 36); /* already queued: no duplicate */
    assert_int_equal(v.queue_length, 2);
    assert_int_equal(vgic_end_of_interrupt(&v, 2), 34);
    assert_int_equal(log.count, 5);
    assert_int_equal(log.irq[4], 36);
    assert_int_equal(log.lr[4], 2);
    assert_int_equal(vgic_end_of_interrupt(&v, 0), 32);
    assert_int_equal(log.irq[5], 37);
    assert_int_equal(v.queue_length, 0);
    assert_int_equal(vgic_end_of_interrupt(&v, 9), VGIC_NO_IRQ);
}

static void vgic_refused_lr_keeps_irq_queued(void **state)
{
    (void)state;
    static struct vgic v;
    struct injected log;
    gic_on(&v, &log);
    vgic_dist_write(&v, 0x104, 4, 1);
    log.refuse = true;
    vgic_inject(&v, 32);
    assert_true(vgic_is_pending(&v, 32));
    log.refuse = false;
    vgic_dist_write(&v, 0x000, 4, 1); /* any later flush delivers it */
    assert_int_equal(log.count, 1);
}

static void vgic_sgi_to_self(void **state)
{
    (void)state;
    static struct vgic v;
    struct injected log;
    gic_on(&v, &log);
    vgic_dist_write(&v, 0xf00, 4, (2u << 24) | 3); /* to self, SGI 3 */
    assert_int_equal(log.count, 1);
    assert_int_equal(log.irq[0], 3);
    vgic_dist_write(&v, 0xf00, 4, (0u << 24) | (0x2u << 16) | 4); /* only to CPU 1: not us */
    assert_int_equal(log.count, 1);
}

static void vgic_clear_pending(void **state)
{
    (void)state;
    static struct vgic v;
    struct injected log;
    gic_on(&v, &log);
    vgic_dist_write(&v, 0x204, 4, 1u << 9); /* ISPENDR: 41 pending, not enabled */
    assert_true(vgic_is_pending(&v, 41));
    vgic_dist_write(&v, 0x284, 4, 1u << 9);
    assert_false(vgic_is_pending(&v, 41));
    vgic_dist_write(&v, 0x104, 4, 1u << 9);
    assert_int_equal(log.count, 0);
}

/* ---- PSCI ---- */

static void psci_calls(void **state)
{
    (void)state;
    struct psci_result r = psci_handle(0x84000000, 0, 0, 0, 1);
    assert_int_equal(r.action, PSCI_ANSWER);
    assert_int_equal(r.x0, 0x10001);
    assert_int_equal(psci_handle(0x84000008, 0, 0, 0, 1).action, PSCI_SYSTEM_OFF);
    assert_int_equal(psci_handle(0x84000009, 0, 0, 0, 1).action, PSCI_SYSTEM_RESET);
    assert_int_equal(psci_handle(0x84000002, 0, 0, 0, 1).action, PSCI_CPU_OFF);
    assert_int_equal(psci_handle(0xc4000003, 0, 0x40080000, 0, 1).x0, PSCI_ALREADY_ON);
    assert_int_equal(psci_handle(0xc4000003, 1, 0x40080000, 0, 1).x0, PSCI_INVALID_PARAMETERS);
    assert_int_equal(psci_handle(0xc4000004, 0, 0, 0, 1).x0, 0);
    assert_int_equal(psci_handle(0x84000006, 0, 0, 0, 1).x0, 2);
    assert_int_equal(psci_handle(0x8400000a, 0x84000009, 0, 0, 1).x0, PSCI_SUCCESS);
    assert_int_equal(psci_handle(0x8400000a, 0xc4000012, 0, 0, 1).x0, PSCI_NOT_SUPPORTED); /* SYSTEM_RESET2 */
    assert_int_equal(psci_handle(0x80000000, 0, 0, 0, 1).x0, 0x10001);
    assert_int_equal(psci_handle(0x84000050, 0, 0, 0, 1).x0, PSCI_NOT_SUPPORTED);
    assert_int_equal(psci_handle(0x184000000UL, 0, 0, 0, 1).x0, PSCI_NOT_SUPPORTED);
}

/* ---- device tree ---- */

static size_t load_dtb(const char *dts, uint8_t *buffer, size_t capacity)
{
    char command[512];
    snprintf(command, sizeof(command), "printf '%%s' '%s' | dtc -q -I dts -O dtb -o - -", dts);
    FILE *p = popen(command, "r");
    assert_non_null(p);
    size_t n = fread(buffer, 1, capacity, p);
    assert_int_equal(pclose(p), 0);
    return n;
}

static const char *sample_dts = "/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; "
                                "chosen { bootargs = \"old\"; }; "
                                "memory@40000000 { device_type = \"memory\"; reg = <0 0x40000000 0 0x1000000>; }; "
                                "soc { uart@9000000 { status = \"okay\"; }; }; };";

static void fdt_set_and_read_back(void **state)
{
    (void)state;
    static uint8_t blob[8192];
    load_dtb(sample_dts, blob, sizeof(blob));
    assert_int_equal(fdt_check(blob, sizeof(blob)), FDT_OK);
    const char *args = "console=ttyAMA0 tessera.hostname=client1";
    assert_int_equal(fdt_set_property(blob, sizeof(blob), "/chosen", "bootargs", args, (uint32_t)strlen(args) + 1),
                     FDT_OK);
    uint8_t start[8] = {0, 0, 0, 0, 0x47, 0xd0, 0, 0};
    assert_int_equal(fdt_set_property(blob, sizeof(blob), "/chosen", "linux,initrd-start", start, 8), FDT_OK);
    uint8_t reg[16] = {0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x08, 0, 0, 0};
    assert_int_equal(fdt_set_property(blob, sizeof(blob), "/memory@40000000", "reg", reg, 16), FDT_OK);
    assert_int_equal(fdt_set_property(blob, sizeof(blob), "/soc/uart@9000000", "status", "disabled", 9), FDT_OK);
    const void *value;
    uint32_t length;
    assert_int_equal(fdt_get_property(blob, "/chosen", "bootargs", &value, &length), FDT_OK);
    assert_string_equal(value, args);
    assert_int_equal(fdt_get_property(blob, "/chosen", "linux,initrd-start", &value, &length), FDT_OK);
    assert_memory_equal(value, start, 8);
    assert_int_equal(fdt_get_property(blob, "/soc/uart@9000000", "status", &value, &length), FDT_OK);
    assert_string_equal(value, "disabled");
    assert_int_equal(fdt_get_property(blob, "/memory@40000000", "device_type", &value, &length), FDT_OK);
    assert_string_equal(value, "memory");
    assert_int_equal(fdt_get_property(blob, "/nothere", "x", &value, &length), FDT_NOT_FOUND);
    assert_int_equal(fdt_get_property(blob, "/soc/uart@9000001", "status", &value, &length), FDT_NOT_FOUND);
    /* dtc itself accepts the patched blob and sees the new values */
    FILE *f = fopen("/tmp/tessera-test-fdt.dtb", "wb");
    fwrite(blob, 1, fdt_total_size(blob), f);
    fclose(f);
    FILE *p = popen("dtc -q -I dtb -O dts /tmp/tessera-test-fdt.dtb", "r");
    char text[4096];
    size_t n = fread(text, 1, sizeof(text) - 1, p);
    text[n] = '\0';
    assert_int_equal(pclose(p), 0);
    remove("/tmp/tessera-test-fdt.dtb");
    assert_non_null(strstr(text, "tessera.hostname=client1"));
    assert_non_null(strstr(text, "reg = <0x00 0x40000000 0x00 0x8000000>"));
}

static void fdt_refuses_malformed_blobs(void **state)
{
    (void)state;
    static uint8_t blob[8192];
    size_t n = load_dtb(sample_dts, blob, sizeof(blob));
    assert_int_equal(fdt_check(blob, n - 1), FDT_BAD_HEADER); /* truncated */
    static uint8_t bad[8192];
    memcpy(bad, blob, n);
    bad[0] ^= 0xff; /* magic */
    assert_int_equal(fdt_check(bad, sizeof(bad)), FDT_BAD_HEADER);
    memcpy(bad, blob, n);
    bad[8] = 0x7f; /* struct offset beyond the blob: a block outside totalsize */
    assert_int_equal(fdt_check(bad, sizeof(bad)), FDT_BAD_LAYOUT);
    memcpy(bad, blob, n);
    uint32_t off_struct = (uint32_t)bad[8] << 24 | bad[9] << 16 | bad[10] << 8 | bad[11];
    bad[off_struct + 3] = 7; /* unknown token */
    assert_int_equal(fdt_check(bad, sizeof(bad)), FDT_BAD_STRUCTURE);
    assert_int_equal(fdt_set_property(bad, sizeof(bad), "/chosen", "x", "y", 2), FDT_BAD_STRUCTURE);
    /* no room to grow */
    memcpy(bad, blob, n);
    static char big[4096];
    memset(big, 'x', sizeof(big) - 1);
    assert_int_equal(fdt_set_property(bad, n + 16, "/chosen", "bootargs", big, sizeof(big)), FDT_NO_SPACE);
}

/* ---- arm64 Image ---- */

static void make_image(uint8_t *image, uint64_t text_offset, uint64_t image_size, uint64_t flags)
{
    memset(image, 0, 64);
    for (unsigned i = 0; i < 8; i++) {
        image[8 + i] = (uint8_t)(text_offset >> (8 * i));
        image[16 + i] = (uint8_t)(image_size >> (8 * i));
        image[24 + i] = (uint8_t)(flags >> (8 * i));
    }
    memcpy(image + 56, "ARM\x64", 4);
}

static void linux_image_layout(void **state)
{
    (void)state;
    uint8_t image[64];
    struct linux_layout l;
    make_image(image, 0, 0x1000000, 0xa);
    assert_int_equal(linux_plan(image, sizeof(image), 0x40000000, 0x8000000, 0x10000, 0x100000, &l), LINUX_OK);
    assert_int_equal(l.kernel_gpa, 0x40000000);
    assert_int_equal(l.dtb_gpa, 0x47e00000);
    assert_int_equal(l.initrd_end, l.initrd_gpa + 0x100000);
    assert_true(l.initrd_end <= l.dtb_gpa);
    assert_true(l.initrd_gpa >= l.kernel_end);
    assert_int_equal(l.initrd_gpa % 4096, 0);
}

static void linux_image_rejections(void **state)
{
    (void)state;
    uint8_t image[64];
    struct linux_layout l;
    make_image(image, 0, 0x1000000, 0);
    assert_int_equal(linux_plan(image, 63, 0x40000000, 0x8000000, 0x10000, 0, &l), LINUX_TOO_SHORT);
    image[56] = 'X';
    assert_int_equal(linux_plan(image, 64, 0x40000000, 0x8000000, 0x10000, 0, &l), LINUX_BAD_MAGIC);
    make_image(image, 0, 0x1000000, 1);
    assert_int_equal(linux_plan(image, 64, 0x40000000, 0x8000000, 0x10000, 0, &l), LINUX_BIG_ENDIAN);
    make_image(image, 0, 0x9000000, 0); /* bigger than RAM */
    assert_int_equal(linux_plan(image, 64, 0x40000000, 0x8000000, 0x10000, 0, &l), LINUX_DOES_NOT_FIT);
    make_image(image, 0, 0x7f00000, 0); /* kernel runs into the DTB block */
    assert_int_equal(linux_plan(image, 64, 0x40000000, 0x8000000, 0x10000, 0, &l), LINUX_OVERLAP);
    make_image(image, 0, 0x1000000, 0); /* initrd too big to sit above the kernel */
    assert_int_equal(linux_plan(image, 64, 0x40000000, 0x8000000, 0x10000, 0x7000000, &l), LINUX_OVERLAP);
    make_image(image, 0xfffffffffff00000UL, 0x1000, 0); /* text_offset wraps */
    assert_int_equal(linux_plan(image, 64, 0x40000000, 0x8000000, 0x10000, 0, &l), LINUX_DOES_NOT_FIT);
    make_image(image, 0, 0, 0); /* old kernel: image_size 0 means text_offset 0x80000 */
    assert_int_equal(linux_plan(image, 64, 0x40000000, 0x8000000, 0x10000, 0, &l), LINUX_OK);
    assert_int_equal(l.kernel_gpa, 0x40080000);
}

/* The driver VM's doorbell: the guest enabling an SPI reaches the enable hook before the enable
 * takes effect, so a level that fell meanwhile can be withdrawn and is never delivered. */
static unsigned hooked[8], hooked_count;
static struct vgic *hooked_vgic;

static void record_enable(void *context, unsigned irq)
{
    (void)context;
    hooked[hooked_count++ % 8] = irq;
    vgic_withdraw(hooked_vgic, irq);
}

static void vgic_enable_hook_and_withdraw(void **state)
{
    (void)state;
    static struct vgic v;
    struct injected log;
    gic_on(&v, &log);
    hooked_count = 0;
    hooked_vgic = &v;
    v.enable_hook = record_enable;
    vgic_dist_write(&v, 0x100, 4, 0xffff); /* SGIs: no hook */
    assert_int_equal(hooked_count, 0);
    vgic_inject(&v, 40); /* pending while masked */
    assert_true(vgic_is_pending(&v, 40));
    vgic_dist_write(&v, 0x104, 4, (1u << 8) | (1u << 1)); /* enable 40 and 33 */
    assert_int_equal(hooked_count, 2);
    assert_int_equal(hooked[0], 33);
    assert_int_equal(hooked[1], 40);
    assert_false(vgic_is_pending(&v, 40)); /* withdrawn by the hook: never delivered */
    unsigned before = log.count;
    vgic_inject(&v, 40); /* a new assertion is delivered as usual */
    assert_int_equal(log.count, before + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decode_every_size),
        cmocka_unit_test(decode_sign_extension_and_width),
        cmocka_unit_test(decode_xzr_and_write_values),
        cmocka_unit_test(decode_refuses_no_syndrome_and_other_classes),
        cmocka_unit_test(vgic_registers),
        cmocka_unit_test(vgic_injection_needs_enabled_irq_and_distributor),
        cmocka_unit_test(vgic_overflow_queue_refills_in_order),
        cmocka_unit_test(vgic_refused_lr_keeps_irq_queued),
        cmocka_unit_test(vgic_sgi_to_self),
        cmocka_unit_test(vgic_clear_pending),
        cmocka_unit_test(vgic_enable_hook_and_withdraw),
        cmocka_unit_test(psci_calls),
        cmocka_unit_test(fdt_set_and_read_back),
        cmocka_unit_test(fdt_refuses_malformed_blobs),
        cmocka_unit_test(linux_image_layout),
        cmocka_unit_test(linux_image_rejections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
