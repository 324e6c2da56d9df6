#include <stddef.h>
#include <tessera/printf.h>
#include <vmm/fdt.h>
#include <vmm/linux.h>
#include <vmm/mmio_decode.h>
#include <vmm/notify.h>
#include <vmm/psci.h>
#include <vmm/vmm.h>

#define DTB_CAPACITY     0x10000
#define EC_HVC64         0x16
#define EC_SMC64         0x17
#define EC_SYSREG        0x18
#define SPSR_EL1H_MASKED 0x3c5UL /* EL1h, D A I F masked: Linux's boot protocol */
#define INTID_VTIMER     27

void *memcpy(void *dst, const void *src, size_t count);
void *memset(void *dst, int value, size_t count);

static uint64_t regs[TESSERA_USER_CONTEXT_WORDS];

static void register_gic(struct vmm_guest *guest);

/* seL4_UserContext index of general register n (0..30). */
static unsigned context_index(unsigned n)
{
    if (n <= 8) {
        return UCTX_X0 + n;
    }
    if (n <= 15) {
        return UCTX_X9 + n - 9;
    }
    if (n <= 18) {
        return UCTX_X16 + n - 16;
    }
    if (n <= 28) {
        return UCTX_X19 + n - 19;
    }
    return n == 29 ? UCTX_X29 : UCTX_X30;
}

static void *gpa_to_vmm(struct vmm_guest *guest, uint64_t gpa)
{
    return (void *)(guest->ram_vaddr + (gpa - guest->ram_gpa));
}

static bool inject(void *context, unsigned lr, unsigned irq, unsigned priority)
{
    struct vmm_guest *guest = context;
    /* Linux uses group 0 with a GICv2 and group 1 with a GICv3. */
    uint8_t group = guest->gic_version == 3 ? 1 : 0;
    return tessera_vcpu_inject_irq(guest->vcpu, (uint16_t)irq, (uint8_t)priority, group, (uint8_t)lr) == TESSERA_OK;
}

static unsigned probe_gic_version(const struct vmm_guest *guest)
{
    if (guest->gicd_probe_vaddr == 0) {
        return 2;
    }
    /* GICD_CTLR exists on both; affinity routing (ARE, bit 4) is on only on a GICv3, whose
     * kernel driver turns it on. (The ID registers sit at different offsets, and reading the
     * GICv3 one on a GICv2 is an external abort.) */
    uint32_t ctlr = *(volatile uint32_t *)guest->gicd_probe_vaddr;
    return (ctlr & (1u << 4)) ? 3 : 2;
}

static void stop_guest(struct vmm_guest *guest, const char *why)
{
    microkit_vcpu_stop(guest->vcpu);
    guest->running = false;
    tessera_printf("VMM|%s: guest stopped: %s\n", guest->name, why);
    for (unsigned i = 0; i < guest->stop_watcher_count; i++) {
        microkit_notify(guest->stop_watchers[i]);
    }
}

/* QEMU's pvpanic-mmio device (docs/specs/pvpanic.rst): reading byte 0 tells the events the
 * device understands, writing it tells one. A kernel panic (bit 0) is what the VMM acts on, at
 * the guest's next timer tick: Linux tells the device before it has printed everything. */
#define PVPANIC_PANICKED     1u
#define PVPANIC_CRASH_LOADED 2u

static uint64_t panic_read(void *context, uint64_t offset, unsigned size)
{
    (void)context;
    (void)size;
    return offset == 0 ? PVPANIC_PANICKED : 0;
}

static void panic_write(void *context, uint64_t offset, unsigned size, uint64_t value)
{
    struct vmm_guest *guest = context;
    (void)size;
    if (offset == 0 && (value & PVPANIC_PANICKED)) {
        guest->panicked = true;
    }
}

/* The guest's kernel panicked: say so and boot it again, up to VMM_MAX_PANIC_RESTARTS times (a
 * kernel that panics at every boot would otherwise restart for ever). */
