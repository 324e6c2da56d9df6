"""simple: one VMM PD and one Linux VM whose console is the board's UART, passed through: the
guest drives the UART itself and the VMM forwards its interrupt. The distributor is emulated
by the VMM; the CPU interface is the hardware's virtual one.

This file is the whole description: tools/sysgen derives the .system file, the VMM's typed
configuration and the guest's device tree from it.
"""

import system
import vmm

SETTINGS = ()


def describe(board, settings):
    s = system.System(board, comment=__doc__)
    uart = board["BOARD_UART_BASE"]
    intid = board["BOARD_UART_INTID"]
    guest = vmm.Vmm(s, "vmm", program="vmm", priority=101, vm_name="guest", vm_priority=100,
                    guest_name="guest", role="client", stdout_path=f"/pl011@{uart:x}",
                    bootargs=f"console=ttyAMA0 earlycon=pl011,{uart:#x} tessera.hostname=guest")
    guest.add_passthrough("uart", uart, system.PAGE, intid, dts_node=f"""    clk_uart: uart-clock {{
        compatible = "fixed-clock";
        #clock-cells = <0>;
        clock-frequency = <{board["BOARD_UART_CLOCK_HZ"]}>;
    }};

    pl011@{uart:x} {{
        compatible = "arm,pl011", "arm,primecell";
        reg = <0x0 {uart:#x} 0x0 {system.PAGE:#x}>;
        interrupts = <0 {intid - 32} 4>;
        clocks = <&clk_uart>, <&clk_uart>;
        clock-names = "uartclk", "apb_pclk";
    }};""")
    return s
