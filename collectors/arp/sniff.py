"""Passive ARP capture with scapy: one thread per interface, BPF ``arp`` (802.1Q-tagged too).

Capture and detection run in the threads, never on the event loop; only the (rare) violation
readings cross to the loop, via ``call_soon_threadsafe``. Frames are parsed from raw bytes
rather than dissected by scapy, which is what lets one core keep up with ARP bursts.
Needs CAP_NET_RAW only; without it the listener says so, reports ``arp_capture_up 0`` and
retries every minute while the rest of the daemon runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from collectors.arp import ArpOptions
from collectors.arp.detect import Detector, Observation
from collectors.arp.sources import TableSource
from monitor.core.bindings import Registry
from monitor.core.model import Reading

log = logging.getLogger(__name__)

# libpcap compiles "vlan" to the kernel's VLAN ancillary test, so tagged ARP is matched even
# when the NIC strips the tag (scapy puts it back from PACKET_AUXDATA).
BPF_FILTER = "arp or (vlan and arp)"
_RETRY_S = 60.0
_POLL_S = 0.25  # how long a capture thread blocks before it looks at the stop flag
_SO_RCVBUFFORCE, _SOL_PACKET, _PACKET_STATISTICS = 33, 263, 6
_ARP = struct.Struct("!HHBBH6s4s6s4s")

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
                sock = _open(iface, self.options.buffer_bytes)
            except PermissionError:
                if not told:
                    log.error("arp: cannot capture on %s: the CAP_NET_RAW capability is missing; run as "
                              "root or grant it (AmbientCapabilities=CAP_NET_RAW in the systemd unit). "
                              "Everything else keeps running; retrying every %.0fs", iface, _RETRY_S)
                told = True
                deliver([self._up(iface, 0.0, "no CAP_NET_RAW")])
                halt.wait(_RETRY_S)
                continue
            except Exception as err:  # no such interface, no libpcap for the filter…
                if not told:
                    log.error("arp: cannot capture on %s: %s; retrying every %.0fs", iface,
                              getattr(err, "strerror", None) or err, _RETRY_S)
                told = True
                deliver([self._up(iface, 0.0, "cannot open")])
                halt.wait(_RETRY_S)
                continue
            log.info("arp: capturing on %s (filter %r)", iface, BPF_FILTER)
            deliver([self._up(iface, 1.0, "")])
            try:
                self._loop(sock, iface, deliver, halt)
            finally:
                self.dropped += _drops(sock)
                sock.close()
            return

    def _loop(self, sock: Any, iface: str, deliver: Emit, halt: threading.Event) -> None:
        observe, lock = self.detector.observe, self._lock
        while not halt.is_set():
            try:
                _, data, ts = sock.recv_raw(65535)
            except TimeoutError:
                continue
            except OSError as err:  # interface went away: say so, stop this thread only
                log.error("arp: capture on %s stopped: %s", iface, err)
                deliver([self._up(iface, 0.0, "capture stopped")])
                return
            obs = parse_frame(data, iface, ts) if data else None
            if obs is None:
                continue
            self.frames += 1
            with lock:
                readings = observe(obs, obs.ts)
            if readings:
                deliver(readings)

    def _up(self, iface: str, value: float, reason: str) -> Reading:
        labels = {"device": self.device, "interface": iface}
        if reason:
            labels["reason"] = reason
        return Reading("arp_capture_up", value, labels, loop_time())


def parse_frame(data: bytes, interface: str, ts: float) -> Observation | None:
    """The sender's claim in one Ethernet frame (802.1Q/802.1ad tags allowed), or None if not
    an Ethernet/IPv4 ARP frame."""
    if len(data) < 14:
        return None
    ethertype, offset, vlan = int.from_bytes(data[12:14], "big"), 14, 0
    while ethertype in (0x8100, 0x88A8) and len(data) >= offset + 4:
        vlan = vlan or int.from_bytes(data[offset:offset + 2], "big") & 0x0FFF
        ethertype = int.from_bytes(data[offset + 2:offset + 4], "big")
        offset += 4
    if ethertype != 0x0806 or len(data) < offset + _ARP.size:
        return None
    htype, ptype, hlen, plen, _op, sha, spa, _tha, _tpa = _ARP.unpack_from(data, offset)
    if htype != 1 or ptype != 0x0800 or hlen != 6 or plen != 4:
        return None
    return Observation(ip=socket.inet_ntoa(spa), mac=sha.hex(":"), ts=ts, vlan=vlan, interface=interface)


def loop_time() -> float:
    """Wall-clock seconds; the capture and poll loops are the only readers of the clock here."""
    return time.time()


def _open(iface: str, buffer_bytes: int) -> Any:
    import scapy.layers.l2  # noqa: F401  (registers Ethernet, so scapy knows the link type)
    from scapy.arch.linux import L2ListenSocket

    sock = L2ListenSocket(iface=iface, filter=BPF_FILTER, promisc=True)
    try:  # FORCE goes past net.core.rmem_max when we are privileged; plain RCVBUF otherwise
        sock.ins.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, buffer_bytes)
    except OSError:
        sock.ins.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer_bytes)
    sock.ins.settimeout(_POLL_S)
    return sock


def _drops(sock: Any) -> int:
    with contextlib.suppress(OSError, AttributeError):
        raw = sock.ins.getsockopt(_SOL_PACKET, _PACKET_STATISTICS, 8)
        return int(struct.unpack("II", raw)[1])
    return 0


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=5.0)
