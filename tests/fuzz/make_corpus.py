#!/usr/bin/env python3
"""Write the seed corpus of every fuzz harness: tests/fuzz/corpus/<name>/<seed>.

Each harness reads its input as a program of choices (tests/fuzz/fuzz.h); the seeds here are
written in that encoding, one scenario each, so that fuzzing starts from inputs that reach deep
(a started device moving data, a booted system making calls, a .system file the tool accepts)
instead of from nothing. They are small: the whole corpus stays well under 200 KiB.

Run it again after changing a harness's encoding: python3 tests/fuzz/make_corpus.py
(the FDT seeds use dtc, from Debian's device-tree-compiler, which the build installs).
"""
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


class Program:
    """An input in the harnesses' encoding: little-endian choices, one after another. `below(v, n)`
    writes v as fuzz_below(in, n) reads it (one byte for n <= 256, two for n <= 65536, else four);
    a race tail (the second stream of fuzz_split) is added at the end by split()."""

    def __init__(self):
        self.data = bytearray()

    def u8(self, v):
        self.data += struct.pack("<B", v & 0xff)
        return self

    def u16(self, v):
        self.data += struct.pack("<H", v & 0xffff)
        return self

    def u32(self, v):
        self.data += struct.pack("<I", v & 0xffffffff)
        return self

    def u64(self, v):
        self.data += struct.pack("<Q", v & 0xffffffffffffffff)
        return self

    def below(self, v, n):
        if n <= 256:
            return self.u8(v % n)
        if n <= 65536:
            return self.u16(v % n)
        return self.u32(v % n)

    def bytes(self, b):
        self.data += bytes(b)
        return self


def split(race, program):
    """fuzz_split: the first byte is the race tail's length, the tail comes last."""
    race = bytes(race)
    return bytes([len(race)]) + bytes(program.data) + race


def write(name, seeds):
    directory = os.path.join(HERE, "corpus", name)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    for seed, data in seeds.items():
        with open(os.path.join(directory, seed), "wb") as f:
            f.write(data)


# ---- mbr ----

def mbr_sector(entries, signature=True):
    sector = bytearray(512)
    for i, (ptype, start, sectors) in enumerate(entries):
        e = 446 + 16 * i
        sector[e + 4] = ptype
        sector[e + 8:e + 12] = struct.pack("<I", start)
        sector[e + 12:e + 16] = struct.pack("<I", sectors)
    if signature:
        sector[510:512] = b"\x55\xaa"
    return bytes(sector)


def mbr_seed(disk_sectors, choice, sector, text_size=120, unit=None):
    p = Program().u64(disk_sectors).u8(choice)
    if choice & 0x08:
        p.u32(unit)
    return bytes(p.bytes(sector).below(text_size, 300).data)


def mbr():
    return {
        "two-partitions": mbr_seed(131072, 0, mbr_sector([(0x0c, 2048, 63488), (0x0c, 65536, 63488)])),
        "four-partitions": mbr_seed(4008, 0, mbr_sector([(0x83, 8 + i * 1000, 992) for i in range(4)]), 40),
        "refusals": mbr_seed(4096, 0, mbr_sector([(0x05, 8, 8), (0x0c, 0, 8), (0x0c, 9, 800), (0x0c, 4000, 800)]), 7),
        "overlap": mbr_seed(8192, 0, mbr_sector([(0x0c, 8, 800), (0x0c, 400, 800), (0xee, 1, 100)]), 1),
        "no-signature": mbr_seed(8192, 0, mbr_sector([(0x0c, 8, 800)], signature=False)),
        "sector-4096": mbr_seed(1024, 3, mbr_sector([(0x0c, 1, 100), (0x0c, 101, 7)]), 299),
        "raw-unit": mbr_seed(1 << 40, 0x0c, mbr_sector([(0x0c, 3, 90)]), 60, unit=1536),
    }


# ---- virtio-mmio ----

