/*
 * What the two kernel harnesses (system-image check, system calls) share: the board facts the
 * kernel checks images against (as kernel/core/boot.c has them), a valid base system image to
 * mutate, and the image patched by fuzz input.
 *
 * The base system (QEMU board): PD 0 "vmm" (priority 100) with a child PD 2 "child" (id 4) and a
 * VM "guest" of two vCPUs (ids 1 and 2); PD 1 "server" (priority 150) with a VM of one vCPU (id
 * 3), SMC allowed; PD 3 "driver" (priority 120) with the UART's IRQ. Channels: vmm 1 <-> server 2
 * (vmm may notify and call, server may notify), vmm 5 <-> driver 6 (both notify), child 0 <-> vmm
 * 7 (notify). IRQs: vmm id 3 = INTID 40, server id 8 = INTID 41, driver id 9 = INTID 33.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <board.h>
#include <kernel/sysimage_check.h>
#include <tessera/abi.h>
#include <tessera/sysimage.h>
#include "fuzz.h"

static const uint64_t fuzz_board_devices[][2] = BOARD_DEVICE_RANGES;

static const struct sysimage_board fuzz_board = {
    .board_id = BOARD_ID,
    .ram_base = BOARD_RAM_BASE,
    .ram_size = BOARD_RAM_SIZE,
    .kernel_base = BOARD_KERNEL_BASE,
    .kernel_size = BOARD_KERNEL_SIZE,
    .sysimage_base = BOARD_SYSIMAGE_BASE,
    .sysimage_size = BOARD_SYSIMAGE_SIZE,
    .device_ranges = fuzz_board_devices,
    .device_range_count = BOARD_DEVICE_RANGE_COUNT,
    .max_intid = BOARD_GIC_MAX_INTID,
};

#define FK_RW  (SYSIMAGE_MAP_R | SYSIMAGE_MAP_W | SYSIMAGE_MAP_CACHED)
#define FK_RX  (SYSIMAGE_MAP_R | SYSIMAGE_MAP_X | SYSIMAGE_MAP_CACHED)
#define FK_PDS 4

static inline void fk_channel(struct sysimage *image, unsigned a, unsigned a_id, uint8_t a_flags, unsigned b,
                              unsigned b_id, uint8_t b_flags)
{
    image->pds[a].ids[a_id] = (struct sysimage_id){SYSIMAGE_ID_CHANNEL, (uint8_t)b, (uint8_t)b_id, a_flags, 0, 0};
    image->pds[b].ids[b_id] = (struct sysimage_id){SYSIMAGE_ID_CHANNEL, (uint8_t)a, (uint8_t)a_id, b_flags, 0, 0};
}

static inline void fk_base_image(struct sysimage *image)
{
    static const char *const names[FK_PDS] = {"vmm", "server", "child", "driver"};
    static const uint8_t priorities[FK_PDS] = {100, 150, 50, 120};
    memset(image, 0, sizeof(*image));
    image->magic = SYSIMAGE_MAGIC;
    image->version = SYSIMAGE_VERSION;
    image->board_id = BOARD_ID;
    image->pd_count = FK_PDS;
    for (unsigned i = 0; i < FK_PDS; i++) {
        struct sysimage_pd *pd = &image->pds[i];
        strcpy(pd->name, names[i]);
        pd->priority = priorities[i];
        pd->parent = SYSIMAGE_NONE;
        pd->budget_us = 1000;
        pd->period_us = 1000;
        pd->entry = TESSERA_PD_LINK_BASE;
        pd->stack_top = TESSERA_PD_STACK_TOP;
        pd->ipc_buffer = TESSERA_PD_IPC_BUFFER;
        pd->ipc_buffer_paddr = 0x60400000UL + 0x1000UL * i;
        pd->map_first = 2 * i;
        pd->map_count = 2;
        image->maps[2 * i] =
            (struct sysimage_map){TESSERA_PD_LINK_BASE, 0x60000000UL + 0x10000UL * i, 0x2000, FK_RX, 0};
        image->maps[2 * i + 1] = (struct sysimage_map){0x30000000, 0x60100000UL + 0x10000UL * i, 0x1000, FK_RW, 0};
    }
    image->pds[1].smc = 1;
    image->pds[2].parent = 0;
    image->pds[2].id_in_parent = 4;
    image->pds[0].children[4] = (struct sysimage_child){SYSIMAGE_CHILD_PD, 2, 0};
    fk_channel(image, 0, 1, SYSIMAGE_CH_NOTIFY | SYSIMAGE_CH_PPC, 1, 2, SYSIMAGE_CH_NOTIFY);
    fk_channel(image, 0, 5, SYSIMAGE_CH_NOTIFY, 3, 6, SYSIMAGE_CH_NOTIFY);
    fk_channel(image, 2, 0, SYSIMAGE_CH_NOTIFY, 0, 7, SYSIMAGE_CH_NOTIFY);
    image->pds[0].ids[3] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, 0, 40, 0};
    image->pds[1].ids[8] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, SYSIMAGE_IRQ_EDGE, 41, 0};
    image->pds[3].ids[9] = (struct sysimage_id){SYSIMAGE_ID_IRQ, 0, 0, 0, BOARD_UART_INTID, 0};
    /* The VMs: guest RAM, and a device window for the VMM's guest. */
    image->map_count = 2 * FK_PDS + 3;
    image->maps[8] = (struct sysimage_map){0x40000000, 0x61000000, 0x200000, FK_RW | SYSIMAGE_MAP_X, 0};
    image->maps[9] = (struct sysimage_map){0x8010000, 0x08040000, 0x2000, SYSIMAGE_MAP_R | SYSIMAGE_MAP_W, 0};
    image->maps[10] = (struct sysimage_map){0x40000000, 0x61200000, 0x200000, FK_RW | SYSIMAGE_MAP_X, 0};
    image->vm_count = 2;
    image->vms[0] = (struct sysimage_vm){.owner_pd = 0,
                                         .priority = 90,
                                         .vcpu_count = 2,
                                         .budget_us = 1000,
                                         .period_us = 1000,
                                         .map_first = 8,
                                         .map_count = 2};
    strcpy(image->vms[0].name, "guest");
    image->vms[1] = (struct sysimage_vm){.owner_pd = 1,
                                         .priority = 140,
                                         .vcpu_count = 1,
                                         .budget_us = 500,
                                         .period_us = 1000,
                                         .map_first = 10,
                                         .map_count = 1};
    strcpy(image->vms[1].name, "helper");
    image->vcpu_count = 3;
    image->vcpus[0] = (struct sysimage_vcpu){.vm = 0, .id = 1};
    image->vcpus[1] = (struct sysimage_vcpu){.vm = 0, .id = 2};
    image->vcpus[2] = (struct sysimage_vcpu){.vm = 1, .id = 3};
    image->pds[0].children[1] = (struct sysimage_child){SYSIMAGE_CHILD_VCPU, 0, 0};
    image->pds[0].children[2] = (struct sysimage_child){SYSIMAGE_CHILD_VCPU, 1, 0};
    image->pds[1].children[3] = (struct sysimage_child){SYSIMAGE_CHILD_VCPU, 2, 0};
    image->zero_count = 2;
    image->zeros[0] = (struct sysimage_zero){0x60100000, 0x40000};
    image->zeros[1] = (struct sysimage_zero){0x60400000, 0x4000};
}

