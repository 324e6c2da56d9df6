#!/usr/bin/env python3
"""`make stress`: hammer the console example the way that once froze a guest about once in 200
commands: log in on both clients, then switch with `@N` and run `hostname` on each, round after
round. Too slow for `make test` (a few minutes); run it after touching the scheduler, the vCPU
switch, the serial virtualisers or the virtio console.

On a stall it prints the last console lines and, with --gdb, the kernel's scheduler state read
through QEMU's gdbstub (gdb-multiarch): which thread is current, which vCPU is loaded, and the
state of every vCPU, which is how the lost-vCPU bug was found.
"""
import argparse
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "system"))
from harness import Console, build_path  # noqa: E402

# What the scheduler and the vCPU switch know; the lost vCPU showed as THREAD_READY, not queued,
# with `current` 0 (the kernel idle).
KERNEL_EXPRESSIONS = ["current", "vcpu_count", "idle_vcpus", "'sched.c'::preferred", "/x 'sched.c'::ready_summary",
                      "/x 'sched.c'::armed_deadline", "'vcpu.c'::loaded->id", "'vcpu.c'::native_mode"]
VCPU_EXPRESSIONS = ["vcpus[{i}].thread.state", "vcpus[{i}].thread.queued", "vcpus[{i}].wfi_deadline",
                    "vcpus[{i}].arch.vppi_masked", "/x vcpus[{i}].arch.vgic.lr"]


def gdb_script(port, vcpus):
    expressions = KERNEL_EXPRESSIONS + [e.format(i=i) for i in range(vcpus) for e in VCPU_EXPRESSIONS]
    lines = ["set pagination off", f"file {build_path('kernel', 'kernel.elf')}", f"target remote :{port}"]
    for e in expressions:
        fmt, _, expr = e.partition(" ") if e.startswith("/") else ("", "", e)
        lines += [f"echo {expr} = ", f"output{fmt} {expr}", "echo \\n"]
    return "\n".join(lines + ["detach", ""])


def kernel_state(port, vcpus):
    script = gdb_script(port, vcpus)
    with tempfile.NamedTemporaryFile("w", suffix=".gdb", delete=False) as f:
        f.write(script)
    try:
        result = subprocess.run(["gdb-multiarch", "-batch", "-x", f.name], capture_output=True, text=True,
                                timeout=60)
        return result.stdout + result.stderr
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"(no kernel state: {error})"
    finally:
        os.unlink(f.name)


def login(c, client, first):
    if not first:
        c.child.send(f"@{client}")
        c.expect(f"input goes to client {client}\r")
        c.child.send("\r")
        c.expect(f"client{client} login: ")
    time.sleep(0.5)
    c.child.send("root\r")
    c.expect(rf"client{client}:[^\n]*# ")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60, help="rounds of @1 hostname, @2 hostname")
    parser.add_argument("--gdb", action="store_true", help="on a stall, print the kernel's scheduler state")
    args = parser.parse_args()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="tessera-stress-"))
    port = random.randint(20000, 40000)
    extra = ["-gdb", f"tcp::{port}"] if args.gdb else []
    c = Console("console", tmp, colour_blind=True, extra_args=extra)
    start = time.monotonic()
    try:
        c.expect(r"client1 login: |client2 login: ")
        c.expect(r"client1 login: |client2 login: ")
        login(c, 1, True)
        login(c, 2, False)
        for i in range(args.rounds):
            for n in (1, 2):
                c.child.send(f"@{n}")
                c.expect(f"input goes to client {n}\r")
                try:
                    out = c.run("hostname", timeout=15)
                except AssertionError as error:
                    print(f"STALL in round {i + 1}, client {n}:\n{error}")
                    if args.gdb:
                        print(kernel_state(port, 2))
                    return 1
                if out != f"client{n}":
                    print(f"round {i + 1}: client {n} answered {out!r}; last console lines:\n{c.tail()}")
                    return 1
        print(f"{2 * args.rounds} commands on 2 clients, no stall ({time.monotonic() - start:.0f} s; "
              f"console log {c.log_path})")
        return 0
    finally:
        c.close()


if __name__ == "__main__":
    sys.exit(main())
