"""The simple example: one unmodified Linux guest in a VM on Tessera, its console the PL011
passed through. Driven as a user would: log in, look at interrupts, run commands, reboot,
power off."""
import re
import time

import pexpect
import pytest

GIC = pytest.mark.parametrize("gic", [2, 3])


def machine(gic):
    return ["-machine", f"virt,virtualization=on,secure=off,gic-version={gic}"]


def interrupt_count(table, name):
    for line in table.splitlines():
        if line.rstrip().endswith(name):
            return int(line.split()[1])
    raise AssertionError(f"no '{name}' line in /proc/interrupts:\n{table}")


@GIC
def test_boots_to_login_and_runs_commands(console, gic):
    c = console("simple", extra_args=machine(gic))
    c.expect(rf"VMM\|guest: starting Linux \(boot 1, GICv{gic}\)")
    c.login("guest")
    assert c.run("hostname") == "guest"
    first = interrupt_count(c.run("cat /proc/interrupts"), "arch_timer")
    time.sleep(1)
    c.run("sleep 1")
    second = interrupt_count(c.run("cat /proc/interrupts"), "arch_timer")
    assert second > first + 50, f"the virtual timer is not ticking: {first} then {second}"
    assert c.run("echo $((6 * 7))") == "42"
    assert "uart-pl011" in c.run("cat /proc/interrupts")
    assert re.search(r"Linux guest 6\.1\.\S+-tessera .* aarch64", c.run("uname -a"))


@GIC
def test_reboot_comes_back_and_poweroff_stops_the_vm(console, gic):
    c = console("simple", extra_args=machine(gic))
    c.login("guest")
    c.run("echo before > /tmp/marker")
    c.child.sendline("reboot")
    c.expect(r"VMM\|guest: the guest asked to restart")
    c.expect(rf"VMM\|guest: starting Linux \(boot 2, GICv{gic}\)")
    c.login("guest")
    # A fresh boot: the tmpfs file of the first boot is gone.
    assert c.run("ls /tmp") == ""
    c.child.sendline("poweroff")
    c.expect(r"VMM\|guest: guest stopped: powered off by the guest")
    c.expect(r"K\| system off requested by PD 'vmm'")
    c.expect(pexpect.EOF, timeout=30)
