"""A VMM PD and its Linux guest: guest RAM (mapped into both), the GIC parts the guest reaches
(the hardware's virtual CPU interface at the board's GICC address; the distributor, emulated,
probed read-only by the VMM), emulated virtio devices with their windows and interrupts, and
passed-through devices. It writes the VMM's configuration (vmm/include/vmm/vmm_config.h) and
the guest's device tree from the same facts."""

from system import C, DescriptionError, LARGE_PAGE, PAGE

HEADER = "vmm/vmm_config.h"
VIRTIO_MMIO_SIZE = 0x200
# Guest-physical layout: the guest sees the board's RAM base, GIC and (for passthrough) devices
# where the board has them; emulated virtio windows go here, one 0x200 window each, with level
# SPIs from VIRTIO_FIRST_INTID up.
GUEST_VIRTIO_BASE = 0x0A000000
VIRTIO_FIRST_INTID = 48
GICD_SIZE = 0x10000
GICV_SIZE = 0x2000
MAX_VIRTIO = 4  # VMM_CONFIG_MAX_VIRTIO
MAX_PASSTHROUGH = 8  # VMM_CONFIG_MAX_PASSTHROUGH
MAX_DOORBELLS = 2  # VMM_CONFIG_MAX_DOORBELLS
MAX_STOP_WATCHERS = 2  # VMM_CONFIG_MAX_STOP_WATCHERS
# Every guest has a panic device (QEMU's pvpanic-mmio) after the last virtio window: its kernel
# tells its VMM when it panics.
GUEST_PANIC_GPA = GUEST_VIRTIO_BASE + MAX_VIRTIO * VIRTIO_MMIO_SIZE
PANIC_SIZE = 2  # VMM_CONFIG_PANIC_SIZE
VIRTIO_ID_BLOCK = 2
VIRTIO_ID_CONSOLE = 3