/* One patch of the image from the input: a part (the header, a PD, a VM, a vCPU, a map, a zero
 * range), an offset in it, and bytes to write there. */
static inline void fk_patch(struct sysimage *image, struct fuzz_input *in)
{
    uint8_t kind = fuzz_u8(in);
    uint8_t *base;
    size_t size;
    switch (kind % 8) {
    case 0:
        base = (uint8_t *)image;
        size = offsetof(struct sysimage, pds);
        break;
    case 1:
    case 2:
        base = (uint8_t *)&image->pds[fuzz_below(in, 8)];
        size = sizeof(image->pds[0]);
        break;
    case 3:
        base = (uint8_t *)&image->vms[fuzz_below(in, 4)];
        size = sizeof(image->vms[0]);
        break;
    case 4:
        base = (uint8_t *)&image->vcpus[fuzz_below(in, 8)];
        size = sizeof(image->vcpus[0]);
        break;
    case 5:
    case 6:
        base = (uint8_t *)&image->maps[fuzz_below(in, 16)];
        size = sizeof(image->maps[0]);
        break;
    default:
        base = (uint8_t *)&image->zeros[fuzz_below(in, 4)];
        size = sizeof(image->zeros[0]);
        break;
    }
    size_t offset = fuzz_below(in, (uint32_t)size);
    size_t n = fuzz_below(in, 8) + 1;
    n = n < size - offset ? n : size - offset;
    if (kind & 0x80) {
        /* A small change to a number is more telling than new bytes: add to the byte there. */
        base[offset] = (uint8_t)(base[offset] + (int8_t)fuzz_u8(in));
        return;
    }
    fuzz_bytes(in, base + offset, n);
}
