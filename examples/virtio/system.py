"""virtio: the seed system (SPEC section 2). CLIENTS Linux guests share one console and one disk
through virtio; the disk's real driver runs in a third Linux VM, the driver VM, with QEMU's
virtio-blk passed through to it and its RAM at guest-physical == physical (the device DMAs into
it). The block virtualiser gives MBR partition N of the disk to client N. The driver VM's console
is the last serial client (its own colour).

This file is the whole description: tools/sysgen derives the .system file, every PD's typed
configuration and every guest's device tree from it. Settings (make SET="key=value ..."):
switch_char, colours, patience_ms.
"""

import blk
import serial
import system
import vmm

CLIENTS = 2
SETTINGS = ("switch_char", "colours", "patience_ms")
# Where the driver VM sees the block regions (its UIO device): below its RAM, above the devices.
DRIVER_UIO_GPA = 0x30000000
VIRTIO_BLK_WINDOW = 0x200


def describe(board, settings):
    s = system.System(board, comment=__doc__)
    colours = settings["colours"].split(",") if "colours" in settings else None
    console = serial.Serial(s, switch_char=settings.get("switch_char", "@"), colours=colours,
                            patience_ms=int(settings.get("patience_ms", 5000)))
    disk = blk.Blk(s, virt_priority=150)
    for n in range(1, CLIENTS + 1):
        guest = vmm.Vmm(s, f"client_vmm_{n}", program="client_vmm", priority=101,
                        vm_name=f"client_linux_{n}", vm_priority=100, guest_name=f"client{n}",
                        role="client", bootargs=f"console=hvc0 tessera.hostname=client{n}")
        guest.add_virtio_console()
        console.add_client(guest.pd)
        guest.add_virtio(vmm.VIRTIO_ID_BLOCK)
        disk.add_client(guest.pd)

    # The driver VM: guest-physical == physical, where the board keeps RAM for that.
    ram = board["BOARD_PINNED_RAM_BASE"]
    driver = vmm.Vmm(s, "blk_driver_vmm", program="blk_driver_vmm", priority=200, vm_name="blk_driver_linux",
                     vm_priority=199, guest_name="blkdriver", role="blkdriver", ram_gpa=ram, ram_phys_addr=ram,
                     bootargs="console=hvc0 tessera.hostname=blkdriver uio_pdrv_genirq.of_id=generic-uio")
    driver.add_virtio_console()
    console.add_client(driver.pd)
    pass_disk_through(board, driver)
    disk.attach_driver_vm(driver, DRIVER_UIO_GPA)
    s.uses_disk = True
    return s


def pass_disk_through(board, driver):
    """The board's disk controller, driven by the driver VM's Linux: QEMU's virtio-blk, or the
    Odroid-C4's SD controller (whose clock, pinctrl and GPIO nodes are not described yet: that
    board builds, nothing here can run it)."""
    if board.facts.get("BOARD_VIRTIO_BLK_BASE", 0):
        window = board["BOARD_VIRTIO_BLK_BASE"]
        intid = board["BOARD_VIRTIO_BLK_INTID"]
        node = f"""    virtio@{window:x} {{
        compatible = "virtio,mmio";
        reg = <0x0 {window:#x} 0x0 {VIRTIO_BLK_WINDOW:#x}>;
        interrupts = <0 {intid - 32} 1>; /* INTID {intid}, edge rising */
        dma-coherent;
    }};"""
        trigger = "edge"
    else:
        window = board["BOARD_SD_BASE"]
        intid = board["BOARD_SD_INTID"]
        node = f"""    mmc@{window:x} {{
        compatible = "amlogic,meson-axg-mmc";
        reg = <0x0 {window:#x} 0x0 0x800>;
        interrupts = <0 {intid - 32} 1>; /* INTID {intid}, edge rising */
    }};"""
        trigger = "edge"
    page = window - window % system.PAGE
    driver.add_passthrough("disk_controller", page, system.PAGE, intid, trigger=trigger, dts_node=node)
