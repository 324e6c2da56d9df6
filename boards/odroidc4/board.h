/*
 * HardKernel Odroid-C4 (Amlogic S905X3, 4x Cortex-A55, GIC-400 = GICv2), started by U-Boot.
 * Build-only here: nothing in this tree can run it. Facts: ../shared/SPEC.md section 2.
 */
#pragma once

#define BOARD_NAME "odroidc4"
#define BOARD_ID   2

/* RAM below the top 168 MiB (reserved by firmware); BL31 keeps 0x0500_0000-0x052f_ffff. */
#define BOARD_RAM_BASE 0x00000000UL
#define BOARD_RAM_SIZE 0xf5800000UL

#define BOARD_KERNEL_BASE 0x30000000UL
#define BOARD_KERNEL_SIZE 0x00800000UL

#define BOARD_SYSIMAGE_BASE 0x30800000UL
#define BOARD_SYSIMAGE_SIZE 0x00100000UL

/* The driver VM's RAM is pinned at 0x2000_0000; the pool starts above the kernel. */
#define BOARD_POOL_RANGES              \
    {                                  \
        {                              \
            0x31000000UL, 0x80000000UL \
        }                              \
    }
#define BOARD_POOL_RANGE_COUNT 1
/* Where a VM whose devices DMA into its RAM (the driver VM) has it, guest-physical == physical. */
#define BOARD_PINNED_RAM_BASE 0x20000000UL

#define BOARD_DEVICE_RANGES                                                                                       \
    {                                                                                                             \
        {0xff800000UL, 0xff900000UL} /* AO bus: UART_AO_A, clocks */, {0xffc01000UL, 0xffc08000UL} /* GIC-400 */, \
            {0xffe00000UL, 0xffe10000UL} /* SD/eMMC controllers */,                                               \
        {                                                                                                         \
            0xff600000UL, 0xff700000UL                                                                            \
        } /* periphs, pinctrl, GPIO */                                                                            \
    }
#define BOARD_DEVICE_RANGE_COUNT 4

#define BOARD_UART_BASE     0xff803000UL
#define BOARD_UART_INTID    225
#define BOARD_UART_CLOCK_HZ 24000000UL

#define BOARD_GICD_BASE     0xffc01000UL
#define BOARD_GICC_BASE     0xffc02000UL
#define BOARD_GICH_BASE     0xffc04000UL
#define BOARD_GICV_BASE     0xffc06000UL
#define BOARD_HAS_GICV3     0
#define BOARD_GICR_BASE     0UL /* GIC-400 has no redistributors */
#define BOARD_GIC_MAX_INTID 255

#define BOARD_VIRTIO_BLK_BASE  0UL /* the driver VM uses the SD controller instead */
#define BOARD_VIRTIO_BLK_INTID 0
/* The SD card controller (Meson GX MMC, SD_EMMC_B), passed through to the driver VM. */
#define BOARD_SD_BASE  0xffe05000UL
#define BOARD_SD_INTID 222

#define BOARD_CPU_COUNT 4
