/*
 * Fuzz harness of the kernel's system-image check (kernel/core/sysimage_check.c), the one thing
 * between the image in memory and the kernel trusting it. Input: patches (any bytes at any offset
 * of the header, PDs, VMs, vCPUs, maps, zero ranges) of a valid base image (fuzz_kernel.h).
 *
 * Invariants, for every image the check accepts:
 * - an independent re-check finds what the kernel relies on: counts within their maxima, every
 *   index inside its table, every physical range (maps, zero ranges, IPC buffers) inside RAM or
 *   one device window and clear of the kernel and the image, maps page-aligned within 40 bits,
 *   channels that name each other, IRQs that are SPIs of the board, children that point back;
 * - the image boots over the fake arch without a kernel panic, except the refusal of a map that
 *   overlaps another in one address space (which the kernel reports by name when it builds the
 *   tables, as designed); in particular no assertion fails.
 * And every check refuses without reading outside the image.
 */
#include <stdlib.h>
#include <string.h>
#include <kernel/sched.h>
#include <kernel/vcpu.h>
#include "fake_arch.h"
#include "fuzz.h"
#include "fuzz_kernel.h"

static bool range_ok(uint64_t base, uint64_t size, bool ram_only)
{
    uint64_t end;
    if (size == 0 || __builtin_add_overflow(base, size, &end)) {
        return false;
    }
    if (base < BOARD_KERNEL_BASE + BOARD_KERNEL_SIZE && BOARD_KERNEL_BASE < end) {
        return false;
    }
    if (base < BOARD_SYSIMAGE_BASE + BOARD_SYSIMAGE_SIZE && BOARD_SYSIMAGE_BASE < end) {
        return false;
    }
    if (base >= BOARD_RAM_BASE && end <= BOARD_RAM_BASE + BOARD_RAM_SIZE) {
        return true;
    }
    for (unsigned i = 0; !ram_only && i < BOARD_DEVICE_RANGE_COUNT; i++) {
        if (base >= fuzz_board_devices[i][0] && end <= fuzz_board_devices[i][1]) {
            return true;
        }
    }
    return false;
}

static bool slice_ok(uint32_t first, uint32_t count, uint32_t total)
{
    return first <= total && count <= total - first;
}

