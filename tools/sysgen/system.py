"""The core of a system description: the board's facts, memory regions, protection domains,
virtual machines and channels, and what each becomes: the Microkit-style `.system` file that
mksystem checks and packs, one C file of typed configuration per PD, and a make fragment naming
each PD's program.

A description (examples/<name>/system.py) builds a System through the subsystems (serial.py,
vmm.py) and returns it; every address, size, channel id and interrupt number is decided here
once, and every output is derived from the same objects, so nothing is written twice.
"""

import re

PAGE = 0x1000
LARGE_PAGE = 0x200000
MAX_IDS = 62  # channel and IRQ ids 0..61 of one PD (mksystem's rule, as Microkit's)
# Where a PD's maps go when the description gives no address: far above the program (linked at
# 0x20_0000) and far below the stack and IPC buffer at the top of the 40-bit space.
PD_MAP_BASE = 0x10000000
PD_MAP_LIMIT = 0x8000000000


class DescriptionError(Exception):
    """A description asks for something impossible; the message says what and where."""


def align_up(value, alignment):
    return (value + alignment - 1) // alignment * alignment


class Board:
    """The integer facts of boards/<board>/board.h (BOARD_* macros), read from the header the
    kernel and mksystem are built with, so that the board's addresses live only there."""

    def __init__(self, header_path):
        self.path = header_path
        self.facts = {}
        with open(header_path, encoding="utf-8") as f:
            for line in f:
                m = re.match(r"\s*#define\s+(BOARD_\w+)\s+(0x[0-9a-fA-F]+|\d+)(?:UL|U|ULL)?\b", line)
                if m:
                    self.facts[m.group(1)] = int(m.group(2), 0)
                m = re.match(r'\s*#define\s+BOARD_NAME\s+"([^"]*)"', line)
                if m:
                    self.name = m.group(1)

    def __getitem__(self, key):
        if key not in self.facts:
            raise DescriptionError(f"{self.path} defines no {key}")
        return self.facts[key]


class C:
    """A C expression written as it is into a configuration initialiser (a macro name)."""

    def __init__(self, text):
        self.text = text


class MemoryRegion:
    def __init__(self, name, size, page_size=PAGE, phys_addr=None):
        if size <= 0 or size % page_size != 0:
            raise DescriptionError(f"memory region {name}: size {size:#x} is not a multiple of {page_size:#x}")
        self.name = name
        self.size = size
        self.page_size = page_size
        self.phys_addr = phys_addr


class Map:
    def __init__(self, region, vaddr, perms, cached):
        self.region = region
        self.vaddr = vaddr
        self.perms = perms
        self.cached = cached


class AddressSpace:
    """Maps of one PD or VM, with addresses chosen in order when not given."""

    def __init__(self, owner):
        self.owner = owner
        self.maps = []
        self.next_vaddr = PD_MAP_BASE

    def map(self, region, vaddr=None, perms="rw", cached=True):
        if vaddr is None:
            vaddr = align_up(self.next_vaddr, region.page_size)
            if vaddr + region.size > PD_MAP_LIMIT:
                raise DescriptionError(f"{self.owner}: no room to map {region.name}")
            self.next_vaddr = vaddr + region.size
        for m in self.maps:
            if vaddr < m.vaddr + m.region.size and m.vaddr < vaddr + region.size:
                raise DescriptionError(f"{self.owner}: {region.name} at {vaddr:#x} overlaps {m.region.name}")
        self.maps.append(Map(region, vaddr, perms, cached))
        return vaddr


class ProtectionDomain:
    def __init__(self, system, name, program, priority, budget=None, period=None, stack_size=None):
        self.system = system
        self.name = name
        self.program = program  # the component it runs: a make name, `<program>.elf` once linked
        self.priority = priority
        self.budget = budget
        self.period = period
        self.stack_size = stack_size
        self.space = AddressSpace(name)
        self.irqs = []  # (intid, id, trigger)
        self.used_ids = set()
        self.vm = None
        self.configs = []  # (C type, C name, value)
        self.make_vars = {}  # extra facts for the make fragment (guest role, DTBs)

    def map(self, region, vaddr=None, perms="rw", cached=True):
        return self.space.map(region, vaddr, perms, cached)

    def new_id(self):
        for i in range(MAX_IDS):
            if i not in self.used_ids:
                self.used_ids.add(i)
                return i
        raise DescriptionError(f"{self.name}: more than {MAX_IDS} channels and IRQs")

    def irq(self, intid, trigger="level"):
        ident = self.new_id()
        self.irqs.append((intid, ident, trigger))
        return ident

    def add_config(self, ctype, cname, value):
        self.configs.append((ctype, cname, value))

    def virtual_machine(self, name, priority):
        if self.vm is not None:
            raise DescriptionError(f"{self.name} already has a virtual machine")
        self.vm = VirtualMachine(name, priority)
        return self.vm


class VirtualMachine:
    def __init__(self, name, priority):
        self.name = name
        self.priority = priority
        self.vcpu = 0
        self.space = AddressSpace(name)

    def map(self, region, gpa, perms="rw", cached=True):
        return self.space.map(region, gpa, perms, cached)


