"""The InfluxDB output: readings and alert transitions to any server with the v2 write API.

Writes never block the daemon: ``write`` encodes and queues in memory, a sender thread posts
batches (gzip if ``gzip = true``) on kept-alive connections. Each answer is read for what it
means (docs/schema.md, "Delivery"):

- 2xx: done. 400/422 and other 4xx: the points are bad; they are dropped and the reason is
  logged once per reason, because sending them again cannot help.
- 401/403/404: the token, org or bucket is wrong. That is a configuration error: shouted every
  minute, the points kept in the queue for when it is fixed.
- 413: the batch is split in halves until the server takes it.
- 408/429/5xx, timeouts, refused connections: retried with exponential backoff, honouring
  ``Retry-After``. Meanwhile batches go to the durable on-disk queue (monitor/store/spool.py)
  and are replayed in order once the server answers, across restarts too.
"""

from __future__ import annotations

import http.client
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from monitor.core.model import Alert, Reading
from monitor.store.alert_text import alert_text_lines
from monitor.store.influx_lines import LineEncoder
from monitor.store.influx_wire import MAX_BACKOFF, Poster, Refused, join_lines, lines_of, reason, retry_after
from monitor.store.settings import InfluxSettings, public_url
from monitor.store.spool import Batch, Spool

log = logging.getLogger(__name__)

IN_FLIGHT = 2  # requests on the wire at once: one is compressed and sent while the other is answered
_MEMORY_BATCHES = 4  # batches held in memory before they are spilled to disk


@dataclass(frozen=True, slots=True, kw_only=True)
class _Flight:
    """A posted batch waiting for its answer."""

    lines: list[bytes]
    body: bytes
    answer: Future[Exception | None]


