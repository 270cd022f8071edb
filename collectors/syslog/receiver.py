"""The syslog receiver: UDP, TCP and TLS listeners on the event loop, as a push source.

Every message is parsed at once, matched against the catalog (a match becomes readings, emitted
at once) and queued for the evidence store, which a writer task fills in batches from a worker
thread so the loop keeps receiving while the disk works. Memory is bounded three ways: each
sender has a token bucket (``rate``/``burst``: a flooding sender is dropped and counted, the
others go on being stored), the queue has a ceiling (``queue``), and a TCP stream holds at most
one ``max_message`` frame. Nothing a sender writes can stop the receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from collectors.syslog import SyslogOptions, endpoint
from collectors.syslog.catalog import Catalog, load
from collectors.syslog.events import Tally
from collectors.syslog.parse import Message, parse, with_event
from collectors.syslog.transport import Datagrams, Stream, udp_socket
from monitor.core.addresses import norm_address
from monitor.core.model import Reading
from monitor.core.windows import Window

log = logging.getLogger(__name__)

Emit = Callable[[list[Reading]], None]
_BATCH = 20000           # messages per store transaction at most
_FLUSH_S = 0.2           # how long a message may wait for the disk when few arrive
_PRUNE_S = 3600.0
_SOURCES = 10000         # senders whose bucket / verdict is remembered (a flood of spoofed
                         # addresses resets these maps rather than growing them)


class Archive(Protocol):
    """Where messages are kept (monitor.store.evidence.Evidence)."""

    def append(self, entries: Sequence[Message]) -> int:
        """Store a batch."""

    def seal(self, now: float) -> object:
        """Seal the days that are over."""

    def prune(self, now: float) -> int:
        """Delete what is past retention."""

    def close(self) -> None:
        """Close it."""


class SyslogListener:
    """The ``[syslog]`` push source. ``devices`` maps an inventory address to its labels;
    ``device`` names this host (the ``device`` label of the receiver's own counters)."""

    def __init__(self, options: SyslogOptions, devices: Mapping[str, Mapping[str, str]], *, device: str,
                 archive: Callable[[], Archive], catalog: Catalog | None = None,
                 windows: Sequence[Window] = ()) -> None:
        self.options = options
        self.device = device
        self.open_archive = archive  # opened by run(): constructing does no I/O
        self.archive: Archive | None = None
        self.catalog = catalog or load()
        self.tally = Tally(window=options.login_failures_window, windows=windows)
        self.devices = {norm_address(a): dict(labels) for a, labels in devices.items()}
        self.charsets = {norm_address(k): v for k, v in options.charset.items()}
        for addr, labels in self.devices.items():
            name = labels.get("device", "")
            if name in options.charset:
                self.charsets[addr] = options.charset[name]
        self.received = 0
        self.stored = 0
        self.truncated = 0
        self.unparsed = 0
        self.matched = 0
        self.dropped = {"rate": 0, "queue": 0, "store": 0}
        self.rejected = 0
        self.connections = 0
        self.bound: dict[str, tuple[str, int]] = {}  # listen URL -> address actually bound
        self.queue: deque[Message] = deque()
        self._emit: Emit = lambda readings: None
        self._buckets: dict[str, list[float]] = {}
        self._allowed: dict[str, bool] = {}
        self._norms: dict[str, str] = {}  # a sender's address as the socket gives it -> normalised
        self._senders: dict[str, tuple[dict[str, str], list[int]]] = {}  # device -> labels, [count]
        self._wake = asyncio.Event()
        self._servers: list[Any] = []

    async def run(self, emit: Emit, stop: asyncio.Event) -> None:
        """Receive until ``stop`` is set; reports ``syslog_listen_up{listen}`` and the counters."""
        self._emit = emit
        self._wake = asyncio.Event()  # of this run's loop (a reload runs a new listener, tests a new loop)
        try:
            self.archive = await asyncio.to_thread(self.open_archive)
        except Exception as err:  # without its store the receiver would lose evidence: refuse
            log.error("syslog: cannot open the evidence store: %s; not receiving", err)
            emit([Reading("syslog_listen_up", 0.0, {"device": self.device, "listen": url}, time.time())
                  for url in self.options.listen])
            return
        await self._open_all()
        writer = asyncio.create_task(self._writer(stop))
        last_prune = 0.0
        try:
            while not stop.is_set():
                now = time.time()
                # Seal every tick (a day's digest is ready minutes after midnight, before the
                # daily record is written); prune hourly.
                await asyncio.to_thread(self._maintain, now, now - last_prune >= _PRUNE_S)
                if now - last_prune >= _PRUNE_S:
                    last_prune = now
                emit([*self.counters(now), *self.senders(now), *self.tally.recent(now)])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.options.stats_interval)
        finally:
            for server in self._servers:
                server.close()
            await writer
            await asyncio.to_thread(self.archive.close)
            emit(self.counters(time.time()))

    def counters(self, now: float) -> list[Reading]:
        """The receiver's counters (and whether each listener is up) as readings of this host."""
        me = {"device": self.device}
        out = [Reading(f"syslog_{name}_total", float(n), dict(me), now) for name, n in (
            ("received", self.received), ("stored", self.stored), ("truncated", self.truncated),
            ("unparsed", self.unparsed), ("matched", self.matched), ("rejected", self.rejected))]
        out += [Reading("syslog_dropped_total", float(n), {**me, "reason": why}, now)
                for why, n in self.dropped.items()]
        out += [Reading("syslog_listen_up", 1.0 if url in self.bound else 0.0, {**me, "listen": url}, now)
                for url in self.options.listen]
        out.append(Reading("syslog_queued_messages", float(len(self.queue)), dict(me), now))
        return out

    def senders(self, now: float) -> list[Reading]:
        """``syslog_messages`` of each device that sent since the last call (its count then):
        a day without any is a day without evidence (the daily record's 运行日志 says 无数据)."""
        out = [Reading("syslog_messages", float(n[0]), dict(labels), now)
               for labels, n in self._senders.values() if n[0]]
        self._senders.clear()
        return out

    def take(self, raw: bytes, address: str, truncated: bool = False) -> None:
        """One message from ``address`` (see ``take_many``)."""
        self.take_many([(raw, address, truncated)])

    def take_many(self, frames: list[tuple[bytes, str, bool]]) -> None:
        """Messages as (raw, sender address, truncated): judge each sender, parse, match, queue.
        One call per batch the socket had ready: the per-message work below is kept to what each
        message needs (bench/bench_syslog.py measures it against rsyslog)."""
        options, queue, match, emit = self.options, self.queue, self.catalog.match, self._emit
        rate, burst, ceiling = options.rate, float(options.burst), options.queue
        norms, allowed_map, buckets = self._norms, self._allowed, self._buckets
        devices, charsets, senders, dropped = self.devices, self.charsets, self._senders, self.dropped
        clock = time.time
        self.received += len(frames)
        for raw, address, truncated in frames:
            source = norms.get(address)
            if source is None:
                if len(norms) >= _SOURCES:
                    norms.clear()
                source = norms[address] = norm_address(address)
            allowed = allowed_map.get(source)
            if allowed is None:
                allowed = self._allow(source)
            if not allowed:
                self.rejected += 1
                continue
            now = clock()
            bucket = buckets.get(source)
            if bucket is None:
                if len(buckets) >= _SOURCES:
                    buckets.clear()
                bucket = buckets[source] = [burst, now]
            tokens = bucket[0] + (now - bucket[1]) * rate
            if tokens > burst:
                tokens = burst
            bucket[1] = now
            if tokens < 1.0:
                bucket[0] = tokens
                dropped["rate"] += 1
                continue
            bucket[0] = tokens - 1.0
            if len(queue) >= ceiling:
                dropped["queue"] += 1
                continue
            labels = devices.get(source)
            msg = parse(raw, received=now, source=source, device=labels["device"] if labels else source,
                        charset=charsets.get(source), truncated=truncated)
            if truncated:
                self.truncated += 1
            if not msg.parsed:
                self.unparsed += 1
            event = match(msg.text)
            if event is not None:
                self.matched += 1
                msg = with_event(msg, event.event)
                readings = self.tally.readings(msg, event, labels or {"device": source})
                if readings:
                    emit(readings)
            queue.append(msg)
            sender = senders.get(msg.device)
            if sender is None and len(senders) < _SOURCES:
                sender = senders[msg.device] = (dict(labels or {"device": source}), [0])
            if sender is not None:
                sender[1][0] += 1
        if len(queue) >= _BATCH:
            self._wake.set()

    def _allow(self, source: str) -> bool:
        if len(self._allowed) >= _SOURCES:
            self._allowed.clear()
        try:
            ip = ipaddress.ip_address(source)
            ok = not self.options.allow or any(ip in net for net in self.options.allow)
        except ValueError:
            ok = False
        if not ok:
            log.warning("syslog: refusing messages from %s (not in [syslog] allow)", source)
        self._allowed[source] = ok
        return ok

    async def _writer(self, stop: asyncio.Event) -> None:
        """Move queued messages to the archive in batches until stopped and drained."""
        while True:
            if not self.queue:
                if stop.is_set():
                    return
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=_FLUSH_S)
                continue
            n = min(len(self.queue), _BATCH)
            batch = [self.queue.popleft() for _ in range(n)]
            assert self.archive is not None
            try:
                self.stored += await asyncio.to_thread(self.archive.append, batch)
            except Exception as err:  # disk full, database locked: count, say it, keep receiving
                self.dropped["store"] += len(batch)
                log.error("syslog: %d message(s) could not be stored: %s", len(batch), err)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=1.0)

    def _maintain(self, now: float, prune: bool) -> None:
        assert self.archive is not None
        try:
            self.archive.seal(now)
            if prune:
                self.archive.prune(now)
        except Exception as err:
            log.error("syslog: cannot seal or prune the evidence store: %s", err)

    async def _open_all(self) -> None:
        loop = asyncio.get_running_loop()
        for url in self.options.listen:
            scheme, host, port = endpoint(url)
            try:
                if scheme == "udp":
                    reader = Datagrams(self, udp_socket(host, port))
                    reader.start(loop)
                    self._servers.append(reader)
                    self.bound[url] = reader.sock.getsockname()[:2]
                else:
                    tls = self._tls() if scheme == "tls" else None
                    server = await loop.create_server(lambda: Stream(self), host, port, ssl=tls,
                                                      reuse_address=True)
                    self._servers.append(server)
                    self.bound[url] = server.sockets[0].getsockname()[:2]
                log.info("syslog: listening on %s (%s port %d)", url, *self.bound[url])
            except (OSError, ssl.SSLError) as err:
                log.error("syslog: cannot listen on %s: %s%s", url, err.strerror or err,
                          " (ports below 1024 need CAP_NET_BIND_SERVICE)" if port < 1024 else "")

    def _tls(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.options.tls_cert), str(self.options.tls_key))
        return ctx
