#!/usr/bin/env python3
"""`make bench`: Tessera's benchmarks. Each prints its measurement next to a baseline or target
run in the same invocation; ratios, not absolute times, are what compare across machines.

Kernel IPC costs are counted in instructions: QEMU's `-icount shift=0` advances virtual time one
nanosecond per instruction, so counter ticks * (1e9 / counter frequency) / iterations is the
number of instructions one operation takes (kernel and both PDs' user code included).
"""
import argparse
import os
import re
import subprocess
import sys

KERNEL_BENCHES = [
    # (test system, regex over its console, what one iteration is, target instructions)
    ("pingpong", r"ping: (\d+) round trips in (\d+) counter ticks at (\d+) Hz", "notification round trip", 1000),
    ("ppc", r"client: (\d+) calls in (\d+) counter ticks at (\d+) Hz", "PPC round trip", 800),
    ("vm", r"vmm: (\d+) MMIO reads in (\d+) counter ticks at (\d+) Hz", "VM MMIO exit handled by its VMM", 2000),
]


def run_icount(image, timeout=300):
    cmd = ["qemu-system-aarch64", "-machine", "virt,virtualization=on,secure=off", "-cpu", "cortex-a53",
           "-m", "2G", "-nographic", "-serial", "mon:stdio", "-no-reboot", "-nic", "none",
           "-icount", "shift=0", "-kernel", image]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace", timeout=timeout)
    return proc.stdout


def kernel_benches(build_dir):
    print("Kernel IPC (instructions per operation, QEMU -icount shift=0, cortex-a53, GICv2)")
    print(f"  {'operation':36} {'measured':>10} {'target':>8}  result")
    ok = True
    for name, pattern, what, target in KERNEL_BENCHES:
        image = os.path.join(build_dir, "tests", "kernel", name, "system.elf")
        output = run_icount(image)
        match = re.search(pattern, output)
        if match is None:
            print(f"  {what:36} {'no result':>10} {target:>8}  FAILED: console tail:\n{output[-1500:]}")
            ok = False
            continue
        iterations, ticks, frequency = (int(x) for x in match.groups())
        per_op = ticks * (1e9 / frequency) / iterations
        verdict = "meets target" if per_op < target else "ABOVE target"
        print(f"  {what:36} {per_op:10.0f} {target:8d}  {verdict} ({per_op / target:.2f} x target)")
    return ok


def boot_time(build_dir, example, prompts, disk):
    """Seconds from starting QEMU to the last of the login prompts (each seen once, any order)."""
    import pexpect
    import time
    env = dict(os.environ, TESSERA_DISK=disk)
    start = time.monotonic()
    child = pexpect.spawn(os.path.join(build_dir, "examples", example, "run.sh"), env=env, encoding="utf-8",
                          codec_errors="replace", timeout=300)
    try:
        waiting = list(prompts)
        while waiting:
            waiting.pop(child.expect(waiting))
        return time.monotonic() - start
    finally:
        child.terminate(force=True)


def boot_benches(build_dir, rounds=3):
    import statistics
    import tempfile
    print("Boot to login prompt (seconds, host wall clock, median of %d, runs interleaved)" % rounds)
    seed = [r"client1 login: ", r"client2 login: "]
    with tempfile.TemporaryDirectory() as tmp:
        disk = sparse_copy(os.path.join(build_dir, "disk.img"), tmp)
        times = {"baseline": [], "simple": [], "virtio": []}
        for _ in range(rounds):
            times["baseline"].append(boot_time(build_dir, "baseline", ["baseline login:"], disk))
            times["simple"].append(boot_time(build_dir, "simple", ["guest login:"], disk))
            times["virtio"].append(boot_time(build_dir, "virtio", seed, disk))
    base = statistics.median(times["baseline"])
    simple = statistics.median(times["simple"])
    seed_time = statistics.median(times["virtio"])
    ratio = simple / base
    seed_ratio = seed_time / base
    print(f"  baseline (Linux directly on QEMU)                 {base:6.2f}")
    print(f"  simple (Linux in a VM on Tessera)                 {simple:6.2f}   ratio {ratio:.2f} (goal under 1.5): "
          f"{'meets goal' if ratio < 1.5 else 'ABOVE goal'}")
    print(f"  virtio (seed system, both client logins)          {seed_time:6.2f}   ratio {seed_ratio:.2f} (goal at most 3): "
          f"{'meets goal' if seed_ratio <= 3 else 'ABOVE goal'}")
    return True


def sparse_copy(disk, directory):
    """A private copy of a disk image (sparse: it is mostly free space)."""
    target = os.path.join(directory, os.path.basename(disk))
    subprocess.run(["cp", "--sparse=always", disk, target], check=True)
    return target


CONSOLE_BYTES = 1 << 20


