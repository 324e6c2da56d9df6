# QEMU virt: build facts for the kernel and the run scripts.
BOARD_DEBUG_UART := pl011
BOARD_QEMU_MACHINE := virt,virtualization=on,secure=off
BOARD_QEMU_CPU := cortex-a53
BOARD_QEMU_MEM := 2G
