"""The console example: two Linux clients share one UART through the serial virtualisers
(SPEC section 3). Driven as a person at the terminal would: both logins appear in their
colours, typed input goes to client 1 until '@2' moves it, '@@' types a literal '@', and two
guests printing at once lose nothing."""
import re
import time

import pexpect
import pytest

from harness import ANSI, COMMAND_TIMEOUT

GREEN, RED = "\x1b[32m", "\x1b[31m"
PIECE = re.compile(r"\x1b\[(3[0-9])m(.*?)\x1b\[0m", re.S)


def per_client_output(raw):
    """The text of each colour's pieces, joined in order: what each guest printed."""
    out = {}
    for colour, text in PIECE.findall(raw):
        out[colour] = out.get(colour, "") + text
    return out


def boot(console, extra_args=()):
    c = console("console", colour_blind=True, extra_args=extra_args)
    c.expect(r"serial: input goes to client 1; type @N to switch to client N \(1-2\), @@ for a literal @")
    c.expect(r"client1 login: |client2 login: ")
    c.expect(r"client1 login: |client2 login: ")
    return c


def switch(c, client):
    c.child.send(f"@{client}")
    c.expect(rf"serial: input goes to client {client}\r")


def login_here(c, hostname):
    """Log in on the client that has input now (its login prompt is already on the screen)."""
    time.sleep(0.5)  # getty has set up the line and flushed it before it reads
    c.child.send("root\r")
    c.expect(rf"{hostname}:[^\n]*# ", timeout=COMMAND_TIMEOUT)


@pytest.fixture
def both(console):
    c = boot(console)
    login_here(c, "client1")
    switch(c, 2)
    c.child.send("\r")  # a fresh prompt of client 2's getty
    c.expect(r"client2 login: ")
    login_here(c, "client2")
    switch(c, 1)
    return c


def test_logins_in_their_colours_and_input_switching(both):
    c = both
    raw = c.raw_log()
    assert GREEN in raw and RED in raw, f"no green or no red output; last console lines:\n{c.tail()}"
    out = per_client_output(raw)
    assert "client1 login: " in out.get("32", ""), "client 1's login prompt is not green"
    assert "client2 login: " in out.get("31", ""), "client 2's login prompt is not red"
    assert "client2" not in out.get("32", ""), "client 2's text arrived in client 1's colour"
    assert "client1" not in out.get("31", ""), "client 1's text arrived in client 2's colour"
    # Nothing of a guest's is outside its colour: the text between pieces is the system's own.
    between = ANSI.sub("", PIECE.sub("", raw))
    assert "login:" not in between, "a login prompt arrived uncoloured"
    # Both VMMs announce their guest at the same moment: each line arrives whole.
    for n in (1, 2):
        assert re.search(rf"\nVMM\|client{n}: starting Linux \(boot 1, GICv2\): kernel at 0x[0-9a-f]+, initrd "
                         rf"0x[0-9a-f]+\.\.0x[0-9a-f]+, device tree at 0x[0-9a-f]+\n", raw), \
            f"client {n}'s VMM start line is not whole; console:\n{c.tail()}"
    # Input is with client 1 again after '@1'.
    assert c.run("hostname") == "client1"
    switch(c, 2)
    assert c.run("hostname") == "client2"
    switch(c, 1)
    assert c.run("hostname") == "client1"
    # '@@' is a literal '@'; '@' before anything that is no client number passes through.
    assert c.run("echo a@@b") == "a@b"
    assert c.run("echo x@9y@z") == "x@9y@z"


def test_two_guests_printing_at_once_lose_nothing(both):
    c = both
    n = 2000
    # Client 1 starts printing in a few seconds, in the background; client 2 prints at once.
    c.child.send(f"(sleep 4; i=1; while [ $i -le {n} ]; do echo \"one $i\"; i=$((i+1)); done; echo one-fin''ished) &\r")
    c.expect(r"# ")
    switch(c, 2)
    c.child.send(f"sleep 2; i=1; while [ $i -le {n} ]; do echo \"two $i\"; i=$((i+1)); done; echo two-fin''ished\r")
    c.expect(r"two-finished", timeout=300)
    c.expect(r"one-finished", timeout=300)
    # pexpect reads only while it expects: read for a second more, so that the log has the end
    # of the last piece (its reset code) too.
    c.child.expect(pexpect.TIMEOUT, timeout=1)
    out = per_client_output(c.raw_log())
    for colour, name in (("32", "one"), ("31", "two")):
        text = ANSI.sub("", out.get(colour, "")).replace("\r", "")
        # A line may start after a prompt (the shell printed one before the loop began).
        numbers = [int(m) for m in re.findall(rf"(?<![\w$]){name} (\d+)\n", text)]
        assert numbers == list(range(1, n + 1)), (
            f"client '{name}': {len(numbers)} numbered lines, first out of order near "
            f"{next((i for i, v in enumerate(numbers) if v != i + 1), None)}; last console lines:\n{c.tail()}")


def test_both_clients_on_a_gicv3(console):
    c = boot(console, ["-machine", "virt,virtualization=on,secure=off,gic-version=3"])
    login_here(c, "client1")
    assert c.run("hostname") == "client1"
    switch(c, 2)
    c.child.send("\r")
    c.expect(r"client2 login: ")
    login_here(c, "client2")
    assert c.run("hostname") == "client2"
    # Both VMMs gave their guest a GICv3.
    assert "system: 5 PDs, 2 VMs, 2 vCPUs" in c.raw_log() and "GICv3" in c.raw_log()
    assert c.raw_log().count("GICv3)") == 2 and "GICv2)" not in c.raw_log()