REG = {name: i for i, name in enumerate([
    "MAGIC", "VERSION", "DEVICE_ID", "VENDOR", "DEVICE_FEATURES", "DEVICE_FEATURES_SEL", "DRIVER_FEATURES",
    "DRIVER_FEATURES_SEL", "QUEUE_SEL", "QUEUE_NUM_MAX", "QUEUE_NUM", "QUEUE_READY", "QUEUE_NOTIFY",
    "INTERRUPT_STATUS", "INTERRUPT_ACK", "STATUS", "DESC_LOW", "DESC_HIGH", "DRIVER_LOW", "DRIVER_HIGH",
    "DEVICE_LOW", "DEVICE_HIGH", "CONFIG_GENERATION", "CONFIG"])}


def mmio_read(p, reg):
    return p.u8(0x10).u8(REG[reg])


def mmio_write(p, reg, *value):
    p.u8(0x50).u8(REG[reg])
    for v in value:
        p.u8(v)
    return p


def mmio_queue(p, q, num_exp, page):
    mmio_write(p, "QUEUE_SEL", q)
    mmio_read(p, "QUEUE_NUM_MAX")
    mmio_write(p, "QUEUE_NUM", num_exp)
    for low, offset in (("DESC_LOW", 0), ("DRIVER_LOW", 0x80), ("DEVICE_LOW", 0x100)):
        mmio_write(p, low, 0).u16(page * 0x200 + offset)  # RAM_BASE + (n << 4), section 2.7 alignments
    for high in ("DESC_HIGH", "DRIVER_HIGH", "DEVICE_HIGH"):
        mmio_write(p, high, 0)
    mmio_write(p, "QUEUE_READY", 1)
    return mmio_read(p, "QUEUE_READY")


def mmio_start(p, queues):
    mmio_read(p, "MAGIC")
    mmio_read(p, "VERSION")
    mmio_write(p, "STATUS", 0)
    mmio_write(p, "STATUS", 1)
    mmio_write(p, "STATUS", 2)
    mmio_write(p, "DRIVER_FEATURES_SEL", 0)
    mmio_write(p, "DRIVER_FEATURES", 1)  # the features offered
    mmio_write(p, "DRIVER_FEATURES_SEL", 1)
    mmio_write(p, "DRIVER_FEATURES", 1)
    mmio_write(p, "STATUS", 3)
    mmio_read(p, "STATUS")
    for q in range(queues):
        mmio_queue(p, q, 4, q + 1)
    mmio_write(p, "STATUS", 4)
    return mmio_read(p, "STATUS")


def virtio_mmio():
    def device(queues, features=0x30000000000, config=8):
        p = Program().u8(3).u64(features).u8(queues).u8(7).below(config, 258)
        p.bytes(bytes(range(1, 1 + min(config, 16)))).u8(1)
        return p

    lifecycle = mmio_start(device(2), 2)
    mmio_write(lifecycle, "QUEUE_NOTIFY", 1)
    lifecycle.u8(0xf0)  # the device: a used buffer
    mmio_read(lifecycle, "INTERRUPT_STATUS")
    mmio_write(lifecycle, "INTERRUPT_ACK", 1)
    lifecycle.u8(0xf2)  # the device's configuration changed
    mmio_read(lifecycle, "CONFIG_GENERATION")
    lifecycle.u8(0x00).u8(REG["CONFIG"]).u8(3).u8(0)  # one byte of the configuration space
    lifecycle.u8(0xf1)  # a broken queue: NEEDS_RESET
    mmio_write(lifecycle, "STATUS", 0)

    wrong = mmio_start(device(1, config=0), 1)
    mmio_write(wrong, "QUEUE_NUM", 9)  # while ready
    mmio_write(wrong, "STATUS", 0x21)  # a step back with FAILED
    mmio_write(wrong, "STATUS", 2)
    wrong.u8(0x60).u8(0xe5).u16(0x1f3).u8(0xff).u32(0xdeadbeef)  # a register that is none
    mmio_write(wrong, "QUEUE_SEL", 7)
    mmio_read(wrong, "QUEUE_READY")

    features = device(8, features=(1 << 33) | 0xff)
    mmio_write(features, "STATUS", 1)
    mmio_write(features, "STATUS", 2)
    mmio_write(features, "DRIVER_FEATURES_SEL", 1)
    mmio_write(features, "DRIVER_FEATURES", 2).u64(1 << 40)  # more than offered
    mmio_write(features, "STATUS", 3)
    mmio_read(features, "STATUS")
    return {"lifecycle": bytes(lifecycle.data), "wrong-writes": bytes(wrong.data), "features": bytes(features.data)}