class System:
    def __init__(self, board, comment=""):
        self.board = board
        self.comment = comment
        self.regions = []
        self.pds = []
        self.channels = []  # ((pd, id), (pd, id))
        self.headers = set()  # C headers the configuration types come from
        self.finalisers = []  # subsystems' last steps, once every client is known
        self.guests = []  # (VMM PD, device tree source per GIC version)
        self.finalised = False
        self.uses_disk = False  # a guest drives the machine's disk (QEMU: -drive ... virtio-blk)

    def finalise(self):
        if not self.finalised:
            self.finalised = True
            for step in self.finalisers:
                step()

    def region(self, name, size, page_size=PAGE, phys_addr=None):
        if any(r.name == name for r in self.regions):
            raise DescriptionError(f"two memory regions named {name}")
        r = MemoryRegion(name, size, page_size, phys_addr)
        self.regions.append(r)
        return r

    def device_region(self, name, phys_addr, size):
        """The region of a device's registers (or an existing one of the same name)."""
        for r in self.regions:
            if r.name == name:
                return r
        return self.region(name, align_up(size, PAGE), PAGE, phys_addr)

    def protection_domain(self, name, program, priority, **kwargs):
        if any(p.name == name for p in self.pds):
            raise DescriptionError(f"two protection domains named {name}")
        pd = ProtectionDomain(self, name, program, priority, **kwargs)
        self.pds.append(pd)
        return pd

    def channel(self, a, b):
        """A channel between PDs a and b; returns (a's id, b's id)."""
        ia, ib = a.new_id(), b.new_id()
        self.channels.append(((a, ia), (b, ib)))
        return ia, ib

    # ---- outputs ----

    def system_xml(self):
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               "<!-- Generated by tools/sysgen from the description named below: edit that, not this. -->"]
        if self.comment:
            out.append("<!--")
            # "--" may not appear inside an XML comment.
            out.extend(("    " + line).rstrip().replace("--", "- -") for line in self.comment.strip().splitlines())
            out.append("-->")
        out.append("<system>")
        for r in self.regions:
            attrs = f'name="{r.name}" size="{r.size:#x}"'
            if r.page_size != PAGE:
                attrs += f' page_size="{r.page_size:#x}"'
            if r.phys_addr is not None:
                attrs += f' phys_addr="{r.phys_addr:#x}"'
            out.append(f"    <memory_region {attrs} />")
        for pd in self.pds:
            attrs = f'name="{pd.name}" priority="{pd.priority}"'
            for key in ("budget", "period", "stack_size"):
                value = getattr(pd, key)
                if value is not None:
                    attrs += f' {key}="{value:#x}"' if key == "stack_size" else f' {key}="{value}"'
            out.append(f"    <protection_domain {attrs}>")
            out.append(f'        <program_image path="{pd.name}.elf" />')
            out.extend(self._maps_xml(pd.space, "        "))
            for intid, ident, trigger in pd.irqs:
                out.append(f'        <irq irq="{intid}" id="{ident}" trigger="{trigger}" />')
            if pd.vm is not None:
                out.append(f'        <virtual_machine name="{pd.vm.name}" priority="{pd.vm.priority}">')
                out.append(f'            <vcpu id="{pd.vm.vcpu}" />')
                out.extend(self._maps_xml(pd.vm.space, "            "))
                out.append("        </virtual_machine>")
            out.append("    </protection_domain>")
        for (a, ia), (b, ib) in self.channels:
            out.append(f'    <channel><end pd="{a.name}" id="{ia}" /><end pd="{b.name}" id="{ib}" /></channel>')
        out.append("</system>")
        return "\n".join(out) + "\n"

    @staticmethod
    def _maps_xml(space, indent):
        lines = []
        for m in space.maps:
            attrs = f'mr="{m.region.name}" vaddr="{m.vaddr:#x}" perms="{m.perms}"'
            if not m.cached:
                attrs += ' cached="false"'
            lines.append(f"{indent}<map {attrs} />")
        return lines

    def config_c(self, pd):
        out = [f"/* Generated by tools/sysgen: the typed configuration of PD {pd.name}. Edit the description. */"]
        for header in sorted(self.headers):
            out.append(f"#include <{header}>")
        for ctype, cname, value in pd.configs:
            out.append("")
            out.append(f"const struct {ctype} {cname} = {c_value(value, 0)};")
        return "\n".join(out) + "\n"

    def gic_versions(self):
        """The GICs a guest may find: a GICv2, and a GICv3 where the board can have one."""
        return [2, 3] if self.board.facts.get("BOARD_HAS_GICV3", 0) else [2]

    def make_fragment(self, prefix):
        out = ["# Generated by tools/sysgen: the PDs of this system and the program each runs."]
        out.append(f"{prefix}_PDS := {' '.join(pd.name for pd in self.pds)}")
        out.append(f"{prefix}_GIC_VERSIONS := {' '.join(str(v) for v in self.gic_versions())}")
        out.append(f"{prefix}_USES_DISK := {1 if self.uses_disk else ''}")
        for pd in self.pds:
            out.append(f"{prefix}_PD_{pd.name}_PROGRAM := {pd.program}")
            for key, value in sorted(pd.make_vars.items()):
                out.append(f"{prefix}_PD_{pd.name}_{key} := {value}")
        return "\n".join(out) + "\n"


def c_string(text):
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def c_value(value, depth):
    """A Python value as a C initialiser: dicts are structs (designated fields), lists arrays."""
    pad = "    " * (depth + 1)
    end_pad = "    " * depth
    if isinstance(value, C):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        # Addresses and sizes in hex, ids and counts in decimal, as a person writes them.
        return f"{value:#x}" if value >= PAGE else str(value)
    if isinstance(value, str):
        return c_string(value)
    if isinstance(value, dict):
        if not value:
            return "{0}"
        # An empty array is left out: the rest of a static initialiser is zero anyway.
        fields = [f"{pad}.{key} = {c_value(v, depth + 1)}," for key, v in value.items() if v != []]
        return "{\n" + "\n".join(fields) + f"\n{end_pad}}}"
    if isinstance(value, list):
        if not value:
            return "{0}"
        items = [f"{pad}{c_value(v, depth + 1)}," for v in value]
        return "{\n" + "\n".join(items) + f"\n{end_pad}}}"
    raise TypeError(f"no C form for {value!r}")