static void restart_after_panic(struct vmm_guest *guest)
{
    guest->panicked = false;
    guest->panics++;
    microkit_vcpu_stop(guest->vcpu);
    if (guest->panics > VMM_MAX_PANIC_RESTARTS) {
        stop_guest(guest, "its kernel panicked again, after every restart allowed");
        return;
    }
    tessera_printf(
        "VMM|%s: the guest's kernel panicked (its console says why); restarting it (restart %u of at most %u)\n",
        guest->name, guest->panics, VMM_MAX_PANIC_RESTARTS);
    if (!vmm_start_guest(guest)) {
        stop_guest(guest, "restart failed");
    }
}

bool vmm_start_guest(struct vmm_guest *guest)
{
    struct linux_layout layout;
    enum linux_error error = linux_plan(guest->kernel, guest->kernel_length, guest->ram_gpa, guest->ram_size,
                                        DTB_CAPACITY, guest->initrd_length, &layout);
    if (error != LINUX_OK) {
        tessera_printf("VMM|%s: cannot boot: %s\n", guest->name, linux_error_text(error));
        return false;
    }
    guest->gic_version = probe_gic_version(guest);
    const uint8_t *dtb_source = guest->dtb;
    size_t dtb_length = guest->dtb_length;
    if (guest->gic_version == 3) {
        if (guest->dtb_gicv3 == NULL) {
            tessera_printf("VMM|%s: cannot boot: the board has a GICv3 and there is no GICv3 device tree\n",
                           guest->name);
            return false;
        }
        dtb_source = guest->dtb_gicv3;
        dtb_length = guest->dtb_gicv3_length;
    }
    if (dtb_length > DTB_CAPACITY) {
        tessera_printf("VMM|%s: cannot boot: device tree larger than %u bytes\n", guest->name, DTB_CAPACITY);
        return false;
    }
    /* Checked as it was built, before anything is copied: a blob that is malformed or whose
     * header claims more bytes than it came with is refused by name, never patched. */
    enum fdt_error e = fdt_check(dtb_source, dtb_length);
    if (e != FDT_OK) {
        tessera_printf("VMM|%s: cannot boot: the device tree is malformed: %s\n", guest->name, fdt_error_text(e));
        return false;
    }
    memcpy(gpa_to_vmm(guest, layout.kernel_gpa), guest->kernel, guest->kernel_length);
    memcpy(gpa_to_vmm(guest, layout.initrd_gpa), guest->initrd, guest->initrd_length);
    void *dtb = gpa_to_vmm(guest, layout.dtb_gpa);
    memset(dtb, 0, DTB_CAPACITY);
    memcpy(dtb, dtb_source, dtb_length);

    /* The device tree gets the real sizes: memory, bootargs, initrd range (big-endian cells). */
    uint8_t memory[16], start[8], end[8];
    for (unsigned i = 0; i < 8; i++) {
        memory[i] = (uint8_t)(guest->ram_gpa >> (56 - 8 * i));
        memory[8 + i] = (uint8_t)(guest->ram_size >> (56 - 8 * i));
        start[i] = (uint8_t)(layout.initrd_gpa >> (56 - 8 * i));
        end[i] = (uint8_t)(layout.initrd_end >> (56 - 8 * i));
    }
    size_t bootargs_length = 0;
    while (guest->bootargs[bootargs_length] != '\0') {
        bootargs_length++;
    }
    char memory_path[32] = "/memory@";
    unsigned n = 8;
    for (int shift = 28; shift >= 0; shift -= 4) {
        unsigned digit = (unsigned)(guest->ram_gpa >> shift) & 0xf;
        if (digit != 0 || n > 8 || shift == 0) {
            memory_path[n++] = (char)(digit < 10 ? '0' + digit : 'a' + digit - 10);
        }
    }
    memory_path[n] = '\0';
    e = fdt_set_property(dtb, DTB_CAPACITY, memory_path, "reg", memory, sizeof(memory));
    if (e == FDT_OK) {
        e = fdt_set_property(dtb, DTB_CAPACITY, "/chosen", "bootargs", guest->bootargs, (uint32_t)bootargs_length + 1);
    }
    if (e == FDT_OK) {
        e = fdt_set_property(dtb, DTB_CAPACITY, "/chosen", "linux,initrd-start", start, sizeof(start));
    }
    if (e == FDT_OK) {
        e = fdt_set_property(dtb, DTB_CAPACITY, "/chosen", "linux,initrd-end", end, sizeof(end));
    }
    if (e != FDT_OK) {
        tessera_printf("VMM|%s: cannot boot: the device tree could not be patched: %s (it needs %s and /chosen)\n",
                       guest->name, fdt_error_text(e), memory_path);
        return false;
    }

    vgic_init(&guest->vgic, inject, guest);
    guest->vgic.enable_hook = guest->on_irq_enable;
    guest->vgic.enable_hook_context = guest->on_irq_enable_context;
    if (guest->boots == 0) {
        register_gic(guest); /* next to whatever the VMM registered itself */
        if (guest->panic_gpa != 0) {
            vmm_register_mmio(guest, guest->panic_gpa, VMM_PANIC_SIZE, panic_read, panic_write, guest);
        }
    }
    if (guest->boots > 0) {
        /* A restart forgets interrupts in flight: let their sources signal again. */
        for (unsigned i = 0; i < guest->passthrough_count; i++) {
            microkit_irq_ack(guest->passthrough[i].channel);
        }
        /* The new kernel overwrote the old one's rings: every device starts from reset, as
         * after a power cycle, and touches no guest memory until a new driver sets it up. */
        for (unsigned i = 0; i < guest->virtio_count; i++) {
            virtio_mmio_reset(guest->virtio[i].transport);
            guest->virtio[i].reported = 0;
        }
    }
    for (unsigned i = 0; i < TESSERA_USER_CONTEXT_WORDS; i++) {
        regs[i] = 0;
    }
    regs[UCTX_PC] = layout.kernel_gpa;
    regs[UCTX_SPSR] = SPSR_EL1H_MASKED;
    regs[UCTX_X0] = layout.dtb_gpa;
    tessera_tcb_write_registers(guest->vcpu, false, regs, TESSERA_USER_CONTEXT_WORDS);
    /* A fresh EL1: MMU off, caches off (SCTLR_EL1 RES1 bits only), as the boot protocol wants. */
    microkit_vcpu_arm_write_reg(guest->vcpu, VCPU_SCTLR, 0x30d00800UL);
    guest->boots++;
    guest->running = true;
    guest->powered_off = false;
    tessera_printf("VMM|%s: starting Linux (boot %u, GICv%u): kernel at 0x%lx, initrd 0x%lx..0x%lx, device tree "
                   "at 0x%lx\n",
                   guest->name, guest->boots, guest->gic_version, layout.kernel_gpa, layout.initrd_gpa,
                   layout.initrd_end, layout.dtb_gpa);
    microkit_vcpu_restart(guest->vcpu, layout.kernel_gpa);
    return true;
}

