"""SNMP: a net-snmp client (``client``), IF-MIB rates (``interfaces``), device profiles as data
(``profiles`` + ``profiles/*.toml``), the collector, and ARP/FDB tables for the IP–MAC checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from collectors.base import DeviceInfo, Shared
from collectors.snmp.options import SAMPLE, SnmpOptions, SnmpSettings

if TYPE_CHECKING:
    from collectors.snmp.collector import SnmpCollector

Options = SnmpOptions
Section = SnmpSettings
__all__ = ["SAMPLE", "Options", "Section", "build"]


def build(device: DeviceInfo, options: SnmpOptions, shared: Shared) -> SnmpCollector:
    """The collector of one SNMP device; sockets, the request cap and the profiles are shared."""
    from collectors.snmp.client import SnmpShared  # ezsnmp loads only when used
    from collectors.snmp.collector import SnmpCollector
    from collectors.snmp.profiles import load_profiles
    from collectors.snmp.sizing import Sizes

    settings = shared.section("snmp", SnmpSettings)
    # Request sizes that worked per device are kept in the state dir (found on first use).
    sizes = shared.once("snmp.sizes", lambda: Sizes(lambda: shared.state_dir() / "snmp_sizes.db"))
    return SnmpCollector(device.name, options, address=device.address, port=device.port,
                         shared=shared.once("snmp", lambda: SnmpShared(settings.max_concurrent, sizes=sizes)),
                         profiles=shared.once("snmp.profiles", lambda: load_profiles(settings.profiles_dir)))
