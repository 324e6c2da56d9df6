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


def boot_time(build_dir, example, prompt, disk):
    """Seconds from starting QEMU to the login prompt."""
    import pexpect
    import time
    env = dict(os.environ, TESSERA_DISK=disk)
    start = time.monotonic()
    child = pexpect.spawn(os.path.join(build_dir, "examples", example, "run.sh"), env=env, encoding="utf-8",
                          codec_errors="replace", timeout=300)
    try:
        child.expect(prompt)
        return time.monotonic() - start
    finally:
        child.terminate(force=True)


def boot_benches(build_dir, rounds=3):
    import shutil
    import statistics
    import tempfile
    print("Boot to login prompt (seconds, median of %d, runs interleaved)" % rounds)
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "disk.img")
        shutil.copyfile(os.path.join(build_dir, "disk.img"), disk)
        times = {"baseline": [], "simple": []}
        for _ in range(rounds):
            times["baseline"].append(boot_time(build_dir, "baseline", "baseline login:", disk))
            times["simple"].append(boot_time(build_dir, "simple", "guest login:", disk))
    base = statistics.median(times["baseline"])
    simple = statistics.median(times["simple"])
    ratio = simple / base
    print(f"  baseline (Linux directly on QEMU)   {base:6.2f}")
    print(f"  simple (Linux in a VM on Tessera)   {simple:6.2f}   ratio {ratio:.2f} (goal under 1.5): "
          f"{'meets goal' if ratio < 1.5 else 'ABOVE goal'}")
    return True


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
    import shutil
    import tempfile
    print("Console output: cat of a 1 MiB file of numbered lines (seconds; one run each, interleaved)")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "disk.img")
        shutil.copyfile(os.path.join(build_dir, "disk.img"), disk)
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    args = parser.parse_args()
    ok = kernel_benches(args.build_dir)
    print()
    ok = boot_benches(args.build_dir) and ok
    print()
    ok = console_benches(args.build_dir) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
