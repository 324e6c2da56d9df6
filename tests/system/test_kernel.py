"""Kernel system tests: boot purpose-built test systems (tests/kernel/<name>) under QEMU and
check what their PDs and the kernel print. Each test system ends with TEST|DONE and powers off."""
import os
import re

import pexpect
import pytest

BUILD = os.environ.get("TESSERA_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))


def qemu_command(name, gic=2, cpu="cortex-a53", extra=()):
    image = os.path.join(BUILD, "tests", "kernel", name, "system.elf")
    assert os.path.exists(image), f"{image} is not built (run make)"
    return ["qemu-system-aarch64", "-machine", f"virt,virtualization=on,secure=off,gic-version={gic}",
            "-cpu", cpu, "-m", "2G", "-nographic", "-serial", "mon:stdio", "-no-reboot", "-nic", "none",
            "-kernel", image, *extra]


class KernelRun:
    def __init__(self, name, tmp_path, **kwargs):
        cmd = qemu_command(name, **kwargs)
        self.log_path = tmp_path / f"{name}-console.log"
        self.log = open(self.log_path, "w")
        self.child = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8", codec_errors="replace", timeout=60)
        self.child.logfile_read = self.log

    def tail(self, lines=40):
        self.log.flush()
        text = open(self.log_path, errors="replace").read()
        return "\n".join(text.splitlines()[-lines:])

    def expect(self, pattern, timeout=60):
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as error:
            raise AssertionError(f"did not see {pattern!r} ({type(error).__name__}); last console lines:\n"
                                 f"{self.tail()}") from None
        return self.child.match

    def finish(self, timeout=120):
        """Wait for TEST|DONE and QEMU's exit; return the whole console text."""
        self.expect(r"TEST\|DONE", timeout=timeout)
        self.child.expect(pexpect.EOF, timeout=30)
        self.log.flush()
        return open(self.log_path, errors="replace").read()

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.log.close()


@pytest.fixture
def boot(tmp_path):
    runs = []

    def start(name, **kwargs):
        run = KernelRun(name, tmp_path, **kwargs)
        runs.append(run)
        return run

    yield start
    for run in runs:
        run.close()


def assert_passes(text, *names):
    for name in names:
        assert f"TEST|PASS {name}" in text, f"{name} did not pass; console:\n" + "\n".join(text.splitlines()[-40:])
    failures = [line for line in text.splitlines() if "TEST|FAIL" in line]
    assert not failures, "failures reported:\n" + "\n".join(failures)


@pytest.mark.parametrize("gic,cpu", [(2, "cortex-a53"), (3, "cortex-a53"), (2, "max")])
def test_notification_pingpong_and_coalescing(boot, gic, cpu):
    run = boot("pingpong", gic=gic, cpu=cpu)
    text = run.finish()
    assert "ping: 10000 round trips in" in text
    assert "ping: pong saw 10000 notifications" in text
    assert_passes(text, "pingpong-10000", "notification-coalescing")


def test_ppc_with_message_registers(boot):
    text = boot("ppc").finish()
    assert "client: reply label 43 count 9" in text
    assert_passes(text, "ppc-message-registers", "ppc-1000-calls")


def test_preemption_order_by_priority(boot):
    text = boot("preempt").finish()
    assert "low: event order HML1mh23" in text
    assert_passes(text, "preemption-order")


@pytest.mark.parametrize("gic", [2, 3])
def test_irq_delivered_acked_and_delivered_again(boot, gic):
    run = boot("irq", gic=gic)
    run.expect("serial: ready for input")
    for index, char in enumerate("abz", start=1):
        run.child.send(char)
        run.expect(rf"serial: irq {index} got '{char}'")
    text = run.finish()
    assert_passes(text, "irq-delivered-acked-redelivered")


def test_fault_reported_and_others_continue(boot):
    text = boot("fault").finish()
    match = re.search(r"K\| fault: PD 'faulty' data abort \(write\) at address 0xdead0000, pc 0x[0-9a-f]+, "
                      r"esr 0x[0-9a-f]+; PD stopped", text)
    assert match, "kernel did not report faulty's bad write:\n" + text[-3000:]
    assert "faulty: still running" not in text
    assert "survivor: alive" in text
    assert_passes(text, "fault-isolation", "child-fault-to-parent")


def test_setvar_values_seen_by_pd(boot):
    text = boot("setvar").finish()
    report = open(os.path.join(BUILD, "tests", "kernel", "setvar", "report.txt")).read()
    match = re.search(r"reader: shared_vaddr=0x([0-9a-f]+) shared_paddr=0x([0-9a-f]+)", text)
    assert match, text[-2000:]
    assert int(match.group(1), 16) == 0x30000000
    paddr = int(match.group(2), 16)
    assert re.search(rf"shared\b.*0x0*{paddr:x}\b", report, re.I), \
        f"PD saw paddr {paddr:#x}, which the layout report does not give for region 'shared':\n{report}"
    assert_passes(text, "setvar-vaddr", "setvar-paddr", "shared-region", "debug-write-length-checked")


def test_budget_and_timeslicing(boot):
    # Virtual time counts instructions (-icount), so the shares measured do not depend on how
    # busy the host is.
    text = boot("budget", extra=("-icount", "shift=0")).finish(timeout=180)
    assert_passes(text, "round-robin-no-starvation", "budget-period-enforced")


@pytest.mark.parametrize("cpu", ["cortex-a53", "max"])
def test_minimal_vm_exits_reach_vmm(boot, cpu):
    text = boot("vm", cpu=cpu).finish(timeout=120)
    assert "vmm: guest wrote 0xab (1 bytes) to 0x10000010" in text
    assert "vmm: guest wrote 0xbeef (2 bytes) to 0x10000012" in text
    assert "vmm: guest wrote 0xcafef00d (4 bytes) to 0x10000014" in text
    assert "vmm: guest wrote 0x123456789abcdef (8 bytes) to 0x10000018" in text
    assert_passes(text, "vm-mmio-read", "vm-mmio-write", "vm-hvc", "vm-smc", "vm-virtual-irq", "vm-virtual-timer",
                  "vm-virtual-timer-period", "vm-guest-sctlr-isolated")


def test_time_is_monotonic_and_ignores_vcpu_offsets(boot):
    # SYS_TIME_NOW, read by a VMM around four runs of a guest whose virtual counter is offset by
    # 2^40 ticks: it never goes back and advances by the guest's own run time, not by the offset.
    text = boot("time").finish()
    rounds = re.findall(r"clock: round \d: guest spun (\d+) ns, time advanced (\d+) ns", text)
    assert len(rounds) == 4, text[-2000:]
    for spun, advanced in rounds:
        assert int(spun) <= int(advanced) < 10**10
    assert_passes(text, "time-monotonic", "time-advances-across-vm", "time-ignores-vcpu-offset")


@pytest.mark.parametrize("cpu", ["cortex-a53", "max"])
def test_microkit_api_as_microkit_programs_use_it(boot, cpu):
    # tests/kernel/microkit_api: seL4 types and the struct msginfo, 64 message registers through a
    # passive server, put8/put32, constructors before init(), .bss setvars, setvar_id, a prefilled
    # region, FP state kept per PD across a switch, an SMC, Microkit's deferred-signal variables,
    # and a child stopped by MR 64 / microkit_internal_crash that faults again when resumed.
    text = boot("microkit_api", cpu=cpu).finish()
    assert "api: put8 255 put32 4294967295" in text
    assert "api: constructors ran abc before init" in text
    assert "api: echo label 0x97 count 64 mr0 1064 mr63 1001" in text
    assert re.search(r"api: PSCI version 1\.\d+", text), text[-2000:]
    assert "api: microkit_notify: invalid channel 62" in text
    assert "crasher: error: seL4_SetMR: message register 64 does not exist (Tessera has 0..63)" in text
    assert "crasher: still running after a crash" not in text
    assert text.count("api: child 61 crash") == 3
    assert_passes(text, "constructors-before-init", "setvar-bss-vaddr", "prefill-region", "setvar-id",
                  "ppc-64-message-registers", "fp-state-per-pd", "fp-arithmetic", "smc-psci-version",
                  "deferred-signal-variables", "mr64-stops-the-pd", "internal-crash-stops-the-pd",
                  "crash-never-returns", "deferred-signal-sent")
