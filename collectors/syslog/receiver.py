"""The syslog receiver: UDP, TCP and TLS listeners on the event loop, as a push source.

The loop reads the sockets and judges each sender; a worker thread (``worker.Worker``) parses,
matches the catalog (a match becomes readings, handed back to the loop) and stores in batches,
so the loop keeps receiving while the disk works. Memory is bounded three ways: each sender has
a token bucket (``rate``/``burst``: a flooding sender is dropped and counted, the others go on
being stored), the queue has a ceiling (``queue``), and a TCP stream holds at most one
``max_message`` frame. Nothing a sender writes can stop the receiver.
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
from typing import Any

from collectors.syslog import SyslogOptions, endpoint
from collectors.syslog.catalog import Catalog, load
from collectors.syslog.events import Tally
from collectors.syslog.senders import Senders
from collectors.syslog.transport import Datagrams, Stream, udp_socket
from collectors.syslog.worker import GATHER, Archive, Queued, Worker
from monitor.core.addresses import norm_address
from monitor.core.model import Reading
from monitor.core.windows import Window

log = logging.getLogger(__name__)

Emit = Callable[[list[Reading]], None]
_PRUNE_S = 3600.0
_SOURCES = 10000         # senders whose bucket / verdict is remembered (a flood of spoofed
                         # addresses resets these maps rather than growing them)


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
        self.worker: Worker | None = None
        self.senders_map = Senders(devices, options.charset)
        self.devices, self.charsets = self.senders_map.devices, self.senders_map.charsets
        self._resolving: asyncio.Task[None] | None = None
        self.received = 0
        self._dropped = {"rate": 0, "queue": 0}
        self.rejected = 0
        self.connections = 0
        self.bound: dict[str, tuple[str, int]] = {}  # listen URL -> address actually bound
        self.queue: deque[Queued] = deque()
        self._emit: Emit = lambda readings: None
        self._buckets: dict[str, list[float]] = {}
        self._allowed: dict[str, bool] = {}
        self._norms: dict[str, str] = {}  # a sender's address as the socket gives it -> normalised
        self._senders: dict[str, tuple[dict[str, str], list[int]]] = {}  # device -> labels, [count]
        self._servers: list[Any] = []

    async def run(self, emit: Emit, stop: asyncio.Event) -> None:
        """Receive until ``stop`` is set; reports ``syslog_listen_up{listen}`` and the counters."""
        self._emit = emit
        loop = asyncio.get_running_loop()
        try:
            self.archive = await asyncio.to_thread(self.open_archive)
        except Exception as err:  # without its store the receiver would lose evidence: refuse
            log.error("syslog: cannot open the evidence store: %s; not receiving", err)
            emit([Reading("syslog_listen_up", 0.0, {"device": self.device, "listen": url}, time.time())
                  for url in self.options.listen])
            return
        self.worker = Worker(queue=self.queue, archive=self.archive, catalog=self.catalog, tally=self.tally,
                             emit=lambda readings: loop.call_soon_threadsafe(emit, readings))
        self.worker.start()
        await self._open_all()
        last_prune = last_resolve = 0.0
        try:
            while not stop.is_set():
                now = time.time()
                if self.senders_map.names and now - last_resolve >= self.options.resolve_interval and (
                        self._resolving is None or self._resolving.done()):
                    last_resolve = now
                    self._resolving = asyncio.create_task(self._resolve())
                # Seal every tick (a day's digest is ready minutes after midnight, before the
                # daily record is written); prune hourly.
                await asyncio.to_thread(self._maintain, now, now - last_prune >= _PRUNE_S)
                if now - last_prune >= _PRUNE_S:
                    last_prune = now
                emit([*self.counters(now), *self.senders(now), *self.worker.recent(now)])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.options.stats_interval)
        finally:
            for server in self._servers:
                server.close()
            if self._resolving is not None:
                self._resolving.cancel()  # its worker thread ends on its own; nothing waits for it
            await asyncio.to_thread(self.worker.stop)  # stores what is queued first
            await asyncio.to_thread(self.archive.close)
            emit(self.counters(time.time()))

    @property
    def stored(self) -> int:
        """Messages stored."""
        return self.worker.stored if self.worker else 0

    @property
    def truncated(self) -> int:
        """Messages cut at ``max_message``."""
        return self.worker.truncated if self.worker else 0

    @property
    def unparsed(self) -> int:
        """Messages without a syslog header (kept whole)."""
        return self.worker.unparsed if self.worker else 0

    @property
    def matched(self) -> int:
        """Messages the catalog knew."""
        return self.worker.matched if self.worker else 0

    @property
    def dropped(self) -> dict[str, int]:
        """Messages dropped, by reason: ``rate`` (a sender over its bucket), ``queue`` (the
        queue full), ``store`` (the disk refused their batch)."""
        return {**self._dropped, "store": self.worker.lost if self.worker else 0}

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
        busy = self.worker.busy if self.worker else 0
        out.append(Reading("syslog_queued_messages", float(len(self.queue) + busy), dict(me), now))
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
        """Messages as (raw, sender address, truncated): judge each sender, queue the message for
        the worker. Runs on the loop for every message, so it does only what must happen here."""
        queue, ceiling, dropped = self.queue, self.options.queue, self._dropped
        rate, burst = self.options.rate, float(self.options.burst)
        norms, allowed_map, buckets = self._norms, self._allowed, self._buckets
        devices, charsets, senders = self.devices, self.charsets, self._senders
        clock = time.time
        empty = not queue
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
            device = labels["device"] if labels else source
            queue.append((raw, source, device, truncated, now, labels, charsets.get(source)))
            sender = senders.get(device)
            if sender is None and len(senders) < _SOURCES:
                sender = senders[device] = (dict(labels or {"device": source}), [0])
            if sender is not None:
                sender[1][0] += 1
        if queue and self.worker is not None and (empty or len(queue) >= GATHER):
            self.worker.wake()

    async def _resolve(self) -> None:
        """Resolve the inventory's host names off the loop, then swap the maps in whole."""
        try:
            self.devices, self.charsets = await asyncio.to_thread(self.senders_map.resolve)
        except Exception as err:  # a resolver failing oddly must not stop the receiver
            log.error("syslog: resolving device host names failed: %s", err)

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
