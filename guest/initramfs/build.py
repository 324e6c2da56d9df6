#!/usr/bin/env python3
"""Build a guest initramfs (cpio "newc" + gzip) without root: BusyBox from Debian's
busybox-static:arm64, the common tree, one role's tree and any extra files (programs other
layers build for that role). Deterministic: fixed owners and times, sorted entries, so the same
inputs give the same bytes.

    build.py ROLE OUTPUT.cpio.gz [--file HOST_PATH:IMAGE_PATH ...]
"""
import argparse
import gzip
import os
import stat
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUSYBOX = "/bin/busybox"

# Applets that live in /sbin (the rest go to /bin); PATH has both, the split is only custom.
SBIN_APPLETS = {"init", "getty", "halt", "poweroff", "reboot", "mdev", "sulogin", "switch_root", "pivot_root",
                "mkdosfs", "mke2fs", "fdisk", "blockdev", "sysctl", "losetup", "swapon", "swapoff", "klogd",
                "syslogd", "hwclock", "ifconfig", "route", "ip", "partprobe", "devmem"}
# What our inittab and scripts run: the build fails if this BusyBox lacks any of them.
NEEDED_APPLETS = {"sh", "init", "getty", "login", "mount", "umount", "hostname", "cat", "grep", "mkdir", "sync",
                  "poweroff", "reboot", "echo", "ls", "tr", "sed"}


class Cpio:
    """An in-memory cpio archive in the "newc" format the kernel unpacks (see the kernel's
    Documentation/driver-api/early-userspace/buffer-format.rst)."""

    def __init__(self):
        self.entries = {}

    def add(self, path, mode, data=b"", rdev=(0, 0)):
        # A later entry of the same path replaces an earlier one (a role file overrides common).
        self.entries[path.strip("/")] = (mode, data, rdev)

    def dir(self, path):
        self.add(path, stat.S_IFDIR | 0o755)

    def file(self, path, data, executable=False):
        self.add(path, stat.S_IFREG | (0o755 if executable else 0o644), data)

    def symlink(self, path, target):
        self.add(path, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, path, major, minor):
        self.add(path, stat.S_IFCHR | 0o600, b"", (major, minor))

    @staticmethod
    def _pad(n):
        return b"\0" * ((4 - n % 4) % 4)

    @staticmethod
    def _record(inode, name, mode, data, rdev):
        name = name.encode() + b"\0"
        nlink = 2 if stat.S_ISDIR(mode) else 1
        # ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
        fields = [inode, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name), 0]
        header = ("070701" + "".join(f"{f:08x}" for f in fields)).encode()
        return header + name + Cpio._pad(len(header) + len(name)) + data + Cpio._pad(len(data))

    def bytes(self):
        out = bytearray()
        # Sorted, so every directory comes before what it holds.
        for inode, name in enumerate(sorted(self.entries), start=1):
            mode, data, rdev = self.entries[name]
            out += self._record(inode, name, mode, data, rdev)
        out += self._record(0, "TRAILER!!!", 0, b"", (0, 0))
        return bytes(out)


def busybox_applets(binary):
    """The applet names compiled into a BusyBox binary. It cannot run here (it is arm64), so read
    its name table: all names, NUL-separated and sorted, starting with "[" and "[["."""
    start = binary.find(b"[\0[[\0")
    if start < 0:
        return []
    names = []
    for raw in binary[start:start + 8192].split(b"\0"):
        if not raw or not all(0x21 <= c < 0x7F and c != ord("/") for c in raw):
            break
        names.append(raw.decode())
    return names if names == sorted(names) else []


def add_tree(cpio, root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        if rel != ".":
            cpio.dir(rel)
        for name in sorted(filenames):
            src = os.path.join(dirpath, name)
            with open(src, "rb") as f:
                cpio.file(os.path.normpath(os.path.join(rel, name)), f.read(), os.access(src, os.X_OK))


def add_parents(cpio, path):
    parts = path.strip("/").split("/")[:-1]
    for i in range(1, len(parts) + 1):
        parent = "/".join(parts[:i])
        if parent not in cpio.entries:
            cpio.dir(parent)


def main():
    roles = sorted(os.listdir(os.path.join(HERE, "roles")))
    parser = argparse.ArgumentParser(description="Build a Tessera guest initramfs.")
    parser.add_argument("role", choices=roles)
    parser.add_argument("output")
    parser.add_argument("--file", action="append", default=[], metavar="HOST_PATH:IMAGE_PATH",
                        help="also put HOST_PATH at IMAGE_PATH (absolute) in the image, executable if it is")
    args = parser.parse_args()

    with open(BUSYBOX, "rb") as f:
        busybox = f.read()
    if busybox[:4] != b"\x7fELF" or busybox[18:20] != b"\xb7\x00":
        sys.exit(f"initramfs: {BUSYBOX} is not the arm64 BusyBox (install busybox-static:arm64)")
    applets = busybox_applets(busybox)
    missing = sorted(NEEDED_APPLETS - set(applets))
    if not applets or missing:
        sys.exit(f"initramfs: {BUSYBOX} lacks the applets {', '.join(missing) or '(none found)'}")

    cpio = Cpio()
    for d in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "mnt", "root", "etc"]:
        cpio.dir(d)
    # The kernel opens /dev/console for init before anything mounts devtmpfs.
    cpio.chardev("dev/console", 5, 1)
    cpio.chardev("dev/null", 1, 3)
    cpio.file("bin/busybox", busybox, executable=True)
    for applet in applets:
        if applet in ("busybox", "linuxrc"):
            continue
        if applet in SBIN_APPLETS:
            cpio.symlink(f"sbin/{applet}", "../bin/busybox")
        else:
            cpio.symlink(f"bin/{applet}", "busybox")
    cpio.symlink("init", "sbin/init")
    add_tree(cpio, os.path.join(HERE, "common"))
    add_tree(cpio, os.path.join(HERE, "roles", args.role))
    for spec in args.file:
        host_path, sep, image_path = spec.partition(":")
        if not sep or not image_path.startswith("/"):
            sys.exit(f"initramfs: --file wants HOST_PATH:/IMAGE_PATH, got '{spec}'")
        try:
            with open(host_path, "rb") as f:
                data = f.read()
        except OSError as error:
            sys.exit(f"initramfs: cannot read {host_path}: {error.strerror}")
        add_parents(cpio, image_path)
        cpio.file(image_path, data, os.access(host_path, os.X_OK))

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(gzip.compress(cpio.bytes(), compresslevel=9, mtime=0))
    os.replace(tmp, args.output)


if __name__ == "__main__":
    main()