class InfluxOutput:
    """Sends readings to InfluxDB from a background thread; keeps what it cannot send on disk."""

    name = "influxdb"

    def __init__(self, settings: InfluxSettings, spool_path: Path, *, first_backoff: float = 1.0) -> None:
        self.settings = settings
        self.first_backoff = first_backoff
        self.where = public_url(settings.url)
        self._told: dict[str, float] = {}  # condition -> when it was last logged
        self._encoder = LineEncoder(settings.precision)
        self._poster = Poster(settings)
        self._spool = Spool(spool_path, max_points=settings.queue_size, name=f"influxdb {self.where}")
        self._pending: deque[list[bytes]] = deque()  # chunks as written, so a line is never moved alone
        self._pending_n = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._flush_asked = False
        self._failures = 0
        self._retry_after = 0.0
        self.sent = 0
        self.rejected = 0
        self._posters = ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="influx-post")
        self._thread = threading.Thread(target=self._run, name="influx-output", daemon=True)
        self._thread.start()

    # -- the daemon's side ---------------------------------------------------------------------

    def write(self, readings: Sequence[Reading]) -> None:
        """Queue readings for sending."""
        self._enqueue(self._encoder.wire(readings))

    def write_alerts(self, alerts: Sequence[Alert]) -> None:
        """Queue alert transitions (the ``alerts`` measurement)."""
        lines = self._encoder.alerts(alerts) + alert_text_lines(alerts, precision=self.settings.precision)
        self._enqueue([line.encode() for line in lines])  # alert_text: for numbers-only stores

    def flush(self) -> None:
        """Ask the sender to post what is queued now rather than wait for a full batch."""
        with self._cond:
            self._flush_asked = True
            self._cond.notify()

    def close(self) -> None:
        """Send what the server takes now; queue the rest on disk for the next start."""
        self._stop.set()
        with self._cond:
            self._cond.notify()
        self._thread.join()
        self._posters.shutdown()
        self._spool.close()
        self._poster.close()

    def stats(self) -> dict[str, int]:
        """Points sent, rejected by the server, waiting (memory + disk), dropped from a full queue."""
        with self._cond:
            pending = self._pending_n
        return {"sent": self.sent, "rejected": self.rejected, "queued": pending + self._spool.points,
                "dropped": self._spool.dropped}

    def _enqueue(self, lines: list[bytes]) -> None:
        if not lines:
            return
        with self._cond:
            self._pending.append(lines)
            self._pending_n += len(lines)
            if self._pending_n >= self.settings.batch_size:
                self._cond.notify()

    # -- the sender thread ---------------------------------------------------------------------

    def _run(self) -> None:
        # Batches posted and not yet answered, oldest first: while one is on the wire the next is
        # joined (compressed if asked) and posted. Answers are read in order, so what fails
        # reaches the durable queue in the order it was written.
        flight: deque[_Flight] = deque()
        while True:
            stopping = self._wait_for_work(busy=bool(flight))
            if len(self._spool):
                self._spill()  # what is newer goes behind the queue: replay stays in order
                if stopping:
                    return
                batch = self._spool.peek()
                if batch is not None and not self._replay(batch):
                    self._backoff()
                continue
            lines = self._take() if len(flight) < IN_FLIGHT else []
            if lines:
                body = join_lines(lines, compress=self.settings.gzip)
                flight.append(_Flight(lines=lines, body=body, answer=self._posters.submit(self._post, body)))
                continue
            if flight:
                if self._settle(flight):
                    # Failed: everything after it is settled too (spooled in order), then wait.
                    while flight:
                        self._settle(flight)
                    if not stopping:
                        self._backoff()
                continue
            if stopping:
                return

    def _settle(self, flight: deque[_Flight]) -> bool:
        """Read the oldest answer; queue what it left undelivered on disk. True if it failed."""
        head = flight.popleft()
        undelivered = self._answered(head.answer.result(), head.lines, head.body)
        if undelivered:
            # On disk it is always gzip: a full queue of plain bodies would take ten times the space.
            zipped = head.body if undelivered is head.lines and self.settings.gzip else None
            self._spool.push(zipped or join_lines(undelivered, compress=True), len(undelivered))
        return bool(undelivered)

    def _wait_for_work(self, busy: bool = False) -> bool:
        with self._cond:
            if not (busy or self._stop.is_set() or self._flush_asked or len(self._spool)
                    or self._pending_n >= self.settings.batch_size):
                self._cond.wait(self.settings.flush_interval)
            self._flush_asked = False
            return self._stop.is_set()

    def _take(self) -> list[bytes]:
        """Up to batch_size lines, oldest first."""
        size = self.settings.batch_size
        taken: list[bytes] = []
        with self._cond:
            while self._pending and len(taken) < size:
                chunk = self._pending.popleft()
                room = size - len(taken)
                if len(chunk) > room:
                    self._pending.appendleft(chunk[room:])
                    chunk = chunk[:room]
                taken.extend(chunk)
            self._pending_n -= len(taken)
        return taken

    def _spill(self) -> None:
        while lines := self._take():
            self._spool.push(join_lines(lines, compress=True), len(lines))

    def _replay(self, batch: Batch) -> bool:
        undelivered = self._deliver(None, batch.body, batch.points)
        if not undelivered:
            self._spool.pop(batch)
            return True
        if len(undelivered) != batch.points:
            self._spool.replace(batch, join_lines(undelivered, compress=True), len(undelivered))
        return False

    def _backoff(self) -> None:
        """Wait before the next try; spill arriving points to disk meanwhile so memory stays small."""
        self._failures += 1
        delay = min(MAX_BACKOFF, self.first_backoff * 2.0 ** (self._failures - 1)) * random.uniform(0.8, 1.2)
        deadline = time.monotonic() + max(delay, self._retry_after)
        self._retry_after = 0.0
        while not self._stop.is_set() and (left := deadline - time.monotonic()) > 0:
            with self._cond:
                if self._pending_n < _MEMORY_BATCHES * self.settings.batch_size:
                    self._cond.wait(left)
            self._spill()

    def _deliver(self, lines: list[bytes] | None, body: bytes | None = None, points: int = 0) -> list[bytes]:
        """Post one batch and wait. Returns the lines still to be sent; [] when written or rejected
        for good."""
        if body is None:
            assert lines is not None
            body = join_lines(lines, compress=self.settings.gzip)
        return self._answered(self._post(body), lines, body, points)

    def _post(self, body: bytes) -> Exception | None:
        """One request (in a poster thread when overlapped): the error, or None when written."""
        try:
            self._poster.post(body)
        except (Refused, http.client.HTTPException, OSError) as err:
            return err
        return None

    def _answered(self, err: Exception | None, lines: list[bytes] | None, body: bytes,
                  points: int = 0) -> list[bytes]:
        """What an answer means (in the sender thread): the lines still to be sent."""
        if isinstance(err, Refused):
            return self._refused(err, lines_of(lines, body))
        if err is not None:
            self._tell(f"down:{self.where}", logging.WARNING,
                       "influxdb %s unreachable (%s); queueing on disk, %d point(s) waiting",
                       self.where, type(err).__name__, self._spool.points)
            return lines_of(lines, body)
        if self._failures:
            log.info("influxdb %s answers again; %d point(s) still queued", self.where, self._spool.points)
        self._failures = 0
        self.sent += len(lines) if lines is not None else points
        return []

    def _refused(self, err: Refused, lines: list[bytes]) -> list[bytes]:
        status = err.status
        why = reason(err)
        if status == 413 and len(lines) > 1:
            half = len(lines) // 2
            rest = self._deliver(lines[:half])
            return rest + lines[half:] if rest else self._deliver(lines[half:])
        if status in (401, 403, 404):
            self._tell(f"auth:{self.where}", logging.ERROR,
                       "influxdb %s refused the write (HTTP %d: %s): check [store.influxdb] "
                       "token, org and bucket; %d point(s) kept in the queue until fixed",
                       self.where, status, why, self._spool.points + len(lines))
            return lines
        if status in (408, 429) or status >= 500:
            self._retry_after = retry_after(err)
            self._tell(f"busy:{self.where}", logging.WARNING, "influxdb %s answered HTTP %d (%s); retrying",
                       self.where, status, why)
            return lines
        self.rejected += len(lines)
        self._tell(f"bad:{self.where}:{status}:{why}", logging.ERROR, "influxdb %s rejected %d point(s) "
                   "(HTTP %d: %s); they are dropped, sending them again cannot help", self.where, len(lines),
                   status, why, every=float("inf"))
        return []

    def _tell(self, key: str, level: int, message: str, *args: object, every: float = 60.0) -> None:
        """Log a repeating condition at most once per ``every`` seconds (once ever with inf)."""
        now = time.monotonic()
        if key in self._told and now - self._told[key] < every:
            return
        if len(self._told) > 1000:  # reasons quote the server; keep the memory of them bounded
            self._told.clear()
        self._told[key] = now
        log.log(level, message, *args)
