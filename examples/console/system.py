"""console: CLIENTS Linux guests sharing one UART through the serial virtualisers (SPEC sections
2-3). Each client VM's console is a virtio console (hvc0) emulated by its VMM; the VMM's serial
queues lead to serial_virt_tx (output, coloured per client) and serial_virt_rx (input, switched
with @N); both virtualisers share the UART driver, which alone maps the UART.

This file is the whole description: tools/sysgen derives the .system file, every PD's typed
configuration and every guest's device tree from it. Settings (make SET="key=value ..."):
clients, switch_char, colours (comma-separated SGR codes, client 1 first), baud, patience_ms.
"""

import serial
import system
import vmm

CLIENTS = 2
SETTINGS = ("clients", "switch_char", "colours", "baud", "patience_ms")


def describe(board, settings):
    clients = int(settings.get("clients", CLIENTS))
    s = system.System(board, comment=__doc__)
    colours = settings["colours"].split(",") if "colours" in settings else None
    console = serial.Serial(s, switch_char=settings.get("switch_char", "@"), colours=colours,
                            baud=int(settings.get("baud", 115200)),
                            patience_ms=int(settings.get("patience_ms", 5000)))
    for n in range(1, clients + 1):
        guest = vmm.Vmm(s, f"client_vmm_{n}", program="client_vmm", priority=101,
                        vm_name=f"client_linux_{n}", vm_priority=100, guest_name=f"client{n}",
                        role="client", bootargs=f"console=hvc0 tessera.hostname=client{n}")
        guest.add_virtio_console()
        console.add_client(guest.pd)
    return s
