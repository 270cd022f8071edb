"""Switch and router tables for the IP–MAC checks: ARP (IP-MIB) and forwarding database (BRIDGE-MIB).

The API, all async, raising ``CollectError`` when the device does not answer::

    arp_entries(address, options, *, port=None, device="", shared=None) -> list[ArpEntry]
        IP-MIB ipNetToPhysicalTable (IPv4 rows), else ipNetToMediaTable; invalid rows dropped.
        ArpEntry(ip, mac, ifindex, ifname, vlan)   vlan from a VLAN interface name
        ("Vlanif10", "Vlan-interface10", "Vlan10"), else 0.

    fdb_entries(address, options, *, port=None, device="", shared=None) -> list[FdbEntry]
        Q-BRIDGE-MIB dot1qTpFdbTable (learned rows; the FDB id is the VLAN on Huawei, H3C
        and Ruijie, where FDB ids equal VLAN ids); else, on Cisco (CISCO-VTP-MIB lists VLANs),
        BRIDGE-MIB per VLAN, the Cisco way: community ``community@VLAN`` (v1/v2c) or context
        ``vlan-VLAN`` (v3), VLANs walked concurrently, one that does not answer skipped;
        else BRIDGE-MIB dot1dTpFdbTable of the default context (vlan 0).
        FdbEntry(mac, port, ifindex, vlan)   port is the ifName of the bridge port.

``options`` is the device's ``SnmpOptions`` (``collectors.snmp.options``); ``shared`` an
``SnmpShared`` to share worker threads with the collectors. MACs are lower-case
``aa:bb:cc:dd:ee:ff``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from pydantic import SecretStr

from collectors.snmp.client import Client, SnmpShared, Table
from collectors.snmp.interfaces import IF_DESCR, IF_NAME
from collectors.snmp.options import SnmpOptions
from monitor.core.errors import CollectError

log = logging.getLogger(__name__)

NET_TO_PHYS_ADDR = "1.3.6.1.2.1.4.35.1.4"
NET_TO_PHYS_TYPE = "1.3.6.1.2.1.4.35.1.6"
NET_TO_MEDIA_ADDR = "1.3.6.1.2.1.4.22.1.2"
NET_TO_MEDIA_TYPE = "1.3.6.1.2.1.4.22.1.4"
BASE_PORT_IFINDEX = "1.3.6.1.2.1.17.1.4.1.2"
Q_FDB_PORT = "1.3.6.1.2.1.17.7.1.2.2.1.2"
Q_FDB_STATUS = "1.3.6.1.2.1.17.7.1.2.2.1.3"
FDB_PORT = "1.3.6.1.2.1.17.4.3.1.2"
FDB_STATUS = "1.3.6.1.2.1.17.4.3.1.3"
VTP_VLAN_STATE = "1.3.6.1.4.1.9.9.46.1.3.1.1.2"   # vtpVlanState.<domain>.<vlan>, operational(1)

_INVALID = "2"   # ipNetToMediaType / ipNetToPhysicalType invalid(2)
_LEARNED = "3"   # dot1dTpFdbStatus learned(3); other(1), invalid(2), self(4), mgmt(5) are not hosts
_CISCO_RESERVED = range(1002, 1006)  # the FDDI / Token Ring default VLANs: never any hosts


@dataclass(frozen=True, slots=True)
class ArpEntry:
    """One ARP entry of a router or L3 switch."""

    ip: str
    mac: str
    ifindex: int
    ifname: str
    vlan: int = 0


@dataclass(frozen=True, slots=True)
class FdbEntry:
    """One learned MAC address and the port (and VLAN) it was learned on."""

    mac: str
    port: str
    ifindex: int
    vlan: int = 0


async def arp_entries(address: str, options: SnmpOptions, *, port: int | None = None, device: str = "",
                      shared: SnmpShared | None = None) -> list[ArpEntry]:
    """The device's ARP table (see the module docstring)."""
    client = Client(device or address, address, port, options, shared or SnmpShared(4))
    table = await client.walk([NET_TO_PHYS_ADDR, NET_TO_PHYS_TYPE, IF_NAME, IF_DESCR], "walk ipNetToPhysical")
    rows: list[tuple[int, str, str]] = []
    for index, var in table[NET_TO_PHYS_ADDR].items():
        parts = index.split(".")
        # ifIndex . addressType(1 = ipv4) . length(4) . a.b.c.d
        ipv4 = len(parts) == 7 and parts[1] == "1" and parts[2] == "4"
        if ipv4 and _text(table, NET_TO_PHYS_TYPE, index) != _INVALID:
            rows.append((int(parts[0]), ".".join(parts[3:]), _mac(var.raw())))
    if not rows:
        media = await client.walk([NET_TO_MEDIA_ADDR, NET_TO_MEDIA_TYPE], "walk ipNetToMedia")
        table.update(media)
        for index, var in table[NET_TO_MEDIA_ADDR].items():
            parts = index.split(".")
            if len(parts) == 5 and _text(table, NET_TO_MEDIA_TYPE, index) != _INVALID:
                rows.append((int(parts[0]), ".".join(parts[1:]), _mac(var.raw())))
    out = []
    for ifindex, ip, mac in rows:
        if mac:
            name = _ifname(table, str(ifindex))
            out.append(ArpEntry(ip=ip, mac=mac, ifindex=ifindex, ifname=name, vlan=_vlan_of(name)))
    return out


