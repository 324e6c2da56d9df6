"""The shared console's PDs: the UART driver, which alone maps the board's UART, and the TX and RX
virtualisers between it and the clients. Each client (a VMM whose guest has a console, or any
PD) gets a queue pair; this module creates the regions, maps them, makes the channels and writes
every serial PD's typed configuration (drivers/serial/serial_config.h)."""

from system import C, DescriptionError, PAGE

HEADER = "serial/serial_config.h"
QUEUE_SIZE = PAGE
MAX_CLIENTS = 8  # SERIAL_MAX_CLIENTS
DEFAULT_COLOURS = ["32", "31", "33", "34", "35", "36", "92", "91"]  # green, red, yellow, ...


class Serial:
    def __init__(self, system, driver_priority=105, tx_priority=104, rx_priority=103, baud=115200,
                 switch_char="@", colours=None, patience_ms=5000, data_size=0x2000):
        if len(switch_char) != 1 or not "!" <= switch_char <= "~":
            raise DescriptionError(f"serial: switch character {switch_char!r} is not one printable character")
        self.system = system
        self.baud = baud
        self.switch_char = switch_char
        self.colours = list(colours) if colours is not None else list(DEFAULT_COLOURS)
        self.patience_ms = patience_ms
        self.data_size = data_size
        self.clients = []  # (tx connection in the TX virtualiser, rx connection in the RX virtualiser)
        board = system.board
        system.headers.add(HEADER)
        self.driver = system.protection_domain("uart_driver", "uart_driver", driver_priority)
        self.tx = system.protection_domain("serial_virt_tx", "serial_virt_tx", tx_priority)
        self.rx = system.protection_domain("serial_virt_rx", "serial_virt_rx", rx_priority)
        uart = system.device_region("uart", board["BOARD_UART_BASE"], PAGE)
        self.uart_vaddr = self.driver.map(uart, perms="rw", cached=False)
        trigger = "edge" if board.facts.get("BOARD_UART_IRQ_EDGE", 0) else "level"
        self.irq_id = self.driver.irq(board["BOARD_UART_INTID"], trigger)
        self.clock_hz = board["BOARD_UART_CLOCK_HZ"]
        # Output: TX virtualiser -> driver. Input: driver -> RX virtualiser.
        self.driver_tx, self.virt_tx_driver = self.queue("uart_tx", self.driver, self.tx)
        self.driver_rx, self.virt_rx_driver = self.queue("uart_rx", self.driver, self.rx)
        # The RX virtualiser's switch notices, printed by the TX virtualiser.
        self.rx_notice, self.tx_notice = self.queue("serial_notice", self.rx, self.tx)
        system.finalisers.append(self.finalise)

    def queue(self, name, a, b):
        """A queue region and a data region shared by PDs a and b, and a channel between them;
        returns each side's connection (its addresses and the channel to signal the other)."""
        queue = self.system.region(f"{name}_queue", QUEUE_SIZE)
        data = self.system.region(f"{name}_data", self.data_size)
        ida, idb = self.system.channel(a, b)
        ends = []
        for pd, ident in ((a, ida), (b, idb)):
            ends.append({
                "queue": pd.map(queue),
                "data": pd.map(data),
                "data_size": self.data_size,
                "channel": ident,
            })
        return ends[0], ends[1]

    def add_client(self, pd, name=None):
        """Give PD `pd` a console: client N (1-based) in the order added. Returns the client's
        serial_client_config, which the caller attaches to the PD."""
        if len(self.clients) >= MAX_CLIENTS:
            raise DescriptionError(f"serial: more than {MAX_CLIENTS} clients")
        if len(self.clients) >= len(self.colours):
            raise DescriptionError(f"serial: no colour for client {len(self.clients) + 1} (give colours=)")
        name = name or pd.name
        client_tx, virt_tx = self.queue(f"{name}_serial_tx", pd, self.tx)
        client_rx, virt_rx = self.queue(f"{name}_serial_rx", pd, self.rx)
        self.clients.append((virt_tx, virt_rx))
        config = {
            "magic": C("SERIAL_CLIENT_CONFIG_MAGIC"),
            "version": C("SERIAL_CONFIG_VERSION"),
            "tx": client_tx,
            "rx": client_rx,
        }
        pd.add_config("serial_client_config", "serial_client_config", config)
        return config

    def finalise(self):
        if not self.clients:
            raise DescriptionError("serial: no clients")
        self.driver.add_config("serial_driver_config", "serial_driver_config", {
            "magic": C("SERIAL_DRIVER_CONFIG_MAGIC"),
            "version": C("SERIAL_CONFIG_VERSION"),
            "uart_base": self.uart_vaddr,
            "irq_channel": self.irq_id,
            "clock_hz": self.clock_hz,
            "baud": self.baud,
            "tx": self.driver_tx,
            "rx": self.driver_rx,
        })
        self.tx.add_config("serial_virt_tx_config", "serial_virt_tx_config", {
            "magic": C("SERIAL_VIRT_TX_CONFIG_MAGIC"),
            "version": C("SERIAL_CONFIG_VERSION"),
            "driver": self.virt_tx_driver,
            "notice": self.tx_notice,
            "client_count": len(self.clients),
            "clients": [{"connection": tx, "colour": self.colours[i]} for i, (tx, _) in enumerate(self.clients)],
        })
        self.rx.add_config("serial_virt_rx_config", "serial_virt_rx_config", {
            "magic": C("SERIAL_VIRT_RX_CONFIG_MAGIC"),
            "version": C("SERIAL_CONFIG_VERSION"),
            "driver": self.virt_rx_driver,
            "notice": self.rx_notice,
            "switch_char": ord(self.switch_char),
            "patience_ms": self.patience_ms,
            "client_count": len(self.clients),
            "clients": [rx for _, rx in self.clients],
        })
