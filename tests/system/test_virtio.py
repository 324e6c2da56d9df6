"""The seed system (examples/virtio), as far as it goes today: the driver VM boots Linux on
QEMU's virtio-blk (passed through), its block server serves the block virtualiser through the
UIO device and its doorbell, and the virtualiser reads the disk's MBR through it and gives
partition N to client N, or says why a client has no disk; all three guests reach their login
prompts. (The clients' own virtio block devices come with the rest of the example.)"""
import re

import pytest

from harness import make_disk, mbr_partitions

UNITS_PER_MIB = 256


def boot(console, disk):
    c = console("virtio", disk=disk, colour_blind=True)
    c.expect(r"blk_virt: waiting for the disk driver")
    return c


def served(c):
    """The driver VM's block server said what it serves (it prints once ready)."""
    assert re.search(r"blk-server: serving /dev/vda \(\d+ MiB, 512-byte sectors\) on /dev/uio0", c.raw_log()), \
        f"the block server never started; last console lines:\n{c.tail()}"


def test_driver_vm_serves_the_partitions_to_their_clients(console, tmp_path):
    disk = make_disk(tmp_path, "--size-mib", "64")
    parts = mbr_partitions(disk)
    c = boot(console, disk)
    for n in (1, 2):
        start, count = parts[n - 1]
        m = c.expect(rf"blk_virt: client {n}: partition {n}, (\d+) MiB \((\d+) sectors of 512 bytes\)")
        # The partition's length in whole 4 KiB units, in 512-byte sectors.
        assert int(m.group(2)) == count // 8 * 8, f"client {n}: {m.group(0)} for a partition of {count} sectors"
    for _ in range(3):
        c.expect(r"(client1|client2|blkdriver) login: ")
    served(c)


@pytest.mark.parametrize("defect, words", [
    ("misaligned", r"not a multiple of 8"),
    ("past-end", r"past the end of the disk"),
])
def test_a_refused_partition_is_named_and_the_other_client_keeps_its_disk(console, tmp_path, defect, words):
    disk = make_disk(tmp_path, "--size-mib", "64", "--defect", defect)
    c = boot(console, disk)
    text = ""
    for _ in range(2):
        m = c.expect(r"blk_virt: client (\d): ([^\r\n]*)\r*\n")
        text += m.group(0)
    assert re.search(r"client 1: partition 1, \d+ MiB", text), text
    assert re.search(rf"client 2: no disk: partition 2: refused, [^\n]*{words}", text), text
    c.expect(r"(client1|client2|blkdriver) login: ")


def test_no_partition_table_leaves_both_clients_without_a_disk(console, tmp_path):
    disk = make_disk(tmp_path, "--size-mib", "64", "--defect", "bad-signature")
    c = boot(console, disk)
    for n in (1, 2):
        c.expect(rf"blk_virt: client {n}: no disk: [^\r\n]*no MBR")
    for _ in range(3):
        c.expect(r"(client1|client2|blkdriver) login: ")