# ---- virtqueue ----

def vq_desc(p, index, buffer, length, flags, nxt, entries=16):
    """write_desc with plain fields: address in the buffers, length 1..256, flags 0..7."""
    p.u8(0).below(index, entries).u8(0).u16(buffer).u8(length - 1).u8(flags).below(nxt, entries)
    return p


def vq_take(p, direction, rounds, fill=0x11, hold=False):
    p.u8(5).u8(direction).u8(1).u8(rounds - 1)
    for _ in range(rounds):
        p.u8(fill).u8(1 if hold else 0)
    return p


def virtqueue():
    chains = Program().u8(4).u8(1)  # 16 entries, indirect tables negotiated
    vq_desc(chains, 0, 0x0, 16, 1, 1)
    vq_desc(chains, 1, 0x100, 64, 3, 2)
    vq_desc(chains, 2, 0x200, 1, 2, 0)
    chains.u8(2).u8(0)  # offer head 0
    vq_take(chains, 0, 2)
    vq_desc(chains, 3, 0x300, 8, 2, 0)
    chains.u8(2).u8(3)
    vq_take(chains, 2, 1, hold=True)
    chains.u8(7).u8(0)  # complete the held chain
    # an indirect table of two entries, then offered from descriptor 5
    chains.u8(4).u16(0x800).u8(1)
    chains.u8(0).u8(0).u16(0x400).u8(31).u8(1).u8(1)
    chains.u8(0).u8(1).u16(0x500).u8(31).u8(2).u8(0)
    chains.u8(1).u8(5)
    chains.u8(2).u8(5)
    vq_take(chains, 0, 1)

    bad = Program().u8(3).u8(0)  # 8 entries, no indirect
    vq_desc(bad, 0, 0x0, 16, 1, 0, 8)  # a loop
    vq_desc(bad, 1, 0x100, 16, 4, 0, 8)  # indirect, not negotiated
    vq_desc(bad, 2, 0x100, 16, 2, 3, 8).u8(0).u8(3).u8(3).u64(0x1000).u8(0).u8(0).u8(0)  # out of RAM
    for head in (0, 1, 2):
        bad.u8(2).u8(head)
    vq_take(bad, 1, 3)
    bad.u8(9).u8(0).u8(1).u8(1).u16(0x123)  # the rings move: the queue breaks
    vq_take(bad, 0, 1)
    bad.u8(10).u8(0)  # reset

    racing = Program().u8(1).u8(0)  # 2 entries
    vq_desc(racing, 0, 0x0, 16, 0, 0, 2)
    vq_desc(racing, 1, 0x0, 16, 4, 0, 2)  # bad
    racing.u8(2).u8(0).u8(2).u8(1)
    vq_take(racing, 0, 4)
    return {"chains": split(b"", chains), "bad-chains": split(b"", bad),
            "racing-guest": split(bytes([0, 4, 0, 8, 1, 1]), racing)}


# ---- virtio console ----

