"""Microkit's own programs on Tessera, from their unmodified sources (SPEC 5.3, issue 14).

MICROKIT_SRC names a seL4 Microkit 2.x source tree (github.com/seL4/microkit; only its example/
and tests/ directories are read, and nothing is written there). The examples are built by their
own Makefiles against this build's Microkit-style SDK (build/<board>/microkit-sdk: Tessera's
runtime, headers, link script, kernel, and mksystem as bin/microkit); Microkit's tests/ carry no
usable Makefile, so they are built here with the commands and flags the example Makefiles use.
Microkit's Makefiles call the toolchain aarch64-none-elf-*: the test points those names at the
Debian cross toolchain (aarch64-linux-gnu-*). Each image boots under QEMU and the output each
example's README or code expects is checked. Without MICROKIT_SRC the tests are skipped.
"""
import os
import re
import shutil
import subprocess
import time

import pexpect
import pytest

BUILD = os.environ.get("TESSERA_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build",
                                                         "qemu_virt_aarch64"))
SDK = os.path.join(BUILD, "microkit-sdk")
BOARD = "qemu_virt_aarch64"
CONFIG = "debug"  # release builds drop PD output, so there would be nothing to check
MICROKIT_SRC = os.environ.get("MICROKIT_SRC")

pytestmark = pytest.mark.skipif(
    not MICROKIT_SRC,
    reason="MICROKIT_SRC is not set: point it at a seL4 Microkit 2.x source tree (github.com/seL4/microkit) "
           "to build its examples and tests against Tessera")

# The flags of Microkit's example Makefiles (for the tests/ programs, which have no usable one).
MICROKIT_CFLAGS = ["-nostdlib", "-ffreestanding", "-g", "-O3", "-Wall", "-Wno-unused-function", "-Werror",
                   "-mstrict-align"]


@pytest.fixture(scope="module")
def source():
    for needed in ("example/hello/hello.c", "tests/simplemrs/simplemrs.c"):
        if not os.path.exists(os.path.join(MICROKIT_SRC, needed)):
            pytest.fail(f"MICROKIT_SRC={MICROKIT_SRC} is not a Microkit source tree: {needed} is missing")
    board_dir = os.path.join(SDK, "board", BOARD, CONFIG)
    if not os.path.isdir(board_dir) or not os.path.exists(os.path.join(SDK, "bin", "microkit")):
        pytest.fail(f"{SDK} has no {BOARD}/{CONFIG} SDK: run make (CONFIG=debug) first")
    return MICROKIT_SRC


@pytest.fixture(scope="module")
def toolchain(tmp_path_factory):
    """A PATH whose aarch64-none-elf-{gcc,ld,as} are the Debian cross toolchain."""
    bin_dir = tmp_path_factory.mktemp("toolchain")
    for tool in ("gcc", "ld", "as"):
        real = shutil.which(f"aarch64-linux-gnu-{tool}")
        assert real, f"aarch64-linux-gnu-{tool} is not installed"
        os.symlink(real, bin_dir / f"aarch64-none-elf-{tool}")
    return f"{bin_dir}:{os.environ['PATH']}"


def run(command, path, cwd=None):
    result = subprocess.run(command, cwd=cwd, env={**os.environ, "PATH": path}, capture_output=True, text=True,
                            timeout=300)
    return result.returncode, result.stdout + result.stderr


def make_example(source, toolchain, name, out):
    """Build example/<name> with its own Makefile against the SDK; return the image."""
    os.makedirs(out, exist_ok=True)  # the README's `mkdir build`
    code, output = run(["make", "-C", os.path.join(source, "example", name), f"BUILD_DIR={out}",
                        f"MICROKIT_SDK={SDK}", f"MICROKIT_BOARD={BOARD}", f"MICROKIT_CONFIG={CONFIG}"], toolchain)
    assert code == 0, f"example {name} did not build:\n{output}"
    return os.path.join(out, "loader.img"), output