/* Read registers up to and including general register `n` (or only pc/sp/spsr for n < 0). */
static unsigned read_regs(struct vmm_guest *guest, unsigned words)
{
    tessera_tcb_read_registers(guest->vcpu, regs, words);
    return words;
}

bool vmm_register_mmio(struct vmm_guest *guest, uint64_t base, uint64_t size, vmm_mmio_read_fn read,
                       vmm_mmio_write_fn write, void *context)
{
    return mmio_registry_add(&guest->mmio, base, size, read, write, context);
}

/* The GIC's register maps as MMIO handlers. */
static uint64_t gicv2_dist_read(void *vgic, uint64_t offset, unsigned size)
{
    return vgic_dist_read(vgic, offset, size);
}

static void gicv2_dist_write(void *vgic, uint64_t offset, unsigned size, uint64_t value)
{
    vgic_dist_write(vgic, offset, size, (uint32_t)value);
}

static uint64_t gicv3_dist_read(void *vgic, uint64_t offset, unsigned size)
{
    return vgic_v3_dist_read(vgic, offset, size);
}

static void gicv3_dist_write(void *vgic, uint64_t offset, unsigned size, uint64_t value)
{
    vgic_v3_dist_write(vgic, offset, size, value);
}

static uint64_t gicv3_redist_read(void *vgic, uint64_t offset, unsigned size)
{
    return vgic_v3_redist_read(vgic, offset, size);
}

static void gicv3_redist_write(void *vgic, uint64_t offset, unsigned size, uint64_t value)
{
    vgic_v3_redist_write(vgic, offset, size, value);
}