def virtio_console():
    def header(p, tx_exp=3, rx_exp=2, batching=0, num_exp=3):
        return p.u8(tx_exp).u8(rx_exp).u32(0xfffffff0).u32(7).u8(batching).u8(num_exp)

    session = header(Program())
    session.u8(0).u16(12).u8(2).u8(0).u8(1)  # a transmit chain of three 13-byte buffers, kicked
    session.u8(4).u16(1023)  # the TX virtualiser takes everything
    session.u8(2).u8(15).u8(1).u8(0).u8(1)  # a receive chain of two 16-byte buffers, kicked
    session.u8(6).u8(40)  # the RX virtualiser puts 41 bytes
    session.u8(2).u8(63).u8(0).u8(0).u8(1)
    session.u8(7)
    session.u8(4).u16(100)
    full = header(Program(), tx_exp=0, batching=1)  # tx holds 16 bytes: chains wait for room
    for _ in range(3):
        full.u8(0).u16(40).u8(1).u8(0).u8(1)
    full.u8(4).u16(5).u8(4).u16(30).u8(7).u8(4).u16(1000)
    bad = header(Program())
    for kind in range(4):
        bad.u8(3 + (0x10 if kind % 2 else 0)).u8(kind)
    bad.u8(10).u8(0).u8(1).u8(2)  # an interrupt acknowledgement
    bad.u8(9).u8(2)  # reset and start again
    bad.u8(0).u16(8).u8(0).u8(0).u8(1)
    bad.u8(4).u16(100)
    racing = header(Program())
    racing.u8(2).u8(7).u8(0).u8(0).u8(0)
    racing.u8(0).u16(100).u8(0).u8(0).u8(1)
    racing.u8(6).u8(20)
    return {"session": split(b"", session), "tx-full": split(b"", full), "bad-chains": split(b"", bad),
            "racing-peers": split(bytes([0, 8, 0, 0x40, 0, 16, 0]), racing)}


# ---- virtio block ----

IN, OUT, FLUSH, GET_ID = 0, 2, 4, 5  # the harness's type choices (shape % 8)


def blk_request(p, shape, sector, sectors, pieces=0, status_apart=1, data_segs=0, indirect=0, kick=1):
    p.u8(shape)
    if shape & 0x80:
        p.u64(sector)
    else:
        p.u8(sector)
    p.u8(sectors)
    p.u8(status_apart)
    p.u8(pieces)
    if pieces:
        p.u8(7)  # the header in 8 + 8
    p.u8(data_segs)
    for _ in range(data_segs):
        p.u16(100)  # data pieces of 101 bytes, the last the rest
    p.u8(indirect).u8(kick)
    return p


def virtio_blk():
    def start(p, indirect=1):
        return p.u8(2).u8(12).u8(0).u8(0).u8(indirect).u8(5)  # queue 16, 16 data units, disk ready

    rw = start(Program())
    blk_request(rw, OUT, 10, 1)  # one sector inside a unit: read-modify-write
    blk_request(rw, IN, 8, 8, data_segs=1)
    blk_request(rw, FLUSH, 0, 0)
    blk_request(rw, GET_ID, 0, 1)
    for _ in range(6):
        rw.u8(4).u8(7).u8(5).u8(0).u8(0)  # the virtualiser takes and answers
    ooo = start(Program(), indirect=0)
    blk_request(ooo, OUT, 0, 16)
    blk_request(ooo, OUT, 4, 4)
    blk_request(ooo, IN, 2, 8)
    ooo.u8(4).u8(7)
    for k in range(4):
        ooo.u8(5).u8(0).u8(3 - k)  # answered last first
    ooo.u8(4).u8(7).u8(5).u8(0).u8(0).u8(5).u8(0xff).u8(0)  # one of them an error
    bad = Program().u8(0).u8(0).u8(0xff).u8(0).u8(3)  # the disk appears later
    blk_request(bad, IN, 0, 1)  # before the disk: IOERR
    bad.u8(8).u8(0)
    blk_request(bad, 6, 0, 0)  # a type nobody knows
    blk_request(bad, 0x80 | IN, 1 << 60, 1)  # past the end
    blk_request(bad, 0x40 | IN, 3, 1).u8(1).u16(17)  # not whole sectors
    bad.u8(7).u8(1).u16(99)  # an answer nobody asked for
    bad.u8(0x19).u8(0).u8(2)  # reset and start again
    blk_request(bad, OUT, 120, 8)
    return {"read-write": bytes(rw.data), "out-of-order": bytes(ooo.data), "bad-requests": bytes(bad.data)}