class Vmm:
    def __init__(self, system, name, program, priority, vm_name, vm_priority, guest_name, role,
                 ram_size=0x8000000, ram_gpa=None, ram_phys_addr=None, bootargs="", stdout_path=None):
        board = system.board
        self.system = system
        self.guest_name = guest_name
        self.bootargs = bootargs
        self.stdout_path = stdout_path
        self.virtio = []
        self.passthrough = []  # (channel, intid)
        self.doorbells = []  # (intid, channel)
        self.stop_watchers = []  # our channel to each PD told when the guest stops
        self.panic_gpa = GUEST_PANIC_GPA
        self.panic_size = PANIC_SIZE
        self.dts_nodes = []
        self.used_intids = set()
        system.headers.add(HEADER)
        self.pd = system.protection_domain(name, program, priority)
        self.vm = self.pd.virtual_machine(vm_name, vm_priority)
        self.ram_gpa = board["BOARD_RAM_BASE"] if ram_gpa is None else ram_gpa
        self.ram_size = ram_size
        ram = system.region(f"{vm_name}_ram", ram_size, LARGE_PAGE, ram_phys_addr)
        self.ram_vaddr = self.pd.map(ram, perms="rw")
        self.vm.map(ram, self.ram_gpa, perms="rwx")
        gicv = system.device_region("gicv", board["BOARD_GICV_BASE"], GICV_SIZE)
        self.vm.map(gicv, board["BOARD_GICC_BASE"], perms="rw", cached=False)
        # One page is enough to read GICD_CTLR, which tells a GICv2 from a GICv3.
        gicd = system.device_region("gicd", board["BOARD_GICD_BASE"], PAGE)
        self.gicd_probe_vaddr = self.pd.map(gicd, perms="r", cached=False)
        self.gicd_gpa = board["BOARD_GICD_BASE"]
        self.gicr_gpa = board["BOARD_GICR_BASE"]
        self.pd.make_vars["ROLE"] = role
        self.pd.make_vars["VM"] = vm_name
        system.guests.append(self)
        system.finalisers.append(self.finalise)

    def new_spi(self):
        """The next level SPI for an emulated device, from VIRTIO_FIRST_INTID up."""
        intid = VIRTIO_FIRST_INTID
        while intid in self.used_intids:
            intid += 1
        self.used_intids.add(intid)
        return intid

    def add_virtio(self, device_id):
        """An emulated virtio-mmio device: the next window and SPI. Returns its description."""
        if len(self.virtio) >= MAX_VIRTIO:
            raise DescriptionError(f"{self.pd.name}: more than {MAX_VIRTIO} virtio devices")
        index = len(self.virtio)
        intid = self.new_spi()
        device = {
            "device_id": device_id,
            "gpa": GUEST_VIRTIO_BASE + index * VIRTIO_MMIO_SIZE,
            "size": VIRTIO_MMIO_SIZE,
            "intid": intid,
        }
        self.virtio.append(device)
        return device

    def add_virtio_console(self):
        return self.add_virtio(VIRTIO_ID_CONSOLE)

    def add_passthrough(self, name, phys_addr, size, intid=None, gpa=None, dts_node=None, trigger="level"):
        """A device the guest drives itself: its registers mapped at `gpa` (default: where the
        board has them), its interrupt forwarded by the VMM, and its device-tree node."""
        region = self.system.device_region(name, phys_addr, size)
        self.vm.map(region, phys_addr if gpa is None else gpa, perms="rw", cached=False)
        if intid is not None:
            if len(self.passthrough) >= MAX_PASSTHROUGH or intid in self.used_intids:
                raise DescriptionError(f"{self.pd.name}: cannot pass INTID {intid} through")
            self.used_intids.add(intid)
            self.passthrough.append((self.pd.irq(intid, trigger), intid))
        if dts_node:
            self.dts_nodes.append(dts_node)

    def add_uio(self, name, maps, gpa, channel):
        """A UIO device (uio_pdrv_genirq, compatible "generic-uio") for a program in the guest:
        `maps` is a list of lists of regions, each inner list mapped contiguously from `gpa` up
        and shown as one UIO map (map N of the device is the N-th list); its interrupt is a
        doorbell with the PD at the other end of `channel`."""
        if len(self.doorbells) >= MAX_DOORBELLS:
            raise DescriptionError(f"{self.pd.name}: more than {MAX_DOORBELLS} doorbells")
        reg = []
        base = gpa
        for group in maps:
            start = None
            for region in group:
                if base % region.page_size:
                    base += region.page_size - base % region.page_size
                    if start is not None:
                        raise DescriptionError(f"{self.pd.name}: {region.name} cannot follow the map before it")
                start = base if start is None else start
                self.vm.map(region, base, perms="rw")
                base += region.size
            reg.append((start, base - start))
        intid = self.new_spi()
        self.doorbells.append((intid, channel))
        cells_text = ", ".join(f"<0x{a >> 32:x} 0x{a & 0xffffffff:x} 0x{n >> 32:x} 0x{n & 0xffffffff:x}>"
                               for a, n in reg)
        self.dts_nodes.append(f"""    {name}@{gpa:x} {{
        compatible = "generic-uio";
        reg = {cells_text};
        interrupts = <0 {intid - 32} 4>; /* INTID {intid}, level high: the doorbell */
    }};""")

    def notify_on_stop(self, pd):
        """`pd` is notified when this guest stops for good (powered off, or stopped by its VMM
        after a fault); returns the channel id `pd` sees it on."""
        if len(self.stop_watchers) >= MAX_STOP_WATCHERS:
            raise DescriptionError(f"{self.pd.name}: more than {MAX_STOP_WATCHERS} PDs told of its guest's stop")
        ours, theirs = self.system.channel(self.pd, pd)
        self.stop_watchers.append(ours)
        return theirs

    def finalise(self):
        self.pd.add_config("vmm_config", "vmm_config", {
            "magic": C("VMM_CONFIG_MAGIC"),
            "version": C("VMM_CONFIG_VERSION"),
            "guest_name": self.guest_name,
            "bootargs": self.bootargs,
            "vcpu": self.vm.vcpu,
            "ram_gpa": self.ram_gpa,
            "ram_size": self.ram_size,
            "ram_vaddr": self.ram_vaddr,
            "gicd_gpa": self.gicd_gpa,
            "gicr_gpa": self.gicr_gpa,
            "gicd_probe_vaddr": self.gicd_probe_vaddr,
            "passthrough_count": len(self.passthrough),
            "passthrough": [{"channel": ch, "intid": intid} for ch, intid in self.passthrough],
            "virtio_count": len(self.virtio),
            "virtio": list(self.virtio),
            "doorbell_count": len(self.doorbells),
            "doorbells": [{"intid": intid, "channel": ch} for intid, ch in self.doorbells],
            "stop_watcher_count": len(self.stop_watchers),
            "stop_watchers": list(self.stop_watchers),
            "panic_gpa": self.panic_gpa,
        })
