"""Builds per board: every board builds into its own folder (build/<board>/), so an object
compiled against one board's board.h is never linked into another board's image. `make test`
builds every board; here the kernels of QEMU virt and the Odroid-C4 are compared object by
object where board.h is used."""
import glob
import os

from harness import BUILD

BUILD_ROOT = os.path.dirname(BUILD)


def objects_using_board_h(board):
    """Objects of the kernel and mksystem whose dependency files name the board's board.h."""
    root = os.path.join(BUILD_ROOT, board)
    found = []
    for dep in glob.glob(os.path.join(root, "kernel", "**", "*.d"), recursive=True) + \
            glob.glob(os.path.join(root, "host", "tools", "mksystem", "*.d")):
        with open(dep) as f:
            if f"boards/{board}/board.h" in f.read():
                found.append(os.path.relpath(dep[:-2] + ".o", root))
    return found


def test_board_dependent_objects_differ_between_boards():
    qemu, odroid = "qemu_virt_aarch64", "odroidc4"
    for board in (qemu, odroid):
        assert os.path.exists(os.path.join(BUILD_ROOT, board, "kernel", "kernel.elf")), \
            f"the {board} kernel is not built (make test builds every board)"
    shared = [o for o in objects_using_board_h(qemu) if os.path.exists(os.path.join(BUILD_ROOT, odroid, o))]
    # The portable core, the GIC and MMU code, and mksystem's layout all read board.h.
    for expected in ("kernel/core/boot.o", "kernel/arch/aarch64/mmu.o", "host/tools/mksystem/layout.o"):
        assert expected in shared, f"{expected} is not built for both boards from board.h"
    same = []
    for obj in shared:
        with open(os.path.join(BUILD_ROOT, qemu, obj), "rb") as a, open(os.path.join(BUILD_ROOT, odroid, obj), "rb") as b:
            if a.read() == b.read():
                same.append(obj)
    assert not same, f"objects built from board.h are identical for both boards (built once for both?): {same}"
    # And each board's objects name their own board.h only.
    for board, other in ((qemu, odroid), (odroid, qemu)):
        for dep in glob.glob(os.path.join(BUILD_ROOT, board, "**", "*.d"), recursive=True):
            with open(dep) as f:
                assert f"boards/{other}/" not in f.read(), f"{dep} depends on {other}'s board files"