# ---- block virtualiser ----

def blk_virt():
    def disk(p, entries):
        p.u8(0x80)
        for kind, start, sectors in entries:
            p.u8(kind).u8(start).u8(sectors)
        return p.u8(0)

    two = disk(Program(), [(0x01, 1, 10), (0x01, 16, 16), (0x00, 0, 0), (0x00, 0, 0)])
    two.u8(1).u8(3).u8(0).u8(0)  # two clients, queues of 8, the disk at once (512-byte sectors)
    two.u8(3).u8(0).u8(4).u8(0).u8(0)  # the MBR read, answered
    two.u8(0x00).u8(2).u8(0).u8(3).u8(0)  # client 1 writes 1 unit at block 3
    two.u8(0x10).u8(0).u8(1).u8(5).u8(2)  # client 2 reads 2 units
    two.u8(0x10).u8(4)  # a flush
    two.u8(0x00).u8(0x11).u8(1).u8(200).u8(0)  # past the partition
    for _ in range(4):
        two.u8(3).u8(7).u8(4).u8(0).u8(0)
    two.u8(2).u8(7).u8(0x12).u8(7)
    raw = Program().u8(0x10).bytes(mbr_sector([(0x0c, 8, 64), (0x0c, 64, 64), (0x0c, 32, 64), (0x0f, 0, 0)]))
    raw.u8(3).u8(1).u8(0).u8(0x43)  # four clients, queue depth 4
    raw.u8(3).u8(0).u8(4).u8(0xf0).u8(0).u8(3).u8(0).u8(4).u8(0).u8(0)  # the MBR read fails once
    raw.u8(0x05).u32(5).u8(0).u32(1)  # a bogus answer
    for c in range(4):
        raw.u8(c << 4).u8(0).u8(0).u8(1).u8(0)
    for _ in range(4):
        raw.u8(3).u8(7).u8(4).u8(0xff).u8(0)
    late = disk(Program(), [(0x01, 1, 23), (0x00, 0, 0), (0x00, 0, 0), (0x00, 0, 0)])
    late.u8(0).u8(0xff).u8(0x20)  # one client; the disk comes later, with information that does not check
    late.u8(6).u8(0x20).u8(0x10).u8(4)
    return {"two-partitions": bytes(two.data), "raw-table": bytes(raw.data), "late-disk": bytes(late.data)}


# ---- serial queue ----

def serial_queue():
    basic = Program().u8(5).u32(0xfffffff8).u8(0)  # capacity 32, indices about to wrap
    for op, n in ((0, 20), (2, 7), (0, 40), (4, 9), (5, 9), (6, 3), (7, 11), (8, 30), (9, 0), (10, 0), (11, 0),
                  (12, 0), (13, 0), (2, 60)):
        basic.u8(op).u8(n)
        if op == 7:
            basic.u8(4)
        if op == 8:
            basic.u8(2).u8(5)
    tiny = Program().u8(0).u32(0).u8(0)  # capacity 1
    for op in (0, 0, 2, 4, 5, 6, 7, 8, 2):
        tiny.u8(op).u8(1)
        if op == 7:
            tiny.u8(0)
        if op == 8:
            tiny.u8(0).u8(1)
    hostile = Program().u8(4).u32(100).u8(0xff)
    for op in (0, 2, 0, 9, 2, 4, 5):
        hostile.u8(op).u8(10)
    return {"basic": split(bytes([0, 12, 0, 1, 4, 0]), basic), "capacity-1": split(b"", tiny),
            "hostile-peer": split(bytes([4, 8, 0x55, 0x55, 0, 0x0c, 0x80]), hostile)}


# ---- serial virtualisers ----