static void register_gic(struct vmm_guest *guest)
{
    if (guest->gic_version == 3) {
        vmm_register_mmio(guest, guest->gicd_gpa, VGIC_V3_DIST_SIZE, gicv3_dist_read, gicv3_dist_write, &guest->vgic);
        vmm_register_mmio(guest, guest->gicr_gpa, VGIC_V3_REDIST_SIZE, gicv3_redist_read, gicv3_redist_write,
                          &guest->vgic);
    } else {
        vmm_register_mmio(guest, guest->gicd_gpa, VGIC_DIST_SIZE, gicv2_dist_read, gicv2_dist_write, &guest->vgic);
    }
}

static bool handle_mmio(struct vmm_guest *guest, uint64_t esr, uint64_t address)
{
    struct mmio_access access;
    enum mmio_decode_result result = mmio_decode(esr, address, &access);
    uint64_t pc = microkit_mr_get(0);
    if (result != MMIO_DECODED) {
        tessera_printf("VMM|%s: access at 0x%lx from pc 0x%lx cannot be emulated (no syndrome, esr 0x%lx)\n",
                       guest->name, address, pc, esr);
        stop_guest(guest, "unemulatable memory access");
        return false;
    }
    const struct mmio_region *region = mmio_registry_find(&guest->mmio, address, access.size);
    if (region == NULL) {
        tessera_printf("VMM|%s: %s of %u bytes at 0x%lx (pc 0x%lx): no device there\n", guest->name,
                       access.write ? "write" : "read", access.size, address, pc);
        stop_guest(guest, "access to an address with no device");
        return false;
    }
    unsigned reg_index = access.reg == 31 ? UCTX_X0 : context_index(access.reg);
    unsigned words = read_regs(guest, reg_index + 1 > UCTX_SPSR + 1 ? reg_index + 1 : UCTX_SPSR + 1);
    uint64_t offset = address - region->base;
    if (access.write) {
        region->write(region->context, offset, access.size,
                      mmio_write_value(&access, access.reg == 31 ? 0 : regs[reg_index]));
    } else if (access.reg != 31) {
        regs[reg_index] = mmio_read_result(&access, region->read(region->context, offset, access.size));
    }
    regs[UCTX_PC] += 4;
    tessera_tcb_write_registers(guest->vcpu, false, regs, words);
    return true;
}

static bool handle_smc(struct vmm_guest *guest, uint64_t esr)
{
    unsigned ec = (unsigned)(esr >> 26);
    unsigned words = read_regs(guest, UCTX_X0 + 4);
    struct psci_result r = psci_handle(regs[UCTX_X0], regs[UCTX_X0 + 1], regs[UCTX_X0 + 2], regs[UCTX_X0 + 3], 1);
    switch (r.action) {
    case PSCI_SYSTEM_OFF:
        stop_guest(guest, "powered off by the guest (PSCI SYSTEM_OFF)");
        guest->powered_off = true;
        return false;
    case PSCI_SYSTEM_RESET:
        if (guest->panicked) {
            restart_after_panic(guest); /* a kernel with panic=N resets itself after a panic */
            return false;
        }
        tessera_printf("VMM|%s: the guest asked to restart (PSCI SYSTEM_RESET)\n", guest->name);
        microkit_vcpu_stop(guest->vcpu);
        if (!vmm_start_guest(guest)) {
            stop_guest(guest, "restart failed");
        }
        return false;
    case PSCI_CPU_OFF:
        stop_guest(guest, "its only vCPU turned itself off (PSCI CPU_OFF)");
        return false;
    case PSCI_ANSWER:
        break;
    }
    regs[UCTX_X0] = r.x0;
    if (ec == EC_SMC64) {
        regs[UCTX_PC] += 4; /* SMC traps with the PC at the instruction; HVC after it */
    }
    tessera_tcb_write_registers(guest->vcpu, false, regs, words);
    return true;
}

/* A trapped system-register access (ESR ISS: Op0[21:20] Op2[19:17] Op1[16:14] CRn[13:10]
 * Rt[9:5] CRm[4:1] Direction[0], 1 = read). With a GICv3, the guest's SGI registers trap. */
