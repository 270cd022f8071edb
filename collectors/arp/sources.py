"""The seam where switch and router tables join the observation stream.

A table source is anything with a ``name``, an ``interval`` and ``async read(now)`` returning
observations. Collectors that read a device's ARP table (SSH ``display arp``, SNMP IP-MIB)
implement ``collectors.base.ArpTableReader`` and join through ``CollectorTable``; ``from_rows``
turns ``(ip, mac, switch, port, vlan, ts)`` rows into observations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from collectors.arp.detect import Observation
from collectors.base import ArpTableReader
from monitor.core.bindings import normalize_mac

Row = tuple[str, str, str, str, int, float]


class TableSource(Protocol):
    """A polled table of IP–MAC (and MAC–port) entries."""

    name: str
    interval: float

    async def read(self, now: float) -> Iterable[Observation]:
        """The table's entries now; raises on failure (the listener logs and retries)."""


def from_rows(rows: Iterable[Row], source: str) -> Iterator[Observation]:
    """Observations from ``(ip, mac, switch, port, vlan, ts)`` rows; unreadable MACs are skipped.
    Rows must come from access ports only: a trunk port sees every MAC behind it."""
    for ip, mac, switch, port, vlan, ts in rows:
        norm = normalize_mac(mac)
        if norm is not None:
            yield Observation(ip=ip or "0.0.0.0", mac=norm, ts=ts, switch=switch, port=port,
                              vlan=vlan, source=source)


@dataclass(kw_only=True)
class CollectorTable:
    """A polled collector's IP–MAC table as a table source (SSH ``display arp`` / ``show ip arp``,
    SNMP IP-MIB): covers segments the daemon is not attached to. L3 ARP entries say which router
    saw a pair, not which access port, so they carry no port: a trunk port sees every MAC and
    would look like a hub."""

    name: str
    interval: float
    reader: ArpTableReader

    async def read(self, now: float) -> Iterable[Observation]:
        """The device's entries now (CollectError when it does not answer)."""
        rows = await self.reader.arp_rows(now)
        return list(from_rows(((ip, mac, self.name, port, vlan, now) for ip, mac, port, vlan in rows),
                              self.reader.arp_source))


@dataclass
class StaticTable:
    """A table source over rows handed in (a site script's export, or tests)."""

    name: str
    rows: list[Row] = field(default_factory=list)
    interval: float = 60.0

    async def read(self, now: float) -> Iterable[Observation]:
        """The rows as observations."""
        return list(from_rows(self.rows, self.name))
