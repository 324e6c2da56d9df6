"""Drive a Tessera example like a person at its console: boot it under pexpect, wait for
prompts, type commands, read their output. Every failure message ends with the last console
lines, and the whole console is logged to a file in the test's tmp directory. QEMU is always
killed when the test ends, passed or failed (see the `console` fixture in conftest.py).

    c = console("baseline")            # boots $TESSERA_BUILD_DIR/examples/baseline/run.sh
    c.login("baseline")
    out = c.run("cat /proc/partitions")
    c.poweroff()
"""
import os
import re
import struct
import subprocess
import time

import pexpect

BUILD = os.path.abspath(
    os.environ.get("TESSERA_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build", "qemu_virt_aarch64")))
# Bounded but generous: a TCG boot of the guest kernel takes seconds, a loaded CI machine more.
BOOT_TIMEOUT = 120
COMMAND_TIMEOUT = 60
# Terminal escapes, e.g. the cursor-position query (ESC [ 6 n) ash sends before each prompt.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def build_path(*parts):
    return os.path.join(BUILD, *parts)


# The TX virtualiser's colour codes (SGR): the shared console wraps every piece of guest output in
# one and a reset.
SGR = re.compile(r"\x1b\[[0-9;]*m")


class ColourBlindSpawn(pexpect.spawn):
    """A pexpect child whose expect() never sees SGR colour codes (the log keeps them): patterns
    match a guest's text even where a colour change falls inside it. A code cut in two by a read
    waits for its other half."""

    held = ""

    def read_nonblocking(self, size=1, timeout=-1):
        text = self.held + super().read_nonblocking(size, timeout)
        cut = text.rfind("\x1b")
        if cut >= 0 and not re.match(r"\x1b\[[0-9;]*[A-Za-z]", text[cut:]) and len(text) - cut < 16:
            self.held, text = text[cut:], text[:cut]
        else:
            self.held = ""
        return SGR.sub("", text)


class Console:
    """One run of an example's run.sh, its console on a pseudo-terminal."""

    def __init__(self, example, tmp_path, disk=None, extra_args=(), timeout=BOOT_TIMEOUT, colour_blind=False):
        """disk: a disk image path for TESSERA_DISK; None gives a private copy of the build's disk
        (tests never write to the user's); False leaves TESSERA_DISK alone. colour_blind: expect()
        ignores SGR colour codes (for the shared console); raw_log() still has them."""
        script = build_path("examples", example, "run.sh")
        assert os.path.exists(script), f"{script} is not built (run make)"
        env = dict(os.environ)
        if disk is None and os.path.exists(build_path("disk.img")):
            disk = copy_disk(tmp_path)
        if disk:
            env["TESSERA_DISK"] = str(disk)
        self.disk = disk or None
        self.log_path = tmp_path / f"{example}-console-{time.strftime('%H%M%S')}-{time.monotonic_ns() % 10**6}.log"
        self.log = open(self.log_path, "w", errors="replace")
        self.started = time.monotonic()
        spawn = ColourBlindSpawn if colour_blind else pexpect.spawn
        self.child = spawn(script, list(extra_args), env=env, encoding="utf-8", codec_errors="replace",
                           timeout=timeout, dimensions=(50, 200))
        self.child.logfile_read = self.log

    def elapsed(self):
        """Seconds since QEMU was started."""
        return time.monotonic() - self.started

    def raw_log(self):
        """Everything the console printed so far, terminal codes included."""
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def tail(self, lines=40):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            text = ANSI.sub("", f.read()).replace("\r", "")
        return "\n".join(text.splitlines()[-lines:])

    def expect(self, pattern, timeout=BOOT_TIMEOUT):
        """Wait for a regular expression (or pexpect.EOF) on the console; return the match.
        On timeout or an unexpected end, fail with the last console lines."""
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as error:
            what = "timed out" if isinstance(error, pexpect.TIMEOUT) else "QEMU exited"
            raise AssertionError(f"waited for {getattr(pattern, 'pattern', pattern)!r}: {what} after "
                                 f"{self.elapsed():.1f} s; last console lines:\n{self.tail()}") from None
        return self.child.match

    def login(self, hostname, timeout=BOOT_TIMEOUT):
        """Wait for `<hostname> login:`, log in as root (no password) and wait for the shell."""
        self.expect(rf"{re.escape(hostname)} login: ", timeout=timeout)
        self.child.sendline("root")
        self.expect(rf"{re.escape(hostname)}:[^\n]*# ", timeout=COMMAND_TIMEOUT)

    def run_status(self, command, timeout=COMMAND_TIMEOUT):
        """Run a shell command at the logged-in prompt; return (exit status, output). The output
        is what the shell prints between two unique markers, so the echoed command line never
        counts; carriage returns and terminal escapes are removed."""
        tag = f"{os.getpid()}_{time.monotonic_ns()}"
        # The markers are split in the typed line ('__s''tart'), whole only in the output.
        self.child.sendline(f"echo __s''tart_{tag}__; {command}; echo __d''one_{tag}__$?")
        # Lines end in \r\r\n: the guest's tty and the host pty each turn \n into \r\n.
        match = self.expect(rf"__start_{tag}__\r*\n(.*?)__done_{tag}__(\d+)\r*\n", timeout=timeout)
        body = ANSI.sub("", match.group(1)).replace("\r", "").strip("\n")
        self.expect(r"# ", timeout=timeout)  # the prompt after the command, so the next starts clean
        return int(match.group(2)), body

    def run(self, command, timeout=COMMAND_TIMEOUT, check=True):
        """Run a shell command and return its output (stripped); with check, fail unless it
        exits 0."""
        status, body = self.run_status(command, timeout=timeout)
        if check and status != 0:
            raise AssertionError(f"'{command}' exited {status}; its output:\n{body}\n"
                                 f"last console lines:\n{self.tail()}")
        return body.strip()

    def poweroff(self, timeout=COMMAND_TIMEOUT):
        """Power off from the shell (init syncs and unmounts), wait until QEMU exits and return
        its exit status."""
        self.child.sendline("poweroff")
        self.expect(pexpect.EOF, timeout=timeout)
        return self.child.wait()

    def close(self):
        """Kill QEMU if it still runs, and close the log."""
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close(force=True)
        self.log.close()


def copy_disk(tmp_path, name="disk.img"):
    """A private copy of the build's example disk, so tests never touch the user's."""
    target = tmp_path / name
    source = build_path("disk.img")
    assert os.path.exists(source), f"{source} is not built (run make)"
    # Sparse: the disk is mostly free space, and every test copies it.
    subprocess.run(["cp", "--sparse=always", source, str(target)], check=True)
    return target


def make_disk(tmp_path, *args, name="disk.img"):
    """A new disk made by the project's mkdisk tool with the given arguments."""
    target = tmp_path / name
    tool = build_path("host", "mkdisk")
    assert os.path.exists(tool), f"{tool} is not built (run make)"
    subprocess.run([tool, str(target), *args], check=True, stdout=subprocess.DEVNULL)
    return target


def mbr_partitions(disk):
    """The (start sector, sector count) of each used primary partition of an MBR disk."""
    with open(disk, "rb") as f:
        sector = f.read(512)
    assert sector[510:512] == b"\x55\xaa", f"{disk} has no MBR signature"
    parts = []
    for i in range(4):
        entry = sector[446 + 16 * i:446 + 16 * (i + 1)]
        kind, = struct.unpack_from("<B", entry, 4)
        start, count = struct.unpack_from("<II", entry, 8)
        if kind != 0 and count != 0:
            parts.append((start, count))
    return parts