static bool handle_sysreg(struct vmm_guest *guest, uint64_t esr)
{
    unsigned op0 = (esr >> 20) & 3, op2 = (esr >> 17) & 7, op1 = (esr >> 14) & 7, crn = (esr >> 10) & 15;
    unsigned rt = (esr >> 5) & 31, crm = (esr >> 1) & 15;
    bool read = esr & 1;
    unsigned reg_index = rt == 31 ? UCTX_X0 : context_index(rt);
    unsigned words = read_regs(guest, reg_index + 1);
    bool sgi1r = op0 == 3 && op1 == 0 && crn == 12 && crm == 11 && op2 == 5;
    if (sgi1r && !read) {
        vgic_v3_sgi1r(&guest->vgic, rt == 31 ? 0 : regs[reg_index]);
    } else {
        /* Anything else: reads as zero, writes ignored, counted and reported once. */
        if (guest->unknown_sysregs++ == 0) {
            tessera_printf("VMM|%s: ignoring trapped system register access (esr 0x%lx)\n", guest->name, esr);
        }
        if (read && rt != 31) {
            regs[reg_index] = 0;
        }
    }
    regs[UCTX_PC] += 4;
    tessera_tcb_write_registers(guest->vcpu, false, regs, words);
    return true;
}

bool vmm_register_virq(struct vmm_guest *guest, unsigned virq, vmm_virq_level_fn asserted, void *context)
{
    return virq_registry_add(&guest->virqs, virq, asserted, context);
}

void vmm_virq_update(struct vmm_guest *guest, unsigned virq)
{
    const struct virq_source *source = virq_registry_find(&guest->virqs, virq);
    if (source != NULL && guest->running && source->asserted(source->context) && !vgic_is_pending(&guest->vgic, virq)) {
        vgic_inject(&guest->vgic, virq);
    }
}

/* A virtio device's window, line and interrupt, as adaptors between the registries' generic
 * handlers and the transport. */
static const char *virtio_device_name(uint32_t device_id)
{
    switch (device_id) {
    case 2:
        return "virtio block";
    case 3:
        return "virtio console";
    default:
        return "virtio device";
    }
}

/* What the guest's driver got wrong, told once per kind per boot: a person learns that the guest
 * misbehaves, and a guest that keeps at it cannot flood the console with our lines. */
static void report_driver_errors(struct vmm_virtio *v)
{
    const struct virtio_mmio *t = v->transport;
    const struct {
        bool happened;
        const char *what;
    } kinds[] = {
        {t->bad_accesses != 0, "accessed registers the device does not have"},
        {t->bad_queue_setups != 0, "set up a queue the device cannot take"},
        {t->bad_status_writes != 0, "skipped or reversed initialisation steps"},
        {t->refused_features != 0, "asked for features it was not offered"},
        {t->ignored_notifies != 0, "notified a queue that is not ready"},
        {(t->status & VIRTIO_STATUS_NEEDS_RESET) != 0, "put malformed requests in its queue: the device needs a reset"},
    };
    for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (kinds[i].happened && !(v->reported & (1u << i))) {
            v->reported |= 1u << i;
            tessera_printf("VMM|%s: %s at 0x%lx: the guest's driver %s (told once per boot)\n", v->guest->name,
                           virtio_device_name(t->info.device_id), v->gpa, kinds[i].what);
        }
    }
}

static uint64_t virtio_read(void *binding, uint64_t offset, unsigned size)
{
    struct vmm_virtio *v = binding;
    uint64_t value = virtio_mmio_read(v->transport, offset, size);
    report_driver_errors(v);
    return value;
}

static void virtio_write(void *binding, uint64_t offset, unsigned size, uint64_t value)
{
    struct vmm_virtio *v = binding;
    /* Wider than 32 bits is refused by the transport (size 8), so nothing is lost here. */
    virtio_mmio_write(v->transport, offset, size, (uint32_t)value);
    report_driver_errors(v);
}

static bool virtio_line(void *transport)
{
    return virtio_mmio_irq_level(transport);
}

static void virtio_interrupt(void *binding)
{
    struct vmm_virtio *v = binding;
    vmm_virq_update(v->guest, v->virq);
}

