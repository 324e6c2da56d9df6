"""Drive a Tessera example like a user at its console: boot it with pexpect, wait for prompts,
type commands, read their output. Every failure message ends with the last console lines.
QEMU is always killed when the test ends (see conftest.py)."""
import os
import re
import shutil
import subprocess
import time

import pexpect

BUILD = os.environ.get("TESSERA_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
# ash asks the terminal for the cursor position (ESC [ 6 n); nobody answers under pexpect.
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def build_path(*parts):
    return os.path.join(BUILD, *parts)


class Console:
    def __init__(self, example, tmp_path, disk=None, extra_args=(), timeout=120):
        script = build_path("examples", example, "run.sh")
        assert os.path.exists(script), f"{script} is not built (run make)"
        env = dict(os.environ)
        if disk is not None:
            env["TESSERA_DISK"] = str(disk)
        self.log_path = tmp_path / f"{example}-console-{int(time.time() * 1000)}.log"
        self.log = open(self.log_path, "w", errors="replace")
        self.child = pexpect.spawn(script, list(extra_args), env=env, encoding="utf-8", codec_errors="replace",
                                   timeout=timeout, dimensions=(50, 200))
        self.child.logfile_read = self.log
        self.started = time.monotonic()

    def tail(self, lines=40):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            text = ANSI.sub("", f.read())
        return "\n".join(text.splitlines()[-lines:])

    def expect(self, pattern, timeout=120):
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as error:
            raise AssertionError(f"waited for {pattern!r}, got {type(error).__name__}; last console lines:\n"
                                 f"{self.tail()}") from None
        return self.child.match

    def login(self, hostname, timeout=180):
        self.expect(rf"{re.escape(hostname)} login: ", timeout=timeout)
        self.child.sendline("root")
        self.expect(rf"{re.escape(hostname)}:[^\n]*# ", timeout=60)

    def run(self, command, timeout=60):
        """Run a shell command; return its output, and assert it exited 0. The output is taken
        between two markers the shell prints, so the echoed command line never counts."""
        tag = f"{int(time.time() * 1e6)}"
        self.child.sendline(f"echo __start_{tag}__; {command}; echo __done_{tag}__$?")
        match = self.expect(rf"\n__start_{tag}__\r*\n(.*?)__done_{tag}__(\d+)", timeout=timeout)
        body = ANSI.sub("", match.group(1)).replace("\r", "").strip()
        status = int(match.group(2))
        assert status == 0, f"'{command}' exited {status}:\n{body}\nlast console lines:\n{self.tail()}"
        return body

    def poweroff(self, timeout=60):
        self.child.sendline("poweroff")
        self.expect(pexpect.EOF, timeout=timeout)

    def close(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.log.close()


def copy_disk(tmp_path, name="disk.img"):
    """A private copy of the example disk, so tests never touch the user's."""
    target = tmp_path / name
    shutil.copyfile(build_path("disk.img"), target)
    return target


def make_disk(tmp_path, *args, name="disk.img"):
    target = tmp_path / name
    subprocess.run([build_path("host", "mkdisk"), str(target), *args], check=True, stdout=subprocess.DEVNULL)
    return target