def build_test(source, toolchain, name, out):
    """Build tests/<name> as the example Makefiles would; return (tool's exit status, output)."""
    board_dir = os.path.join(SDK, "board", BOARD, CONFIG)
    os.makedirs(os.path.join(out, "tests", name), exist_ok=True)
    obj = os.path.join(out, f"{name}.o")
    elf = os.path.join(out, "tests", name, f"{name}.elf")
    code, output = run(["aarch64-none-elf-gcc", "-c", *MICROKIT_CFLAGS, f"-I{board_dir}/include",
                        os.path.join("tests", name, f"{name}.c"), "-o", obj], toolchain, cwd=source)
    assert code == 0, f"tests/{name} did not compile:\n{output}"
    code, output = run(["aarch64-none-elf-ld", f"-L{board_dir}/lib", obj, "-lmicrokit", "-Tmicrokit.ld", "-o", elf],
                       toolchain, cwd=source)
    assert code == 0, f"tests/{name} did not link:\n{output}"
    return run([os.path.join(SDK, "bin", "microkit"), os.path.join("tests", name, f"{name}.system"),
                "--search-path", str(out), "--board", BOARD, "--config", CONFIG,
                "-o", os.path.join(out, "loader.img"), "-r", os.path.join(out, "report.txt")], toolchain, cwd=source)