bool vmm_register_virtio(struct vmm_guest *guest, uint64_t gpa, unsigned intid, struct virtio_mmio *transport)
{
    /* A transport whose init failed has no queue_notify: it must not reach the guest. */
    if (guest->virtio_count >= VMM_MAX_VIRTIO || transport->ops.queue_notify == NULL) {
        return false;
    }
    struct vmm_virtio *v = &guest->virtio[guest->virtio_count];
    if (!virq_registry_add(&guest->virqs, intid, virtio_line, transport)) {
        return false;
    }
    if (!mmio_registry_add(&guest->mmio, gpa, VIRTIO_MMIO_SIZE, virtio_read, virtio_write, v)) {
        virq_registry_remove(&guest->virqs, intid);
        return false;
    }
    *v = (struct vmm_virtio){guest, transport, intid, gpa, 0};
    guest->virtio_count++;
    virtio_mmio_set_interrupt(transport, virtio_interrupt, v);
    return true;
}

void vmm_notify(unsigned channel)
{
    microkit_notify(channel);
}

static void acknowledge_source(struct vmm_guest *guest, unsigned irq)
{
    if (virq_registry_find(&guest->virqs, irq) != NULL) {
        vmm_virq_update(guest, irq); /* still asserted: it fires again */
        return;
    }
    if (irq == INTID_VTIMER) {
        microkit_vcpu_arm_ack_vppi(guest->vcpu, INTID_VTIMER);
        return;
    }
    for (unsigned i = 0; i < guest->passthrough_count; i++) {
        if (guest->passthrough[i].virq == irq) {
            microkit_irq_ack(guest->passthrough[i].channel);
        }
    }
}

bool vmm_handle_fault(struct vmm_guest *guest, microkit_msginfo msginfo, microkit_msginfo *reply)
{
    *reply = microkit_msginfo_new(0, 0);
    if (!guest->running) {
        return false;
    }
    switch (microkit_msginfo_get_label(msginfo)) {
    case FAULT_VM:
        return handle_mmio(guest, microkit_mr_get(3), microkit_mr_get(1));
    case FAULT_VCPU: {
        uint64_t esr = microkit_mr_get(0);
        unsigned ec = (unsigned)(esr >> 26);
        if (ec == EC_SMC64 || ec == EC_HVC64) {
            return handle_smc(guest, esr);
        }
        if (ec == EC_SYSREG) {
            return handle_sysreg(guest, esr);
        }
        tessera_printf("VMM|%s: unexpected trap, esr 0x%lx\n", guest->name, esr);
        stop_guest(guest, "unhandled trap");
        return false;
    }
    case FAULT_VPPI:
        if (guest->panicked) {
            /* Its first tick after telling us: Linux enables interrupts again only once it has
             * printed the whole panic (and flushed its consoles), so nothing it says is lost. */
            microkit_vcpu_arm_ack_vppi(guest->vcpu, INTID_VTIMER);
            restart_after_panic(guest);
            return false;
        }
        vgic_inject(&guest->vgic, INTID_VTIMER);
        if (guest->on_tick != NULL) {
            guest->on_tick(guest->on_tick_context);
        }
        return true;
    case FAULT_VGIC_MAINTENANCE: {
        uint64_t lr = microkit_mr_get(0);
        if (lr < VGIC_LR_COUNT) {
            unsigned irq = vgic_end_of_interrupt(&guest->vgic, (unsigned)lr);
            if (irq != VGIC_NO_IRQ) {
                acknowledge_source(guest, irq);
            }
        }
        return true;
    }
    default:
        tessera_printf("VMM|%s: unexpected fault label %lu\n", guest->name, microkit_msginfo_get_label(msginfo));
        stop_guest(guest, "unexpected fault");
        return false;
    }
}

bool vmm_handle_irq(struct vmm_guest *guest, microkit_channel channel)
{
    for (unsigned i = 0; i < guest->passthrough_count; i++) {
        if (guest->passthrough[i].channel == channel) {
            if (guest->running) {
                vgic_inject(&guest->vgic, guest->passthrough[i].virq);
            } else {
                microkit_irq_ack(channel);
            }
            return true;
        }
    }
    return false;
}