WORDS = ["a", "hello", " ", "\n", "\r\n", "\x1b[1;31m", "\x1b[0m", "\x1b[", "\x1b]0;title\x07", "\x1b]0;t",
         "\x1bP", "\x1b\\", "\x1b(B", "\x1b", "[", "m", "7", ";", "\x07", "\xc3\xa9", "\xe2\x82\xac",
         "\xf0\x9f\x98\x80", "\xc3", "\xe2\x82", "\x80", "\xe5", "\xff", "\xf0\x9f", "@", "0"]


def tx_write(p, client, words):
    p.u8((client << 2) | 0).u8(len(words) - 1)
    for w in words:
        p.u8(WORDS.index(w))
    return p


def serial_tx():
    def header(p, count, notice=0, clients_exp=3, driver_exp=1):
        p.u8(driver_exp).u8(count - 1).u8(notice).u8(0)
        for i in range(count):
            p.u8(clients_exp).u32(0xffffff00 + i)
        return p

    mix = header(Program(), 3, notice=1)
    tx_write(mix, 0, ["hello", " ", "\x1b[1;31m", "a", "\x1b[0m", "\n"])
    tx_write(mix, 1, ["\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\r\n"])
    tx_write(mix, 2, ["hello", "\n"])
    mix.u8(3).u8(2).u16(300).u8(3).u8(2).u16(1000)
    cut = header(Program(), 2, driver_exp=0)
    tx_write(cut, 0, ["\x1b]0;t", "hello", "\x07", "\x1b[", "7", "m"])
    tx_write(cut, 1, ["\xe2\x82", "\xc3", "a", "\x80"])
    cut.u8(3).u8(2).u16(20).u8(3).u8(2).u16(500)
    full = header(Program(), 8, driver_exp=0)
    for c in range(8):
        tx_write(full, c, ["hello"] * 4 + ["\n"])
    for _ in range(6):
        full.u8(3).u8(2).u16(64)
    return {"colours": split(b"", mix), "cut-points": split(b"", cut),
            "eight-clients": split(bytes([0, 0x80, 0, 0x08, 1, 0x80, 0]), full)}


def serial_rx():
    def header(p, count, sw=0, mode=0, driver_exp=3, client_exp=1, patience=None):
        p.u8(sw).u8(count - 1).u8(mode)
        if mode & 1:
            p.u16(patience)
        p.u8(driver_exp).u32(0xfffffffa)
        if not mode & 2:
            p.u8(5).u32(3)
        for i in range(count):
            p.u8(client_exp).u32(i * 1000)
        return p

    def typed(p, text):
        alphabet = "@@@@12345678909abc\r\n \x1b[A?#"
        p.u8(0).u8(len(text) - 1)
        for ch in text:
            if ch in alphabet:
                p.u8(alphabet.index(ch))
            else:
                p.u8(0xe0).u8(ord(ch))  # any byte
        return p

    switches = header(Program(), 3)
    typed(switches, "ab@2cd@1e@@f@9x@3\r\n")
    switches.u8(2).u8(5)
    for c in range(3):
        switches.u8(3 | (c << 3)).u16(200)
    switches.u8(2).u8(5)
    slow = header(Program(), 2, mode=1, patience=2000, client_exp=0)
    typed(slow, "0123456789abc0123456789abc@2ok")
    slow.u8(2).u8(4).u8(0).u16(3000).u8(2).u8(3).u16(50).u8(2).u8(5)
    return {"switches": split(b"", switches), "slow-client": split(b"", slow),
            "racing": split(bytes([0, 0x80, 0, 8, 0x88, 3]), header(Program(), 2).u8(2))}


# ---- mksystem ----

