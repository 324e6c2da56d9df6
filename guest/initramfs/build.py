#!/usr/bin/env python3
"""Build a guest initramfs (cpio "newc" + gzip) without root: BusyBox from Debian's
busybox-static:arm64, the common tree and one role's tree. Deterministic: fixed owners and
times, sorted entries, so the same inputs give the same bytes.

    build.py ROLE OUTPUT.cpio.gz
"""
import gzip
import os
import stat
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BUSYBOX = "/bin/busybox"

# Applets linked into /bin or /sbin (the arm64 busybox cannot be run here to list them).
BIN_APPLETS = """sh ash cat chmod cp cut date dd df dmesg du echo env false grep head hostname kill ln ls
    mkdir mknod more mount mv od printf ps pwd readlink rm rmdir sed seq sleep sort stty sync tail tee
    test touch tr true umount uname vi wc which xargs yes md5sum sha256sum cmp diff find awk hexdump
    free uptime clear login setsid cttyhack""".split()
SBIN_APPLETS = "init getty halt poweroff reboot mdev fsck.vfat mkfs.vfat".split()


class Cpio:
    def __init__(self):
        self.entries = []
        self.inode = 1

    def add(self, path, mode, data=b"", rdev=(0, 0)):
        self.entries.append((path.lstrip("/"), mode, data, rdev))

    def dir(self, path):
        self.add(path, stat.S_IFDIR | 0o755)

    def file(self, path, data, executable=False):
        self.add(path, stat.S_IFREG | (0o755 if executable else 0o644), data)

    def symlink(self, path, target):
        self.add(path, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, path, major, minor):
        self.add(path, stat.S_IFCHR | 0o600, b"", (major, minor))

    def _header(self, name, mode, size, rdev, nlink):
        fields = [self.inode, mode, 0, 0, nlink, 0, size, 0, 0, rdev[0], rdev[1], len(name) + 1, 0]
        self.inode += 1
        return ("070701" + "".join(f"{f:08x}" for f in fields)).encode()

    @staticmethod
    def _pad(n):
        return b"\0" * ((4 - n % 4) % 4)

    def bytes(self):
        out = bytearray()
        for name, mode, data, rdev in sorted(self.entries):
            nlink = 2 if stat.S_ISDIR(mode) else 1
            header = self._header(name.encode(), mode, len(data), rdev, nlink)
            out += header + name.encode() + b"\0"
            out += self._pad(len(header) + len(name) + 1)
            out += data + self._pad(len(data))
        trailer = self._header(b"TRAILER!!!", 0, 0, (0, 0), 1)
        out += trailer + b"TRAILER!!!\0" + self._pad(len(trailer) + 11)
        return bytes(out)


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


def main():
    role, output = sys.argv[1], sys.argv[2]
    role_dir = os.path.join(HERE, "roles", role)
    if not os.path.isdir(role_dir):
        sys.exit(f"initramfs: unknown role '{role}' (roles: {', '.join(sorted(os.listdir(os.path.join(HERE, 'roles'))))})")
    with open(BUSYBOX, "rb") as f:
        busybox = f.read()
    if busybox[:4] != b"\x7fELF" or busybox[18:20] != b"\xb7\x00":
        sys.exit(f"initramfs: {BUSYBOX} is not the arm64 BusyBox (install busybox-static:arm64)")
    cpio = Cpio()
    for d in ["bin", "sbin", "usr", "usr/bin", "usr/sbin", "dev", "proc", "sys", "tmp", "mnt", "root", "etc",
              "etc/init.d"]:
        cpio.dir(d)
    cpio.chardev("dev/console", 5, 1)
    cpio.chardev("dev/null", 1, 3)
    cpio.file("bin/busybox", busybox, executable=True)
    for applet in BIN_APPLETS:
        cpio.symlink(f"bin/{applet}", "busybox")
    for applet in SBIN_APPLETS:
        cpio.symlink(f"sbin/{applet}", "../bin/busybox")
    cpio.symlink("init", "sbin/init")
    add_tree(cpio, os.path.join(HERE, "common"))
    add_tree(cpio, role_dir)
    seen = {}
    for entry in cpio.entries:  # a role file replaces a common one of the same path
        seen[entry[0]] = entry
    cpio.entries = list(seen.values())
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    tmp = output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(gzip.compress(cpio.bytes(), compresslevel=9, mtime=0))
    os.replace(tmp, output)


if __name__ == "__main__":
    main()
