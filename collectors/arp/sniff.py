"""Passive ARP capture: one thread per interface reading a TPACKET_V3 ring filtered to ARP.

Capture and detection run in the threads, never on the event loop; only the (rare) violation
readings cross to the loop, via ``call_soon_threadsafe``. The kernel filters and batches frames
(collectors/arp/ring.py) and only the sender's address pair and VLAN are decoded, which is what
lets one core keep up with an ARP flood. Needs CAP_NET_RAW only; without it the listener says
so, reports ``arp_capture_up 0`` and retries every minute while the rest of the daemon runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from collectors.arp import ArpOptions
from collectors.arp.detect import Detector, Observation
from collectors.arp.ring import Ring
from collectors.arp.sources import TableSource
from monitor.core.bindings import Registry
from monitor.core.model import Reading

log = logging.getLogger(__name__)

_RETRY_S = 60.0
_POLL_S = 0.25  # how long a capture thread blocks before it looks at the stop flag
# Ethertype ARP, then hardware Ethernet (1), protocol IPv4, address lengths 6 and 4.
_ARP_ETHER_IPV4 = b"\x08\x06\x00\x01\x08\x00\x06\x04"
_ETHER_IPV4 = _ARP_ETHER_IPV4[2:]

Emit = Callable[[list[Reading]], None]


class ArpListener:
    """The ``[arp]`` push source: sniffs ``options.interfaces`` and polls table sources."""

    def __init__(self, options: ArpOptions, registry: Registry, *, device: str,
                 tables: Sequence[TableSource] = ()) -> None:
        self.options = options
        self.device = device
        self.detector = Detector(registry, options, device=device)
        self.tables = list(tables)
        self.frames = 0   # ARP frames judged
        self.dropped = 0  # frames the kernel dropped because we were too slow (PACKET_STATISTICS)
        self._lock = threading.Lock()  # the detector is shared by all capture threads

    def feed(self, observations: Iterable[Observation], now: float) -> list[Reading]:
        """Judge observations from any source (table rows, tests); thread-safe."""
        out: list[Reading] = []
        with self._lock:
            for obs in observations:
                out += self.detector.observe(obs, now)
        return out

    async def run(self, emit: Emit, stop: asyncio.Event) -> None:
        """Capture until ``stop`` is set; violations go to ``emit`` on the event loop."""
        loop = asyncio.get_running_loop()
        halt = threading.Event()

        def deliver(readings: list[Reading]) -> None:
            with contextlib.suppress(RuntimeError):  # loop already closed at shutdown
                loop.call_soon_threadsafe(emit, readings)

        threads = [threading.Thread(target=self._capture, args=(iface, deliver, halt),
                                    name=f"arp-{iface}", daemon=True) for iface in self.options.interfaces]
        for thread in threads:
            thread.start()
        polls = [asyncio.create_task(self._poll(src, emit, stop)) for src in self.tables]
        try:
            await stop.wait()
        finally:
            halt.set()
            for task in polls:
                task.cancel()
            await asyncio.gather(*polls, return_exceptions=True)
            await asyncio.to_thread(_join, threads)

    async def _poll(self, source: TableSource, emit: Emit, stop: asyncio.Event) -> None:
        while not stop.is_set():
            now = loop_time()
            try:
                rows = await source.read(now)
                readings = self.feed(rows, now)
                if readings:
                    emit(readings)
            except Exception as err:  # one broken table never stops the sniffer or other tables
                log.warning("arp: table source %s failed: %s", source.name, err)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=source.interval)

    def _capture(self, iface: str, deliver: Emit, halt: threading.Event) -> None:
        told = False
        while not halt.is_set():
            try:
                ring = Ring(iface, self.options.buffer_bytes)
            except PermissionError:
                if not told:
                    log.error("arp: cannot capture on %s: the CAP_NET_RAW capability is missing; run as "
                              "root or grant it (AmbientCapabilities=CAP_NET_RAW in the systemd unit). "
                              "Everything else keeps running; retrying every %.0fs", iface, _RETRY_S)
                told = True
                deliver([self._up(iface, 0.0, "no CAP_NET_RAW")])
                halt.wait(_RETRY_S)
                continue
            except OSError as err:  # no such interface, a kernel without TPACKET_V3…
                if not told:
                    log.error("arp: cannot capture on %s: %s; retrying every %.0fs", iface,
                              err.strerror or err, _RETRY_S)
                told = True
                deliver([self._up(iface, 0.0, "cannot open")])
                halt.wait(_RETRY_S)
                continue
            log.info("arp: capturing ARP on %s (%d ring blocks)", iface, ring.blocks)
            deliver([self._up(iface, 1.0, "")])
            try:
                self._loop(ring, iface, deliver, halt)
            finally:
                with contextlib.suppress(OSError):
                    self.dropped += ring.drops()
                ring.close()
            return

    def _loop(self, ring: Ring, iface: str, deliver: Emit, halt: threading.Event) -> None:
        observe, lock = self.detector.observe, self._lock
        while not halt.is_set():
            try:
                frames = ring.read(_POLL_S)
            except OSError as err:  # interface went away: say so, stop this thread only
                log.error("arp: capture on %s stopped: %s", iface, err)
                deliver([self._up(iface, 0.0, "capture stopped")])
                return
            # A flood repeats a few claims many times: judge each distinct claim of the block once,
            # with its count and its first frame's time (the earliest evidence).
            claims: dict[object, list[Any]] = {}
            for data, vlan, ts in frames:
                key = (data[22:32], vlan) if data[12:20] == _ARP_ETHER_IPV4 else (data, vlan)
                claim = claims.get(key)
                if claim is None:
                    claims[key] = [data, vlan, ts, 1]
                else:
                    claim[3] += 1
            readings: list[Reading] = []
            judged = 0
            with lock:  # once per block of frames, not per frame
                for data, vlan, ts, count in claims.values():
                    obs = parse_frame(data, iface, ts, vlan)
                    if obs is not None:
                        judged += count
                        readings += observe(obs, ts, count)
            self.frames += judged
            if readings:
                deliver(readings)

    def _up(self, iface: str, value: float, reason: str) -> Reading:
        labels = {"device": self.device, "interface": iface}
        if reason:
            labels["reason"] = reason
        return Reading("arp_capture_up", value, labels, loop_time())


def parse_frame(data: bytes, interface: str, ts: float, vlan: int = 0) -> Observation | None:
    """The sender's claim in one Ethernet frame (802.1Q/802.1ad tags allowed), or None if not
    an Ethernet/IPv4 ARP frame. ``vlan`` is a tag the kernel already took off the frame."""
    if data[12:20] == _ARP_ETHER_IPV4 and len(data) >= 42:  # untagged: nearly every frame
        offset = 14
    else:
        if len(data) < 14:
            return None
        ethertype, offset = int.from_bytes(data[12:14], "big"), 14
        while ethertype in (0x8100, 0x88A8) and len(data) >= offset + 4:
            vlan = vlan or int.from_bytes(data[offset:offset + 2], "big") & 0x0FFF
            ethertype = int.from_bytes(data[offset + 2:offset + 4], "big")
            offset += 4
        if ethertype != 0x0806 or len(data) < offset + 28 or data[offset:offset + 6] != _ETHER_IPV4:
            return None
    return Observation(ip=socket.inet_ntoa(data[offset + 14:offset + 18]),
                       mac=data[offset + 8:offset + 14].hex(":"), ts=ts, vlan=vlan, interface=interface)


def loop_time() -> float:
    """Wall-clock seconds; the capture and poll loops are the only readers of the clock here."""
    return time.time()


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=5.0)