def pd_elf():
    """A minimal AArch64 executable with the symbols mksystem patches: code at 0x200000, data at
    0x201000 with microkit_name and friends, and one u64 in .bss."""
    text_off, data_off = 0x100, 0x140
    text = b"\x1f\x20\x03\xd5" * 4  # nop
    symbols = [("microkit_name", 0, 64), ("microkit_passive", 64, 1), ("microkit_irqs", 72, 8),
               ("microkit_notifications", 80, 8), ("microkit_pps", 88, 8), ("region_vaddr", 96, 8),
               ("region_paddr", 104, 8), ("region_size", 112, 8), ("region_table", 120, 24)]
    data = bytearray(144)
    strtab = bytearray(b"\0")
    symtab = bytearray(24)  # the null symbol
    for name, offset, size in symbols + [("in_bss", 144, 8)]:
        name_at = len(strtab)
        strtab += name.encode() + b"\0"
        symtab += struct.pack("<IBBHQQ", name_at, 0x11, 0, 2, 0x201000 + offset, size)
    symtab_off = data_off + len(data)
    strtab_off = symtab_off + len(symtab)
    shoff = (strtab_off + len(strtab) + 7) & ~7
    phnum, shnum = 2, 3
    header = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    header += struct.pack("<HHIQQQIHHHHHH", 2, 183, 1, 0x200000, 64, shoff, 0, 64, 56, phnum, 64, shnum, 0)
    phdrs = struct.pack("<IIQQQQQQ", 1, 5, text_off, 0x200000, 0x200000, len(text), len(text), 0x1000)
    phdrs += struct.pack("<IIQQQQQQ", 1, 6, data_off, 0x201000, 0x201000, len(data), len(data) + 8, 0x1000)
    image = bytearray(header + phdrs)
    image += bytes(text_off - len(image)) + text
    image += bytes(data_off - len(image)) + data + symtab + strtab
    image += bytes(shoff - len(image))
    image += bytes(64)  # the null section
    image += struct.pack("<IIQQQQIIQQ", 0, 2, 0, 0, symtab_off, len(symtab), 2, 1, 8, 24)
    image += struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, strtab_off, len(strtab), 0, 0, 1, 0)
    return bytes(image)


def mksystem():
    elf = pd_elf()
    with open(os.path.join(HERE, "..", "mksystem", "good", "layout.system"), "rb") as f:
        layout = f.read()
    small = b"""<system>
  <memory_region name="buf" size="0x1000" />
  <protection_domain name="a" priority="10">
    <program_image path="pd.elf" />
    <map mr="buf" vaddr="0x30000000" setvar_vaddr="region_vaddr" setvar_size="region_table[1]" />
    <irq irq="40" id="3" />
  </protection_domain>
  <protection_domain name="b" priority="20" budget="100" period="200">
    <program_image path="pd.elf" />
  </protection_domain>
  <channel><end pd="a" id="1" pp="true" /><end pd="b" id="2" /></channel>
</system>
"""
    vm = b"""<system>
  <memory_region name="ram" size="0x200000" page_size="0x200000" />
  <memory_region name="uart" size="0x1000" phys_addr="0x9000000" />
  <protection_domain name="vmm" priority="100">
    <program_image path="pd.elf" />
    <map mr="ram" vaddr="0x40000000" setvar_vaddr="region_table[0]" />
    <virtual_machine name="linux" priority="90">
      <vcpu id="0" /><vcpu id="1" />
      <map mr="ram" vaddr="0x40000000" perms="rwx" />
      <map mr="uart" vaddr="0x9000000" perms="rw" cached="false" />
    </virtual_machine>
    <protection_domain name="helper" priority="80" id="5"><program_image path="pd.elf" /></protection_domain>
  </protection_domain>
</system>
"""
    return {"layout": layout + b"\0" + elf, "small": small + b"\0" + elf, "vm": vm + b"\0" + elf,
            "no-image": small}


# ---- FDT ----

DTS = ('/dts-v1/; / { #address-cells = <2>; #size-cells = <2>; compatible = "linux,dummy-virt"; '
       'chosen { bootargs = "old"; }; '
       'memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x1000000>; }; '
       'cpus { #address-cells = <1>; #size-cells = <0>; cpu@0 { device_type = "cpu"; reg = <0>; }; }; '
       'soc { uart@9000000 { status = "okay"; }; }; };')


