"""The console example: two Linux clients share one UART through the serial virtualisers
(SPEC section 3). Driven as a person at the terminal would: both logins appear in their
colours, typed input goes to client 1 until '@2' moves it, '@@' types a literal '@', and two
guests printing at once lose nothing."""
import re
import time

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
    time.sleep(1)
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
