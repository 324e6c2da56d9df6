/*
 * QEMU virt (AArch64), as started by `make run`:
 *   qemu-system-aarch64 -machine virt,virtualization=on,secure=off -cpu cortex-a53 -m 2G
 * Every address the kernel, the .system tool and the PD runtime need about this board lives here
 * and nowhere else. Facts: ../shared/KERNEL-NOTES.md and QEMU's hw/arm/virt.c memory map.
 */
#pragma once

#define BOARD_NAME "qemu_virt_aarch64"
#define BOARD_ID   1

/* RAM given by `-m 2G`. */
#define BOARD_RAM_BASE 0x40000000UL
#define BOARD_RAM_SIZE 0x80000000UL

/* The kernel is linked here; its image, stacks and EL2 tables must fit in BOARD_KERNEL_SIZE. */
#define BOARD_KERNEL_BASE 0x70000000UL
#define BOARD_KERNEL_SIZE 0x00800000UL

/* The .system tool writes the system description (struct sysimage) here; the kernel reads it. */
#define BOARD_SYSIMAGE_BASE 0x70800000UL
#define BOARD_SYSIMAGE_SIZE 0x00100000UL

/*
 * Where the tool may place memory regions without a phys_addr, PD images, stacks and IPC
 * buffers. 0x4000_0000-0x5fff_ffff is left for regions with a fixed phys_addr (the driver VM's
 * RAM is pinned at 0x4000_0000 so guest-physical equals physical for passthrough DMA).
 */
#define BOARD_POOL_RANGES              \
    {                                  \
        {0x60000000UL, 0x70000000UL},  \
        {                              \
            0x71000000UL, 0xc0000000UL \
        }                              \
    }
#define BOARD_POOL_RANGE_COUNT 2
/* Where a VM whose devices DMA into its RAM (the driver VM) has it, guest-physical == physical. */
#define BOARD_PINNED_RAM_BASE 0x40000000UL

/* Device windows a memory region with a phys_addr may name (it must be mapped uncached). */
#define BOARD_DEVICE_RANGES                                                        \
    {                                                                              \
        {0x08000000UL, 0x08020000UL} /* GIC distributor + CPU interface */,        \
            {0x08040000UL, 0x08060000UL} /* GICv2 virtual CPU interface (GICV) */, \
            {0x09000000UL, 0x09001000UL} /* PL011 */,                              \
        {                                                                          \
            0x0a000000UL, 0x0a004000UL                                             \
        } /* virtio-mmio transports */                                             \
    }
#define BOARD_DEVICE_RANGE_COUNT 4

/* Debug UART (PL011), used by the kernel's debug output and the serial driver. */
#define BOARD_UART_BASE     0x09000000UL
#define BOARD_UART_INTID    33
#define BOARD_UART_CLOCK_HZ 24000000UL

/* GIC. The version is read from ID_AA64PFR0_EL1 at boot: QEMU gives v2 unless gic-version=3. */
#define BOARD_GICD_BASE     0x08000000UL
#define BOARD_GICC_BASE     0x08010000UL /* GICv2 */
#define BOARD_GICH_BASE     0x08030000UL /* GICv2 */
#define BOARD_GICV_BASE     0x08040000UL /* GICv2 */
#define BOARD_HAS_GICV3     1
#define BOARD_GICR_BASE     0x080a0000UL /* GICv3, 0x20000 per CPU */
#define BOARD_GIC_MAX_INTID 287

/* Passthrough block device of the example system (the last virtio-mmio transport QEMU fills). */
#define BOARD_VIRTIO_BLK_BASE  0x0a003e00UL
#define BOARD_VIRTIO_BLK_INTID 79

#define BOARD_CPU_COUNT 1