def test_a_client_that_stops_reading_does_not_hold_the_console(both):
    """Client 2 powers off, the person keeps typing to it (more than its queue holds), then
    switches back: after five seconds without reading, its input is dropped and reported, so
    '@1' still gets through and client 1 answers."""
    c = both
    switch(c, 2)
    c.child.send("poweroff\r")
    c.expect(r"VMM\|client2: guest stopped", timeout=COMMAND_TIMEOUT)
    for _ in range(10):
        c.child.send("x" * 1000)  # 10,000 characters: client 2's queue holds 8 KiB
        time.sleep(0.1)
    c.expect(r"serial: client 2 is not taking input; typing waits for it", timeout=COMMAND_TIMEOUT)
    time.sleep(5.5)
    c.child.send("@1")
    c.expect(r"serial: client 2 is not reading; what is typed for it is dropped until it reads",
             timeout=COMMAND_TIMEOUT)
    c.expect(r"serial: input goes to client 1\r", timeout=COMMAND_TIMEOUT)
    assert c.run("hostname") == "client1"


def test_lead_bytes_from_one_guest_do_not_freeze_the_console(both):
    """Issue 13, defect 1: client 2 prints 9,000 UTF-8 lead bytes (0xe5, as `cat` of a binary file
    does), none ever completed. The console goes on: client 2's bytes arrive, its shell answers,
    and client 1's output still arrives after it."""
    c = both
    switch(c, 2)
    start = len(c.raw_log())
    c.child.send("head -c 9000 /dev/zero | tr '\\000' '\\345'; echo; echo two-fin''ished\r")
    c.expect(r"two-finished", timeout=COMMAND_TIMEOUT)
    c.expect(r"# ", timeout=COMMAND_TIMEOUT)
    c.child.expect(pexpect.TIMEOUT, timeout=1)  # the last piece's end (its reset code)
    # Every lead byte came through on its own (the log decodes each lone 0xe5 as U+FFFD).
    red = per_client_output(c.raw_log()[start:]).get("31", "")
    assert red.count("\ufffd") == 9000, f"{red.count(chr(0xfffd))} of client 2's 9000 lead bytes arrived"
    switch(c, 1)
    assert c.run("echo mark''er-one") == "marker-one"
    switch(c, 2)
    assert c.run("echo mark''er-two") == "marker-two"


def seq_lines(first, last):
    """What `seq first last` prints, one number a line."""
    return "".join(f"{i}\n" for i in range(first, last + 1))


def test_a_flooding_guest_cannot_starve_the_other(both):
    """Issue 13: client 2 runs `yes` (as much output as it can make, for as long as it runs) while
    client 1 prints `seq 1 20000`: every one of client 1's lines arrives, in order, and the share
    of the console each got meanwhile is printed. Behaviour, not speed: the bound is generous."""
    c = both
    switch(c, 2)
    c.child.send("yes\r")
    # The flood is under way before client 1 starts.
    c.child.expect(r"(y\r+\n){200}", timeout=COMMAND_TIMEOUT, searchwindowsize=2000)
    switch(c, 1)
    start = len(c.raw_log())
    began = time.monotonic()
    c.child.send("seq 1 20000; echo one-fin''ished\r")
    # A small search window: the flood makes the buffer long, and pexpect would search it all.
    c.child.expect(r"one-finished", timeout=600, searchwindowsize=200)
    took = time.monotonic() - began
    c.child.expect(pexpect.TIMEOUT, timeout=1, searchwindowsize=200)  # the last piece's end
    during = c.raw_log()[start:]
    out = per_client_output(during)
    green = out.get("32", "")
    red = out.get("31", "")
    total = len(green) + len(red)
    print(f"\nflood: {len(green)} bytes of client 1 and {len(red)} of client 2 in {took:.1f} s: "
          f"client 1 {100 * len(green) / max(total, 1):.1f} %, client 2 {100 * len(red) / max(total, 1):.1f} %")
    # Client 1's lines are all there, whole and in order, between the echo of its command line
    # and its next prompt.
    lines = re.sub(r"[\r\n]+", "\n", green)  # the log reads the host pty's \r\r\n as two line ends
    numbers = [int(n) for n in re.findall(r"(?m)^([0-9]+)$", lines)]
    assert seq_lines(1, 20000) in lines and numbers == list(range(1, 20001)), (
        f"client 1's seq output is not whole and in order: {len(numbers)} numbered lines arrived, first "
        f"out of order near {next((i for i, v in enumerate(numbers) if v != i + 1), None)}; last console "
        f"lines:\n{c.tail()}")
    # Client 2 flooded all along: the test measured something.
    flood_lines = re.sub(r"[\r\n]+", "\n", red).count("y\n")
    assert flood_lines > 1000, f"client 2 printed only {flood_lines} lines meanwhile"
    # Stop the flood: its shell answers again.
    switch(c, 2)
    c.child.send("\x03")
    c.child.expect(r"client2:[^\n]*# ", timeout=COMMAND_TIMEOUT, searchwindowsize=200)
    assert c.run("echo after''flood") == "afterflood"