class Qemu:
    """A booted image; Microkit's examples never power off, so the test ends QEMU itself."""

    def __init__(self, image, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.child = pexpect.spawn("qemu-system-aarch64", [
            "-machine", "virt,virtualization=on,secure=off", "-cpu", "cortex-a53", "-m", "2G", "-nographic",
            "-serial", "mon:stdio", "-no-reboot", "-nic", "none", "-kernel", image],
            encoding="utf-8", codec_errors="replace", timeout=60)
        self.child.logfile_read = self.log

    def text(self):
        self.log.flush()
        return open(self.log_path, errors="replace").read()

    def expect(self, pattern, timeout=60):
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as error:
            raise AssertionError(f"did not see {pattern!r} ({type(error).__name__}); console:\n"
                                 f"{self.text()[-3000:]}") from None
        return self.child.match

    def quiet_for(self, seconds, pattern):
        """True if `pattern` does not appear within `seconds`."""
        try:
            self.child.expect(pattern, timeout=seconds)
            return False
        except pexpect.TIMEOUT:
            return True

    def read_byte(self, paddr):
        """One byte of physical memory, read with QEMU's monitor (on the serial line: Ctrl-a c)."""
        self.child.send("\x01c")
        self.expect(r"\(qemu\)")
        self.child.sendline(f"xp /1bx {paddr:#x}")
        value = int(self.expect(rf"{paddr:016x}: (0x[0-9a-f]+)").group(1), 16)
        self.child.send("\x01c")
        return value

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.log.close()


@pytest.fixture
def boot(tmp_path):
    runs = []

    def start(image, name):
        q = Qemu(image, tmp_path / f"{name}-console.log")
        runs.append(q)
        return q

    yield start
    for q in runs:
        q.close()


def kernel_started(q):
    q.expect(r"K\| system: \d+ PDs")


def test_hello(source, toolchain, tmp_path, boot):
    image, output = make_example(source, toolchain, "hello", tmp_path / "build")
    # hello's Makefile asks for Viper output, which Tessera has none of: a warning, not a failure.
    assert "warning: --viper-output ignored" in output
    q = boot(image, "hello")
    kernel_started(q)
    q.expect("hello, world")


def test_passive_server(source, toolchain, tmp_path, boot):
    image, _ = make_example(source, toolchain, "passive_server", tmp_path / "build")
    q = boot(image, "passive_server")
    kernel_started(q)
    q.expect(r"SERVER\|INFO: init function running")
    q.expect(r"CLIENT\|INFO: init function running")
    q.expect(r"SERVER\|INFO: running on clients scheduling context")
    assert q.quiet_for(1, r"ERROR|unexpected"), q.text()


def test_hierarchy(source, toolchain, tmp_path, boot):
    # The restarter restarts its crashing child 9 times at 0x200000, then stops it.
    image, _ = make_example(source, toolchain, "hierarchy", tmp_path / "build")
    q = boot(image, "hierarchy")
    kernel_started(q)
    q.expect("restarter: starting")
    q.expect("restarter: too many restarts - PD stopped")
    q.expect("hello, world")
    time.sleep(0.5)
    text = q.text()
    assert text.count("crasher, starting") == 10, text
    assert text.count("restarter: received fault message for child pd: 1") == 10, text
    assert text.count("restarter: restarted") == 9, text


def test_setvar(source, toolchain, tmp_path, boot):
    image, _ = make_example(source, toolchain, "setvar", tmp_path / "build")
    report = open(tmp_path / "build" / "report.txt").read()
    q = boot(image, "setvar")
    kernel_started(q)
    q.expect("Physical address of 'pl011_paddr': ")
    q.expect(r"\d+")
    text = q.text()
    values = {(kind, name): int(value)
              for kind, name, value in re.findall(r"(Virtual|Physical) address of '(\w+)': (\d+)", text)}
    assert values[("Virtual", "mr_with_paddr")] == 0x2000_0000, text
    assert values[("Physical", "mr_with_paddr")] == 0x8000_0000, text
    assert values[("Physical", "pl011_paddr")] == 0x900_0000, text
    for region in ("small_mr_no_paddr", "large_mr_no_paddr"):
        paddr = int(re.search(rf"{region}\s+paddr 0x([0-9a-f]+)", report).group(1), 16)
        assert values[("Physical", region)] == paddr, f"{region}: PD saw {values[('Physical', region)]:#x}, " \
                                                     f"report says {paddr:#x}"


def test_arm_smc(source, toolchain, tmp_path, boot):
    image, _ = make_example(source, toolchain, "arm_smc", tmp_path / "build")
    q = boot(image, "arm_smc")
    kernel_started(q)
    q.expect(r"Getting SMC version via microkit_arm_smc_call\(\)")
    match = q.expect(r"PSCI version: (\d+)\.(\d+)")
    assert int(match.group(1)) >= 1, q.text()


def test_mr_prefill(source, toolchain, tmp_path, boot):
    # Not in the list, but its features are: prefill_path (found in the working directory,
    # as Microkit's tool searches it last) and setvar_prefill_size.
    if not os.path.isdir(os.path.join(source, "example", "mr_prefill")):
        pytest.skip("this Microkit tree has no example/mr_prefill")
    image, _ = make_example(source, toolchain, "mr_prefill", tmp_path / "build")
    q = boot(image, "mr_prefill")
    kernel_started(q)
    q.expect("hello, world. my name is mr_prefill")
    q.expect("prefilled data OK!")
    assert "oh no" not in q.text()


def test_simplemrs(source, toolchain, tmp_path, boot):
    # Writes 'A' and 'Z' through its two maps and prints nothing: the test reads both bytes back
    # from physical memory (at the regions the report gives) with QEMU's monitor.
    code, output = build_test(source, toolchain, "simplemrs", tmp_path)
    assert code == 0, output
    report = open(tmp_path / "report.txt").read()
    q = boot(str(tmp_path / "loader.img"), "simplemrs")
    kernel_started(q)
    assert q.quiet_for(2, r"fault|error"), q.text()
    for region, char in (("large0", "A"), ("small0", "Z")):
        paddr = int(re.search(rf"{region}\s+paddr 0x([0-9a-f]+)", report).group(1), 16)
        value = q.read_byte(paddr)
        assert value == ord(char), f"{region} at {paddr:#x} holds {value:#x}, not {char!r}"


def test_capfault(source, toolchain, tmp_path, boot):
    # Notifies channel 10,000, which it does not have: the runtime names the PD and the channel
    # (Microkit's check, before any kernel call) and the PD carries on.
    code, output = build_test(source, toolchain, "capfault", tmp_path)
    assert code == 0, output
    q = boot(str(tmp_path / "loader.img"), "capfault")
    kernel_started(q)
    q.expect("capfault: forcing a cap fault by notifying invalid channel 10,000")
    q.expect("faulter: microkit_notify: invalid channel 10000")


def test_overlapping_pages_is_refused(source, toolchain, tmp_path):
    # Its README: overlapping pages in one address space must be a build error.
    code, output = build_test(source, toolchain, "overlapping_pages", tmp_path)
    assert code == 1, output
    assert re.search(r"overlapping_pages\.system:\d+: in 'simplemrs', a map at 0x500000\.\.0x501000 overlaps a map "
                     r"at 0x400000\.\.0x600000", output), output
    assert not os.path.exists(tmp_path / "loader.img")
