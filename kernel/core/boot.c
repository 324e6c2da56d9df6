/*
 * Boot of the portable core (the arch has set up the CPU, its MMU, the interrupt controller and
 * the timer): validate the system image, zero what it asks, build every address space and thread
 * it describes, and start scheduling. After this nothing is ever created or mapped again.
 */
#include <board.h>
#include <kernel/arch.h>
#include <kernel/boot.h>
#include <kernel/irq.h>
#include <kernel/printk.h>
#include <kernel/sched.h>
#include <kernel/sysimage_check.h>
#include <kernel/vcpu.h>

static const uint64_t board_devices[][2] = BOARD_DEVICE_RANGES;

static const struct sysimage_board board = {
    .board_id = BOARD_ID,
    .ram_base = BOARD_RAM_BASE,
    .ram_size = BOARD_RAM_SIZE,
    .kernel_base = BOARD_KERNEL_BASE,
    .kernel_size = BOARD_KERNEL_SIZE,
    .sysimage_base = BOARD_SYSIMAGE_BASE,
    .sysimage_size = BOARD_SYSIMAGE_SIZE,
    .device_ranges = board_devices,
    .device_range_count = BOARD_DEVICE_RANGE_COUNT,
    .max_intid = BOARD_GIC_MAX_INTID,
};

/* VMIDs: PDs 1..63, VMs 64..126; every address space keeps its own for good. */
#define VMID_FIRST_PD 1
#define VMID_FIRST_VM 64

static uint64_t build_address_space(const struct sysimage *image, uint32_t first, uint32_t count, uint16_t vmid,
                                    const char *owner)
{
    paddr_t root = arch_stage2_new_root();
    for (uint32_t i = first; i < first + count; i++) {
        const struct sysimage_map *map = &image->maps[i];
        if (!arch_stage2_map(root, map->vaddr, map->paddr, map->size, map->attrs)) {
            kpanic("'%s': map at 0x%lx overlaps another map", owner, map->vaddr);
        }
    }
    return arch_address_space(root, vmid);
}

static void create_pd(const struct sysimage *image, unsigned index)
{
    const struct sysimage_pd *config = &image->pds[index];
    struct pd *pd = &pds[index];
    struct thread *t = &pd->thread;
    *pd = (struct pd){.config = config, .ipc_buffer_pa = config->ipc_buffer_paddr};
    t->name = config->name;
    t->pd = (uint8_t)index;
    t->address_space = build_address_space(image, config->map_first, config->map_count,
                                           (uint16_t)(VMID_FIRST_PD + index), config->name);
    arch_thread_init_native(t, config->entry, config->stack_top);
    sched_init_thread(t, config->priority, config->budget_us, config->period_us);
    for (unsigned id = 0; id < SYSIMAGE_IDS; id++) {
        const struct sysimage_id *slot = &config->ids[id];
        if (slot->kind == SYSIMAGE_ID_IRQ) {
            irq_register(slot->intid, (uint8_t)index, (uint8_t)id, (slot->flags & SYSIMAGE_IRQ_EDGE) != 0);
        }
    }
}

static void create_vcpu(const struct sysimage *image, unsigned index, const uint64_t *vm_space)
{
    const struct sysimage_vcpu *config = &image->vcpus[index];
    const struct sysimage_vm *vm = &image->vms[config->vm];
    struct vcpu *v = &vcpus[index];
    struct thread *t = &v->thread;
    *v = (struct vcpu){.config = config, .id = config->id};
    t->is_vcpu = true;
    t->vcpu = v;
    t->pd = vm->owner_pd;
    t->name = vm->name;
    t->address_space = vm_space[config->vm]; /* INACTIVE (zero) until its VMM starts it */
    sched_init_thread(t, vm->priority, vm->budget_us, vm->period_us);
    arch_vcpu_init(v);
}

void kernel_boot(const struct sysimage *image)
{
    kdebug("K| Tessera kernel on %s\n", BOARD_NAME);
    char error[128];
    if (!sysimage_check(image, &board, error, sizeof(error))) {
        kpanic("bad system image: %s", error);
    }
    for (unsigned i = 0; i < image->zero_count; i++) {
        arch_zero_memory(image->zeros[i].paddr, image->zeros[i].size);
    }
    sched_init();
    irq_init();

    pd_count = image->pd_count;
    for (unsigned i = 0; i < image->pd_count; i++) {
        create_pd(image, i);
    }
    uint64_t vm_space[SYSIMAGE_MAX_VMS];
    for (unsigned i = 0; i < image->vm_count; i++) {
        const struct sysimage_vm *vm = &image->vms[i];
        vm_space[i] = build_address_space(image, vm->map_first, vm->map_count, (uint16_t)(VMID_FIRST_VM + i), vm->name);
    }
    vcpu_count = image->vcpu_count;
    idle_vcpus = 0;
    for (unsigned i = 0; i < image->vcpu_count; i++) {
        create_vcpu(image, i, vm_space);
    }
    arch_stage2_commit();
    kdebug("K| system: %u PDs, %u VMs, %u vCPUs, %u maps, %lu stage-2 table pages, %s\n", image->pd_count,
           image->vm_count, image->vcpu_count, image->map_count, arch_stage2_pages_used(), arch_irq_controller_name());

    for (unsigned i = 0; i < pd_count; i++) {
        sched_ready(&pds[i].thread);
    }
    schedule();
}
