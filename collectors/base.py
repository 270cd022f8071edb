"""The shape every collector has: construct (validate, no I/O), collect (I/O), close."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from monitor.core.model import Reading
from monitor.core.windows import Window

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

MAX_ANSWER = 4 * 1024 * 1024
"""The most any one answer from a device may hold (an exec run's output, one SSH command's
output): reading stops there and the answer is refused, so a runaway script or a device that
never stops talking cannot eat the daemon's memory."""


class Collector(Protocol):
    """Reads one device. ``collect`` raises CollectError when the device did not answer."""

    async def collect(self, now: float) -> list[Reading]:
        """Readings taken now; labels are the collector's own (sensor, mount…), not the device's."""

    async def close(self) -> None:
        """Release connections; called once at shutdown or reload."""


ArpRow = tuple[str, str, str, int]
"""One IP–MAC table entry as a device gives it: (ip, mac, port, vlan); port "" and vlan 0 when
the device does not say."""


@runtime_checkable
class ArpTableReader(Protocol):
    """A collector that can also read its device's IP–MAC table (the ARP table of a router or L3
    switch), for the rogue-device checks. ``arp_source`` names where the rows come from."""

    arp_source: str

    async def arp_rows(self, now: float) -> list[ArpRow]:
        """The table's entries now; raises CollectError when the device does not answer."""


class Listener(Protocol):
    """A source that pushes rather than is polled (ARP sniffer, trap receiver).

    ``run`` emits readings as they arrive until ``stop`` is set; it must never block the
    event loop (blocking capture belongs in a thread) and must survive bad input.
    """

    async def run(self, emit: Callable[[list[Reading]], None], stop: asyncio.Event) -> None:
        """Listen until ``stop`` is set."""


class DeviceInfo(Protocol):
    """What a transport's ``build`` may know of the inventory device it reads."""

    name: str
    address: str
    port: int | None

    def labels(self) -> dict[str, str]:
        """Identity labels every reading of the device carries."""


@dataclass(kw_only=True)
class Shared:
    """What the collectors of one daemon share, handed to every transport's ``build``: the
    state directory (found on first use), the maintenance windows, each transport's own
    top-level section (``[ssh]``, ``[snmp]``), and one object per key made once (a session
    cap, a profile set)."""

    state_dir: Callable[[], Path]
    windows: Sequence[Window] = ()
    sections: Mapping[str, BaseModel] = field(default_factory=dict)
    _made: dict[str, Any] = field(default_factory=dict, repr=False)

    def once(self, key: str, make: Callable[[], T]) -> T:
        """The object made for ``key``, made by ``make`` the first time it is asked for."""
        if key not in self._made:
            self._made[key] = make()
        made: T = self._made[key]
        return made

    def section(self, name: str, model: type[M]) -> M:
        """The ``[name]`` section's settings, or the model's defaults when it is not given."""
        given = self.sections.get(name)
        return given if isinstance(given, model) else model()