def fdt():
    blob = subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", "-", "-"], input=DTS.encode(),
                          stdout=subprocess.PIPE, check=True).stdout

    def seed(extra, edits):
        p = Program().u16(len(blob)).u16(extra).bytes(blob)
        for path, name, read, length in edits:
            p.u8(path).u8(name).u8(read).u16(length)
        return bytes(p.data)

    # The VMM's edits (vmm.c): memory's reg, bootargs, the initrd range; then reads.
    vmm = seed(1024, [(1, 3, 0x80, 16), (0, 0, 0x80, 40), (0, 1, 0x80, 8), (0, 2, 0x80, 8), (0, 0, 0x80, 300),
                      (3, 4, 0x80, 9)])
    tight = seed(8, [(0, 0, 0x80, 64), (2, 8, 0x80, 4), (5, 6, 0x80, 0)])
    return {"vmm-edits": vmm, "no-room": tight, "reads": seed(64, [(0, 0, 0, 0), (1, 5, 0, 0), (6, 4, 0, 0)])}


# ---- kernel ----

def patch(p, kind, index, offset, data):
    """fk_patch: a part of the image, an offset in it, bytes there."""
    sizes = {0: None, 1: 876, 3: 88, 4: 4, 5: 32, 7: 16}
    p.u8(kind)
    if kind in (1, 3, 4, 5, 7):
        limit = {1: 8, 3: 4, 4: 8, 5: 16, 7: 4}[kind]
        p.u8(index % limit)
    size = sizes[kind] if kind != 0 else 40
    p.below(offset, size).u8(len(data) - 1).bytes(data)
    return p


def sysimage():
    seeds = {"base": b""}
    seeds["bad-magic"] = bytes(patch(Program(), 0, 0, 0, b"\x00").data)
    seeds["map-misaligned"] = bytes(patch(Program(), 5, 1, 8, b"\x01\x10").data)
    seeds["pd-count-5"] = bytes(patch(Program(), 0, 0, 16, b"\x05").data)
    seeds["channel-cut"] = bytes(patch(Program(), 1, 1, 80 + 8 * 2, b"\x00").data)
    seeds["more-maps"] = bytes(patch(patch(Program(), 0, 0, 28, b"\x0c"), 5, 11, 0, b"\x00\x00\x00\x10").data)
    return seeds


def syscall():
    def calls(*steps):
        p = Program().u8(1)  # no patches
        for step in steps:
            p.bytes(step)
        return bytes(p.data)

    def call(number, x0=0, x1=0, x2=0, wide=()):
        s = Program().u8(0).u8(number)
        for x in (x0, x1, x2):
            s.u8(0).u8(x)  # an id below 70
        for _ in range(4):
            s.u64(0)
        return bytes(s.data)

    return {
        "notify-and-ack": calls(call(3, 2), call(4, 8), call(3, 1), call(2, 1), b"\xa1\x01", call(4, 8)),
        "ppc": calls(call(0), call(5, 1), call(1, 0, 2), call(0)),
        "children": calls(call(0), call(0), call(6, 1, 0, 0), call(6, 4, 1), call(7, 4, 10), call(8, 4, 1, 3),
                          call(9, 1, 5), call(11, 1, 0), b"\x80\x01\x00", call(12, 3, 27)),
        "time-and-faults": calls(b"\xd0\x01\xe8\x03", call(17), b"\x90\x00\x00", call(16, 40), call(14, 65),
                                 call(13, 1), b"\xd1\x00\x00\x10\x00\x00"),
    }


def main():
    builders = {"mbr": mbr, "virtio_mmio": virtio_mmio, "virtqueue": virtqueue, "virtio_console": virtio_console,
                "virtio_blk": virtio_blk, "blk_virt": blk_virt, "serial_queue": serial_queue, "serial_tx": serial_tx,
                "serial_rx": serial_rx, "mksystem": mksystem, "fdt": fdt, "sysimage": sysimage, "syscall": syscall}
    only = sys.argv[1:] or list(builders)
    for name in only:
        write(name, builders[name]())
    total = 0
    for root, _, files in os.walk(os.path.join(HERE, "corpus")):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print(f"corpus: {total} bytes")


if __name__ == "__main__":
    main()
