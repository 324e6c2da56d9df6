"""The shared disk's PDs: the block virtualiser between the disk's driver and the clients, each
client getting MBR partition N (N in the order added). For each connection this module makes the
storage-info region and the request and response queues; for each client a data region, which
the client and the driver map (the virtualiser forwards offsets into the driver's view of it and
copies no data). It writes the virtualiser's and each client's typed configuration
(drivers/blk/blk_config.h); the driver side is attached by whoever runs the disk's driver (the
driver VM), which maps `driver_regions()` and `data_regions()` in the order given."""

from system import C, DescriptionError, LARGE_PAGE, PAGE

HEADER = "blk/blk_config.h"
TRANSFER = 0x1000
MAX_CLIENTS = 4  # BLK_CONFIG_MAX_CLIENTS: one per MBR primary partition
# A request entry is 32 bytes and a response 16 after a 64-byte header (drivers/blk/queue.h):
# these sizes give 256 requests and 512 responses, deeper than Linux keeps in flight by default.
REQUEST_QUEUE_SIZE = 0x3000
RESPONSE_QUEUE_SIZE = 0x3000
# Linux sends requests of up to 1.25 MiB and keeps tens in flight: the data region holds that.
DEFAULT_DATA_SIZE = 0x4000000


class Blk:
    def __init__(self, system, virt_priority=150, data_size=DEFAULT_DATA_SIZE):
        self.system = system
        self.data_size = data_size
        self.clients = []  # (client PD, its config, virtualiser's connection, data region)
        system.headers.add(HEADER)
        self.virt = system.protection_domain("blk_virt", "blk_virt", virt_priority)
        self.driver_info = system.region("blk_driver_storage_info", PAGE)
        self.driver_requests = system.region("blk_driver_requests", REQUEST_QUEUE_SIZE)
        self.driver_responses = system.region("blk_driver_responses", RESPONSE_QUEUE_SIZE)
        self.scratch = system.region("blk_virt_scratch", TRANSFER)
        self.virt_driver = self.connection_in(self.virt, self.driver_info, self.driver_requests,
                                              self.driver_responses, None)
        self.virt_scratch = self.virt.map(self.scratch)
        self.driver = None
        self.driver_stop_channel = C("BLK_CONFIG_NO_CHANNEL")
        system.finalisers.append(self.finalise)

    @staticmethod
    def connection_in(pd, info, requests, responses, channel):
        return {
            "storage_info": pd.map(info),
            "request_queue": pd.map(requests),
            "request_queue_size": requests.size,
            "response_queue": pd.map(responses),
            "response_queue_size": responses.size,
            "channel": channel,
        }

    def add_client(self, pd, name=None):
        """Give PD `pd` partition N of the disk (N: 1 for the first client added)."""
        if len(self.clients) >= MAX_CLIENTS:
            raise DescriptionError(f"blk: more than {MAX_CLIENTS} clients (one per MBR primary partition)")
        name = name or pd.name
        info = self.system.region(f"{name}_blk_storage_info", PAGE)
        requests = self.system.region(f"{name}_blk_requests", REQUEST_QUEUE_SIZE)
        responses = self.system.region(f"{name}_blk_responses", RESPONSE_QUEUE_SIZE)
        data = self.system.region(f"{name}_blk_data", self.data_size, LARGE_PAGE)
        client_ch, virt_ch = self.system.channel(pd, self.virt)
        client = self.connection_in(pd, info, requests, responses, client_ch)
        virt = self.connection_in(self.virt, info, requests, responses, virt_ch)
        config = {
            "magic": C("BLK_CLIENT_CONFIG_MAGIC"),
            "version": C("BLK_CONFIG_VERSION"),
            "virt": client,
            "data": pd.map(data),
            "data_size": data.size,
        }
        pd.add_config("blk_client_config", "blk_client_config", config)
        self.clients.append((pd, config, virt, data))
        return config

    def driver_regions(self):
        """The driver's end: storage info, request queue, response queue, in this order."""
        return [self.driver_info, self.driver_requests, self.driver_responses]

    def data_regions(self):
        """The driver's data space, in order: each client's data region, then the virtualiser's
        scratch unit; the offsets in requests count from the start of the first."""
        return [data for _, _, _, data in self.clients] + [self.scratch]

    def attach_driver(self, pd):
        """The PD that serves the driver's end (it is notified on the returned channel id)."""
        self.driver = pd
        driver_ch, virt_ch = self.system.channel(pd, self.virt)
        self.virt_driver["channel"] = virt_ch
        return driver_ch

    def attach_driver_vm(self, guest, gpa):
        """The driver is a program in `guest` (a vmm.Vmm): the regions reach it as one UIO device
        at guest-physical `gpa`, maps storage info, requests, responses, data space (what
        drivers/blk/uio/blk_uio_server.c expects), and its doorbell is a channel with us."""
        channel = self.attach_driver(guest.pd)
        # If the driver VM stops, its VMM says so: we answer what is in flight and tell the
        # clients, instead of waiting for a disk that will never answer.
        self.driver_stop_channel = guest.notify_on_stop(self.virt)
        guest.add_uio("blk_uio", [[self.driver_info], [self.driver_requests], [self.driver_responses],
                                  self.data_regions()], gpa, channel)

    def finalise(self):
        if not self.clients:
            raise DescriptionError("blk: no clients")
        if self.driver is None:
            raise DescriptionError("blk: nothing serves the disk (attach_driver was never called)")
        offset = 0
        clients = []
        for _, _, virt, data in self.clients:
            clients.append({"connection": virt, "data_size": data.size, "driver_data_offset": offset})
            offset += data.size
        scratch_offset = offset
        offset += TRANSFER
        self.virt.add_config("blk_virt_config", "blk_virt_config", {
            "magic": C("BLK_VIRT_CONFIG_MAGIC"),
            "version": C("BLK_CONFIG_VERSION"),
            "driver": self.virt_driver,
            "driver_data_size": offset,
            "scratch": self.virt_scratch,
            "scratch_offset": scratch_offset,
            "driver_stop_channel": self.driver_stop_channel,
            "client_count": len(clients),
            "clients": clients,
        })