static void recheck(const struct sysimage *m)
{
    FUZZ_CHECK(m->pd_count >= 1 && m->pd_count <= SYSIMAGE_MAX_PDS && m->vm_count <= SYSIMAGE_MAX_VMS &&
                   m->vcpu_count <= SYSIMAGE_MAX_VCPUS && m->map_count <= SYSIMAGE_MAX_MAPS &&
                   m->zero_count <= SYSIMAGE_MAX_ZEROS,
               "accepted counts out of range");
    for (unsigned i = 0; i < m->map_count; i++) {
        const struct sysimage_map *map = &m->maps[i];
        FUZZ_CHECK((map->vaddr | map->paddr | map->size) % 4096 == 0 && map->vaddr < (1UL << 40) &&
                       map->size <= (1UL << 40) - map->vaddr,
                   "accepted map %u not page-aligned inside 40 bits", i);
        FUZZ_CHECK(range_ok(map->paddr, map->size, false), "accepted map %u outside RAM and devices", i);
        FUZZ_CHECK((map->attrs & SYSIMAGE_MAP_R) && (map->attrs & ~0xfu) == 0, "accepted map %u attributes %#x", i,
                   map->attrs);
    }
    for (unsigned i = 0; i < m->zero_count; i++) {
        FUZZ_CHECK(range_ok(m->zeros[i].paddr, m->zeros[i].size, true), "accepted zero range %u outside RAM", i);
    }
    for (unsigned i = 0; i < m->vm_count; i++) {
        const struct sysimage_vm *vm = &m->vms[i];
        FUZZ_CHECK(memchr(vm->name, 0, SYSIMAGE_NAME_LEN) != NULL && vm->owner_pd < m->pd_count &&
                       slice_ok(vm->map_first, vm->map_count, m->map_count) && vm->budget_us != 0 &&
                       vm->budget_us <= vm->period_us,
                   "accepted VM %u", i);
    }
    for (unsigned i = 0; i < m->vcpu_count; i++) {
        FUZZ_CHECK(m->vcpus[i].vm < m->vm_count && m->vcpus[i].id < SYSIMAGE_CHILD_IDS, "accepted vCPU %u", i);
    }
    for (unsigned p = 0; p < m->pd_count; p++) {
        const struct sysimage_pd *pd = &m->pds[p];
        FUZZ_CHECK(pd->name[0] != '\0' && memchr(pd->name, 0, SYSIMAGE_NAME_LEN) != NULL, "accepted PD %u name", p);
        FUZZ_CHECK(pd->priority <= 254 && pd->budget_us != 0 && pd->budget_us <= pd->period_us,
                   "accepted PD %u priority or budget", p);
        FUZZ_CHECK(slice_ok(pd->map_first, pd->map_count, m->map_count), "accepted PD %u map slice", p);
        FUZZ_CHECK(pd->parent == SYSIMAGE_NONE ||
                       (pd->parent < m->pd_count && pd->parent != p && pd->id_in_parent < SYSIMAGE_CHILD_IDS),
                   "accepted PD %u parent", p);
        FUZZ_CHECK(range_ok(pd->ipc_buffer_paddr, 4096, true) && pd->ipc_buffer_paddr % 4096 == 0 &&
                       pd->ipc_buffer % 4096 == 0,
                   "accepted PD %u IPC buffer", p);
        for (unsigned id = 0; id < SYSIMAGE_IDS; id++) {
            const struct sysimage_id *slot = &pd->ids[id];
            FUZZ_CHECK(slot->kind <= SYSIMAGE_ID_IRQ, "accepted PD %u id %u kind %u", p, id, slot->kind);
            if (slot->kind == SYSIMAGE_ID_CHANNEL) {
                FUZZ_CHECK(slot->peer_pd < m->pd_count && slot->peer_id < SYSIMAGE_IDS, "accepted PD %u channel %u", p,
                           id);
                const struct sysimage_id *peer = &m->pds[slot->peer_pd].ids[slot->peer_id];
                FUZZ_CHECK(peer->kind == SYSIMAGE_ID_CHANNEL && peer->peer_pd == p && peer->peer_id == id,
                           "accepted PD %u channel %u whose other end does not name it", p, id);
            } else if (slot->kind == SYSIMAGE_ID_IRQ) {
                FUZZ_CHECK(slot->intid >= 32 && slot->intid <= BOARD_GIC_MAX_INTID, "accepted PD %u IRQ %u", p,
                           slot->intid);
            }
        }
        for (unsigned id = 0; id < SYSIMAGE_CHILD_IDS; id++) {
            const struct sysimage_child *c = &pd->children[id];
            FUZZ_CHECK(c->kind <= SYSIMAGE_CHILD_VCPU, "accepted PD %u child kind %u", p, c->kind);
            if (c->kind == SYSIMAGE_CHILD_PD) {
                FUZZ_CHECK(c->index < m->pd_count && m->pds[c->index].parent == p &&
                               m->pds[c->index].id_in_parent == id,
                           "accepted PD %u child %u", p, id);
            } else if (c->kind == SYSIMAGE_CHILD_VCPU) {
                FUZZ_CHECK(c->index < m->vcpu_count && m->vms[m->vcpus[c->index].vm].owner_pd == p &&
                               m->vcpus[c->index].id == id,
                           "accepted PD %u vCPU child %u", p, id);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sysimage *image;
    if (image == NULL) {
        image = malloc(sizeof(*image)); /* exactly its size: a read past it is caught */
        if (!fuzz_tracing()) {
            FUZZ_CHECK(freopen("/dev/null", "w", stdout) != NULL, "stdout"); /* the kernel's console */
        }
    }
    struct fuzz_input in = fuzz_input(data, size);
    fk_base_image(image);
    for (unsigned n = 0; n < 64 && fuzz_more(&in); n++) {
        fk_patch(image, &in);
    }
    char error[128];
    if (!sysimage_check(image, &fuzz_board, error, sizeof(error))) {
        FUZZ_CHECK(memchr(error, 0, sizeof(error)) != NULL, "the refusal is not a sentence");
        return 0;
    }
    recheck(image);
    fake_arch_reset();
    bool panicked = FAKE_PANICS(fake_boot(image));
    FUZZ_CHECK(!panicked || strstr(fake_panic_message, "overlaps another map") != NULL,
               "an image the check accepted panics the kernel at boot: %s", fake_panic_message);
    return 0;
}
