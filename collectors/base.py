"""The shape every collector has: construct (validate, no I/O), collect (I/O), close."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from monitor.model import Reading

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


class Listener(Protocol):
    """A source that pushes rather than is polled (ARP sniffer, trap receiver).

    ``run`` emits readings as they arrive until ``stop`` is set; it must never block the
    event loop (blocking capture belongs in a thread) and must survive bad input.
    """

    async def run(self, emit: Callable[[list[Reading]], None], stop: asyncio.Event) -> None:
        """Listen until ``stop`` is set."""
