"""Rogue-device detection from IP–MAC observations: passive ARP (a kernel-filtered packet ring)
and the switches' tables.

Every source turns what it sees into ``Observation`` values (ip, mac, switch, port, vlan, ts);
``detect.Detector`` compares them with the binding registry and returns readings
(``arp_unknown_mac``, ``arp_ip_mismatch``, ``arp_ip_conflict``, ``arp_gateway_spoof``,
``arp_flood_pps``, ``arp_mac_moved``, ``arp_port_macs``); ``sniff.ArpListener`` is the push source.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from monitor.core.durations import Duration

SAMPLE = """\
# Passive ARP: roomwatch needs only the CAP_NET_RAW capability (the systemd unit grants it).
# Without it the daemon says so and everything else keeps running. `roomwatch check
# --arp-window 10` listens 10 s and reports the violations seen, for an on-the-spot audit.
[arp]
interfaces = ["eth1"]          # where to listen passively (needs CAP_NET_RAW only); [] = off
flood_pps = 50                 # more ARP frames than this from one MAC within 1 s is a flood
conflict_window = "60s"        # two MACs claiming one IP within this long is a conflict
port_window = "10m"            # MACs seen behind one access port within this long are counted
repeat = "60s"                 # a violation that goes on is told again this often
table_size = 65536             # cap of each observation table (LRU); about 200 bytes an entry
buffer_bytes = 33554432        # capture ring per interface (kernel memory): holds ~200 000 ARP frames
"""


class ArpOptions(BaseModel):
    """The ``[arp]`` section: passive ARP sniffing and the detection windows."""

    model_config = ConfigDict(extra="forbid")

    interfaces: list[str] = Field(default_factory=list, description="Interfaces to sniff ARP on.")
    flood_pps: int = Field(50, gt=0, description="ARP frames per second from one MAC that make a flood.")
    conflict_window: Duration = Field(60.0, gt=0, description="Window for two MACs claiming one IP.")
    port_window: Duration = Field(600.0, gt=0, description="Window for counting MACs behind a port.")
    repeat: Duration = Field(60.0, gt=0, description="How often a continuing violation is re-told.")
    table_size: int = Field(65536, ge=16, description="Entries kept per observation table (LRU).")
    buffer_bytes: int = Field(32 << 20, ge=65536,
                              description="Capture ring per interface, in 256 KiB blocks (at least 2).")

