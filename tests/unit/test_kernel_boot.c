/*
 * Boot of the portable core (kernel/core/boot.c), on the host over the fake arch: from a system
 * image for the QEMU board, kernel_boot builds exactly the address spaces, threads, vCPUs and
 * IRQ routes the image describes, zeroes what it asks, and schedules the highest-priority PD; a
 * bad image or overlapping maps stop the boot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <board.h>
#include <cmocka.h>
#include <kernel/irq.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include <tessera/abi.h>
#include "fake_arch.h"

#define RW_CACHED (SYSIMAGE_MAP_R | SYSIMAGE_MAP_W | SYSIMAGE_MAP_CACHED)
#define RX_CACHED (SYSIMAGE_MAP_R | SYSIMAGE_MAP_X | SYSIMAGE_MAP_CACHED)

#define UART_INTID 33
#define UART_ID    7

static struct sysimage *image;

/* Two PDs ("vmm" at priority 100 owns VM "guest" with one vCPU, child id 3; "driver" at 120 has
 * the UART's IRQ), two maps each, two guest maps, two ranges to zero. */
static int setup(void **state)
{
    (void)state;
    fake_arch_reset();
    fake_now = 100;
    image = calloc(1, sizeof(*image));
    image->magic = SYSIMAGE_MAGIC;
    image->version = SYSIMAGE_VERSION;
    image->board_id = BOARD_ID;
    image->pd_count = 2;
    image->vm_count = 1;
    image->vcpu_count = 1;
    image->map_count = 6;
    image->maps[0] = (struct sysimage_map){0x200000, 0x60000000, 0x2000, RX_CACHED, 0};
    image->maps[1] = (struct sysimage_map){0x30000000, 0x60100000, 0x200000, RW_CACHED, 0};
    image->maps[2] = (struct sysimage_map){0x200000, 0x60200000, 0x1000, RX_CACHED, 0};
    image->maps[3] = (struct sysimage_map){0x2000000, 0x09000000, 0x1000, SYSIMAGE_MAP_R | SYSIMAGE_MAP_W, 0};
    image->maps[4] = (struct sysimage_map){0x40000000, 0x60100000, 0x200000, RW_CACHED | SYSIMAGE_MAP_X, 0};
    image->maps[5] = (struct sysimage_map){0x8010000, 0x08040000, 0x2000, SYSIMAGE_MAP_R | SYSIMAGE_MAP_W, 0};
    static const char *const names[] = {"vmm", "driver"};
    for (unsigned i = 0; i < 2; i++) {
        struct sysimage_pd *pd = &image->pds[i];
        strcpy(pd->name, names[i]);
        pd->priority = (uint8_t)(100 + 20 * i);
        pd->parent = SYSIMAGE_NONE;
        pd->budget_us = pd->period_us = 1000;
        pd->entry = 0x200000 + 0x40 * i;
        pd->stack_top = TESSERA_PD_STACK_TOP;
        pd->ipc_buffer = TESSERA_PD_IPC_BUFFER;
        pd->ipc_buffer_paddr = 0x60400000UL + i * 0x1000;
        pd->map_first = 2 * i;
        pd->map_count = 2;
    }
    image->pds[1].ids[UART_ID] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, SYSIMAGE_IRQ_EDGE, UART_INTID, 0};
    image->pds[0].children[3] = (struct sysimage_child){SYSIMAGE_CHILD_VCPU, 0, 0};
    image->vms[0] = (struct sysimage_vm){.owner_pd = 0,
                                         .priority = 90,
                                         .vcpu_count = 1,
                                         .budget_us = 1000,
                                         .period_us = 1000,
                                         .map_first = 4,
                                         .map_count = 2};
    strcpy(image->vms[0].name, "guest");
    image->vcpus[0] = (struct sysimage_vcpu){.vm = 0, .id = 3};
    image->zero_count = 2;
    image->zeros[0] = (struct sysimage_zero){0x60100000, 0x200000};
    image->zeros[1] = (struct sysimage_zero){0x60400000, 0x2000};
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(image);
    return 0;
}

static void boot_schedules_the_highest_priority_pd(void **state)
{
    (void)state;
    assert_ptr_equal(fake_boot(image), &pds[1].thread);
    assert_int_equal(pd_count, 2);
    assert_int_equal(pds[0].thread.state, THREAD_READY);
    assert_true(pds[0].thread.queued);
    assert_int_equal(pds[1].thread.state, THREAD_READY);
}

static void every_pd_gets_its_config_entry_stack_and_ipc_buffer(void **state)
{
    (void)state;
    fake_boot(image);
    for (unsigned i = 0; i < 2; i++) {
        struct pd *pd = &pds[i];
        assert_ptr_equal(pd->config, &image->pds[i]);
        assert_string_equal(pd->thread.name, image->pds[i].name);
        assert_int_equal(pd->thread.pd, i);
        assert_false(pd->thread.is_vcpu);
        assert_int_equal(pd->ipc_buffer_pa, image->pds[i].ipc_buffer_paddr);
        assert_int_equal(arch_frame_pc(&pd->thread.frame), image->pds[i].entry);
        assert_int_equal(pd->thread.frame.sp, TESSERA_PD_STACK_TOP);
        assert_int_equal(pd->thread.priority, image->pds[i].priority);
    }
}