async def fdb_entries(address: str, options: SnmpOptions, *, port: int | None = None, device: str = "",
                      shared: SnmpShared | None = None) -> list[FdbEntry]:
    """The device's forwarding database (see the module docstring)."""
    client = Client(device or address, address, port, options, shared or SnmpShared(4))
    table = await client.walk([Q_FDB_PORT, Q_FDB_STATUS, BASE_PORT_IFINDEX, IF_NAME, IF_DESCR], "walk FDB")
    rows: list[tuple[int, str, int]] = []  # (ifindex, mac, vlan)
    for index, var in table[Q_FDB_PORT].items():
        parts = index.split(".")
        if len(parts) == 7 and _text(table, Q_FDB_STATUS, index) in ("", _LEARNED):
            mac = _mac(bytes(int(p) for p in parts[1:]))
            rows.append((_port_ifindex(table, var.text()), mac, int(parts[0])))
    if not rows:
        vtp = await client.walk([VTP_VLAN_STATE], "walk vtpVlanState")
        vlans = sorted({int(i.rsplit(".", 1)[1]) for i, v in vtp[VTP_VLAN_STATE].items() if v.text() == "1"}
                       - set(_CISCO_RESERVED))
        if vlans:
            rows = await _per_vlan(address, options, port, device or address, client.shared, vlans)
        else:
            table.update(await client.walk([FDB_PORT, FDB_STATUS], "walk dot1dTpFdb"))
            rows = _dot1d_rows(table, 0)
    return [FdbEntry(mac=mac, port=_ifname(table, str(ifindex)), ifindex=ifindex, vlan=vlan)
            for ifindex, mac, vlan in rows if mac and ifindex]


async def _per_vlan(address: str, options: SnmpOptions, port: int | None, device: str, shared: SnmpShared,
                    vlans: list[int]) -> list[tuple[int, str, int]]:
    """BRIDGE-MIB of each VLAN's own context (Cisco keeps one bridge per VLAN)."""

    async def one(vlan: int) -> list[tuple[int, str, int]]:
        if options.version == "3":
            scoped = options.model_copy(update={"context": f"vlan-{vlan}"})
        else:
            assert options.community is not None
            scoped = options.model_copy(
                update={"community": SecretStr(f"{options.community.get_secret_value()}@{vlan}")})
        client = Client(device, address, port, scoped, shared)
        table = await client.walk([FDB_PORT, FDB_STATUS, BASE_PORT_IFINDEX], f"walk dot1dTpFdb vlan {vlan}")
        return _dot1d_rows(table, vlan)

    results = await asyncio.gather(*(one(v) for v in vlans), return_exceptions=True)
    rows: list[tuple[int, str, int]] = []
    failed: list[BaseException] = []
    for vlan, got in zip(vlans, results, strict=True):
        if isinstance(got, BaseException):
            if not isinstance(got, CollectError):
                raise got
            failed.append(got)
            log.info("device=%s FDB of vlan %d skipped: %s", device, vlan, got)
        else:
            rows += got
    if failed and len(failed) == len(vlans):
        raise failed[0]
    return rows


def _dot1d_rows(table: Table, vlan: int) -> list[tuple[int, str, int]]:
    rows = []
    for index, var in table.get(FDB_PORT, {}).items():
        parts = index.split(".")
        if len(parts) == 6 and _text(table, FDB_STATUS, index) in ("", _LEARNED):
            rows.append((_port_ifindex(table, var.text()), _mac(bytes(int(p) for p in parts)), vlan))
    return rows


def _port_ifindex(table: Table, bridge_port: str) -> int:
    text = _text(table, BASE_PORT_IFINDEX, bridge_port) or bridge_port
    return int(text) if text.isdigit() else 0


def _text(table: Table, column: str, index: str) -> str:
    var = table.get(column, {}).get(index)
    return var.text() if var is not None else ""


def _ifname(table: Table, ifindex: str) -> str:
    return _text(table, IF_NAME, ifindex) or _text(table, IF_DESCR, ifindex) or f"if{ifindex}"


def _mac(raw: bytes) -> str:
    if len(raw) != 6:
        return ""
    return ":".join(f"{b:02x}" for b in raw)


def _vlan_of(ifname: str) -> int:
    lower = ifname.lower()
    for prefix in ("vlanif", "vlan-interface", "vlan", "vl"):
        if lower.startswith(prefix) and lower[len(prefix):].strip().isdigit():
            return int(lower[len(prefix):])
    return 0