def console_seconds(build_dir, example, hostname, disk, colours, bulk=False):
    """Boot `example`, log in, make a 1 MiB text file in the guest's /tmp, and time `cat` of it
    to the console: from the command's Enter to the end marker arriving on the host. bulk: with
    the tty's output processing off (`stty -opost`), so the guest writes whole blocks instead of
    each line and its "\r\n" apart."""
    import pexpect
    import time
    env = dict(os.environ, TESSERA_DISK=disk)
    child = pexpect.spawn(os.path.join(build_dir, "examples", example, "run.sh"), env=env, encoding="latin-1",
                          timeout=300, maxread=65536, searchwindowsize=4096)
    sgr = r"(?:\x1b\[[0-9;]*m)*" if colours else ""
    try:
        child.expect(f"{hostname} login: ")
        time.sleep(0.5)
        child.send("root\r")
        child.expect(f"{hostname}:{sgr}[^\n]*# ")
        # 1 MiB of numbered lines, all printable: what a person would cat.
        child.send(f"seq 1 200000 | head -c {CONSOLE_BYTES} > /tmp/f; echo m''ade\r")
        child.expect("made")
        child.expect("# ")
        time.sleep(0.5)
        start = time.monotonic()
        if bulk:
            child.send("stty -opost; cat /tmp/f; echo E''ND; stty opost\r")
        else:
            child.send("cat /tmp/f; echo E''ND\r")
        # Read the pty directly: a regular expression over every small read would make the host,
        # not the guest, the bottleneck.
        tail = b""
        while True:
            chunk = os.read(child.child_fd, 1 << 16)
            tail = re.sub(rb"\x1b\[[0-9;]*m", b"", tail + chunk)[-64:]
            if b"END\r" in tail or (bulk and b"END\n" in tail):
                return time.monotonic() - start
    finally:
        child.terminate(force=True)


def console_benches(build_dir):
    import tempfile
    print("Console output: cat of a 1 MiB file of numbered lines (seconds; one run each, interleaved)")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        disk = sparse_copy(os.path.join(build_dir, "disk.img"), tmp)
        mib = CONSOLE_BYTES / (1 << 20)
        for bulk, what in ((False, "line by line (as a shell prints)"), (True, "whole blocks (stty -opost)")):
            base = console_seconds(build_dir, "baseline", "baseline", disk, False, bulk)
            shared = console_seconds(build_dir, "console", "client1", disk, True, bulk)
            ratio = base / shared
            print(f"  {what}:")
            print(f"    baseline (Linux's PL011 driver on QEMU)       {base:7.2f}  ({mib / base:.3f} MiB/s)")
            print(f"    console (virtio console, TX virt, UART PD)    {shared:7.2f}  ({mib / shared:.3f} MiB/s)   "
                  f"throughput ratio {ratio:.2f} (goal at least 0.8): {'meets goal' if ratio >= 0.8 else 'BELOW goal'}")
    return ok


BLOCK_MIB = 32
FILE_MIB = 16


def block_seconds(build_dir, example, tmp):
    """Boot `example` on a fresh copy of the build's disk, log in to its first guest and time,
    on the host's wall clock (guest time stops while other VMs run), each disk operation of
    BLOCK_OPERATIONS from its Enter to its end marker. The baseline's disk is /dev/vda with its
    partitions (partition 1 is what client 1 of the seed system gets whole as /dev/vda)."""
    import pathlib
    import time
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "system"))
    os.environ["TESSERA_BUILD_DIR"] = build_dir
    import harness
    base = pathlib.Path(tmp) / example
    base.mkdir()
    disk = sparse_copy(os.path.join(build_dir, "disk.img"), str(base))
    c = harness.Console(example, base, disk=disk, colour_blind=True, timeout=300)
    try:
        if example == "baseline":
            hostname, device = "baseline", "/dev/vda1"
            c.expect(r"baseline: /dev/vda1 mounted at /mnt")
        else:
            hostname, device = "client1", "/dev/vda"
            c.expect(r"client: /dev/vda mounted at /mnt")
        c.login(hostname, timeout=300)
        c.run("dd if=/dev/urandom of=/tmp/data bs=1M count=%d 2>/dev/null" % FILE_MIB, timeout=300)
        results = {}
        operations = [
            ("file write + sync", f"cp /tmp/data /mnt/bench && sync", FILE_MIB),
            ("file read (caches dropped)", "echo 3 > /proc/sys/vm/drop_caches; cat /mnt/bench > /dev/null",
             FILE_MIB),
            ("raw read (O_DIRECT)", f"umount /mnt; dd if={device} of=/dev/null bs=1M count={BLOCK_MIB} "
             "iflag=direct 2>/dev/null", BLOCK_MIB),
            ("raw write (O_DIRECT)", f"dd if=/dev/zero of={device} bs=1M count={BLOCK_MIB} oflag=direct "
             "conv=fsync 2>/dev/null", BLOCK_MIB),
        ]
        for what, command, mib in operations:
            start = time.monotonic()
            c.run(command, timeout=600)
            results[what] = (time.monotonic() - start, mib)
        return results
    finally:
        c.close()


def block_benches(build_dir):
    import tempfile
    print("Disk: client 1 of the seed system (virtio-blk -> block virtualiser -> driver VM's Linux on")
    print("QEMU's virtio-blk) against the baseline guest on QEMU's virtio-blk directly (MiB/s, host wall clock)")
    goals = {"read": 0.8, "write": 0.7}
    with tempfile.TemporaryDirectory() as tmp:
        base = block_seconds(build_dir, "baseline", tmp)
        seed = block_seconds(build_dir, "virtio", tmp)
    print(f"  {'operation':28} {'baseline':>9} {'virtio':>9}  ratio")
    for what, (seconds, mib) in base.items():
        seed_seconds = seed[what][0]
        ratio = seconds / seed_seconds
        goal = goals["read" if "read" in what else "write"]
        verdict = "meets goal" if ratio >= goal else "BELOW goal"
        print(f"  {what:28} {mib / seconds:9.1f} {mib / seed_seconds:9.1f}  {ratio:.2f} (goal at least {goal}): {verdict}")
    return True


GROUPS = {"kernel": kernel_benches, "boot": boot_benches, "console": console_benches, "block": block_benches}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--only", choices=sorted(GROUPS), help="run one group of benchmarks")
    args = parser.parse_args()
    ok = True
    names = [args.only] if args.only else list(GROUPS)
    for i, name in enumerate(names):
        if i:
            print()
        ok = GROUPS[name](args.build_dir) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