static void each_pd_and_vm_gets_its_own_address_space_with_its_maps(void **state)
{
    (void)state;
    fake_boot(image);
    assert_int_equal(fake_roots, 3);
    assert_int_equal(fake_map_count, 6);
    /* In image order: the PDs' maps, then the VM's, each into its own root. */
    for (unsigned i = 0; i < 6; i++) {
        paddr_t root = (paddr_t)(1 + i / 2) << 12;
        assert_int_equal(fake_maps[i].root, root);
        assert_int_equal(fake_maps[i].ipa, image->maps[i].vaddr);
        assert_int_equal(fake_maps[i].pa, image->maps[i].paddr);
        assert_int_equal(fake_maps[i].size, image->maps[i].size);
        assert_int_equal(fake_maps[i].attrs, image->maps[i].attrs);
    }
    /* VMIDs: PDs from 1, VMs from 64 (the fake's address space is root | VMID). */
    assert_int_equal(pds[0].thread.address_space, (1UL << 12) | 1);
    assert_int_equal(pds[1].thread.address_space, (2UL << 12) | 2);
    assert_int_equal(vcpus[0].thread.address_space, (3UL << 12) | 64);
    assert_int_equal(fake_commits, 1);
}

static void vcpus_are_children_of_their_vmm_and_wait_for_it(void **state)
{
    (void)state;
    fake_boot(image);
    assert_int_equal(vcpu_count, 1);
    struct vcpu *v = &vcpus[0];
    assert_true(v->thread.is_vcpu);
    assert_ptr_equal(v->thread.vcpu, v);
    assert_ptr_equal(v->config, &image->vcpus[0]);
    assert_int_equal(v->id, 3);
    assert_int_equal(v->thread.pd, 0);
    assert_string_equal(v->thread.name, "guest");
    assert_int_equal(v->thread.priority, 90);
    assert_int_equal(v->thread.state, THREAD_INACTIVE);
    assert_false(v->thread.queued);
}

static void irqs_are_routed_to_their_owner_and_masked(void **state)
{
    (void)state;
    fake_boot(image);
    assert_true(fake_irq_configured[UART_INTID]);
    assert_true(fake_irq_edge[UART_INTID]);
    assert_true(fake_irq_masked[UART_INTID]);
    fake_irq_pending = UART_INTID;
    irq_handle();
    assert_int_equal(pds[1].notify_word, BIT(UART_ID));
    assert_int_equal(pds[0].notify_word, 0);
}

static void ranges_the_image_asks_are_zeroed(void **state)
{
    (void)state;
    fake_boot(image);
    assert_int_equal(fake_zero_count, 2);
    assert_int_equal(fake_zeros[0].base, 0x60100000);
    assert_int_equal(fake_zeros[0].size, 0x200000);
    assert_int_equal(fake_zeros[1].base, 0x60400000);
    assert_int_equal(fake_zeros[1].size, 0x2000);
}

/* Boot twice in one process: nothing of the first system survives into the second. */
static void a_second_boot_starts_from_nothing(void **state)
{
    (void)state;
    fake_boot(image);
    image->pds[1].ids[UART_ID] = (struct sysimage_id){0};
    image->vm_count = 0;
    image->vcpu_count = 0;
    image->pds[0].children[3] = (struct sysimage_child){0};
    image->map_count = 4;
    fake_arch_reset();
    assert_ptr_equal(fake_boot(image), &pds[1].thread);
    assert_int_equal(vcpu_count, 0);
    assert_int_equal(fake_roots, 2);
    /* The UART's interrupt has no owner any more. */
    fake_irq_pending = UART_INTID;
    irq_handle();
    assert_int_equal(pds[1].notify_word, 0);
}

static void a_bad_image_stops_the_boot(void **state)
{
    (void)state;
    image->magic ^= 1;
    assert_true(FAKE_PANICS(fake_boot(image)));
    assert_non_null(strstr(fake_panic_message, "bad system image: "));
    assert_non_null(strstr(fake_panic_message, "bad magic"));
    assert_int_equal(fake_roots, 0);
    assert_int_equal(fake_zero_count, 0);
}

/* One INTID in two PDs: refused by the image check, with both owners named, before any IRQ is
 * registered (not an assertion in irq_register). */
static void an_irq_given_twice_stops_the_boot_with_a_message(void **state)
{
    (void)state;
    image->pds[0].ids[4] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, 0, UART_INTID, 0};
    assert_true(FAKE_PANICS(fake_boot(image)));
    if (strstr(fake_panic_message, "bad system image: PD 1: IRQ 33 (id 7) is already given to PD 0 (id 4)") == NULL) {
        fail_msg("panic message: %s", fake_panic_message);
    }
    assert_false(fake_irq_configured[UART_INTID]);
    assert_int_equal(fake_roots, 0);
}

static void overlapping_maps_stop_the_boot(void **state)
{
    (void)state;
    image->maps[3].vaddr = 0x200000; /* the driver's device map over its code */
    assert_true(FAKE_PANICS(fake_boot(image)));
    assert_non_null(strstr(fake_panic_message, "'driver': map at 0x200000 overlaps another map"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(boot_schedules_the_highest_priority_pd, setup, teardown),
        cmocka_unit_test_setup_teardown(every_pd_gets_its_config_entry_stack_and_ipc_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(each_pd_and_vm_gets_its_own_address_space_with_its_maps, setup, teardown),
        cmocka_unit_test_setup_teardown(vcpus_are_children_of_their_vmm_and_wait_for_it, setup, teardown),
        cmocka_unit_test_setup_teardown(irqs_are_routed_to_their_owner_and_masked, setup, teardown),
        cmocka_unit_test_setup_teardown(ranges_the_image_asks_are_zeroed, setup, teardown),
        cmocka_unit_test_setup_teardown(a_second_boot_starts_from_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(a_bad_image_stops_the_boot, setup, teardown),
        cmocka_unit_test_setup_teardown(an_irq_given_twice_stops_the_boot_with_a_message, setup, teardown),
        cmocka_unit_test_setup_teardown(overlapping_maps_stop_the_boot, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
