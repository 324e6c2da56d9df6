"""One description per system (tools/sysgen): the number of client guests is one number in
examples/console/system.py. A copy of the example with that number changed from 2 to 3 builds
(every region, channel, configuration and device tree follows) and boots, and client 3 answers
after '@3'; and a description that asks for the impossible is refused before anything is
built."""
import os
import re
import shutil
import subprocess
import time

import pytest

from harness import BUILD, COMMAND_TIMEOUT

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def build_variant(directory):
    """Build the description in `directory` next to the build's own examples, from scratch (an
    earlier run's variant came from another temporary directory); return make's result."""
    shutil.rmtree(os.path.join(BUILD, "examples", os.path.basename(directory)), ignore_errors=True)
    return subprocess.run(["make", "-C", TOP, f"BUILD_DIR={os.path.dirname(BUILD)}",
                           f"BOARD={os.path.basename(BUILD)}", f"EXTRA_EXAMPLES={directory}",
                           os.path.join(BUILD, "examples", os.path.basename(directory), "run.sh")],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)


@pytest.fixture(autouse=True)
def remove_variants():
    """The variants' build outputs belong to the test: gone when it ends."""
    yield
    for name in ("console3", "console9"):
        shutil.rmtree(os.path.join(BUILD, "examples", name), ignore_errors=True)


def copy_console(tmp_path, name, clients):
    target = tmp_path / name
    shutil.copytree(os.path.join(TOP, "examples", "console"), target)
    description = target / "system.py"
    text = description.read_text()
    assert "\nCLIENTS = 2\n" in text, "examples/console/system.py no longer states CLIENTS = 2"
    description.write_text(text.replace("\nCLIENTS = 2\n", f"\nCLIENTS = {clients}\n"))
    return target


def test_three_clients_are_one_edit(console, tmp_path):
    variant = copy_console(tmp_path, "console3", 3)
    made = build_variant(variant)
    assert made.returncode == 0, f"the 3-client variant did not build:\n{made.stdout[-3000:]}"
    generated = os.path.join(BUILD, "examples", "console3", "gen")
    system_file = open(os.path.join(generated, "console3.system")).read()
    assert len(re.findall(r"<virtual_machine ", system_file)) == 3
    assert os.path.exists(os.path.join(generated, "client_linux_3-gicv2.dts"))

    c = console("console3", colour_blind=True)
    c.expect(r"serial: input goes to client 1; type @N to switch to client N \(1-3\), @@ for a literal @")
    for _ in range(3):
        c.expect(r"client[123] login: ")
    c.child.send("@3")
    c.expect(r"serial: input goes to client 3\r")
    c.child.send("\r")  # a fresh prompt of client 3's getty
    c.expect(r"client3 login: ")
    time.sleep(0.5)
    c.child.send("root\r")
    c.expect(r"client3:[^\n]*# ", timeout=COMMAND_TIMEOUT)
    assert c.run("hostname") == "client3"
    # Client 3's output is in the third colour (yellow), and only client 3's.
    yellow = "".join(re.findall(r"\x1b\[33m(.*?)\x1b\[0m", c.raw_log(), re.S))
    assert "client3 login: " in yellow, "client 3's login prompt is not yellow"
    assert "client1" not in yellow and "client2" not in yellow, "another client's text arrived in yellow"


def test_impossible_description_is_refused_with_the_reason(tmp_path):
    variant = copy_console(tmp_path, "console9", 9)  # the serial virtualisers hold 8 clients
    made = build_variant(variant)
    assert made.returncode != 0, "a 9-client console was built"
    assert "serial: more than 8 clients" in made.stdout, made.stdout[-2000:]
