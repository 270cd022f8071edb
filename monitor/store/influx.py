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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor.core.model import Alert, Reading
from monitor.store.alert_text import alert_text_lines
from monitor.store.influx_lines import LineEncoder
from monitor.store.influx_wire import (
    MAX_BACKOFF,
    Poster,
    Refused,
    gzipped,
    join_lines,
    lines_of,
    reason,
    retry_after,
)
from monitor.store.settings import InfluxSettings, public_url
from monitor.store.spool import Batch, Spool

log = logging.getLogger(__name__)

IN_FLIGHT = 2  # requests on the wire at once: one is compressed and sent while the other is answered
_MEMORY_BATCHES = 4  # batches held in memory before they are spilled to disk


@dataclass(frozen=True, slots=True, kw_only=True)
class _Flight:
    """A posted batch waiting for its answer."""

    body: bytes  # newline-terminated lines, compressed if asked
    points: int
    lane: int  # the connection it went on
    error: Exception | None  # why it could not even be sent


class InfluxOutput:
    """Sends readings to InfluxDB from a background thread; keeps what it cannot send on disk."""

    name = "influxdb"

    def __init__(self, settings: InfluxSettings, spool_path: Path, *, first_backoff: float = 1.0) -> None:
        self.settings = settings
        self.first_backoff = first_backoff
        self.where = public_url(settings.url)
        self._told: dict[str, float] = {}  # condition -> when it was last logged
        self._encoder = LineEncoder(settings.precision)  # the sender thread's
        self._alert_encoder = LineEncoder(settings.precision)  # the daemon's
        self._poster = Poster(settings, lanes=IN_FLIGHT)
        self._spool = Spool(spool_path, max_points=settings.queue_size, name=f"influxdb {self.where}")
        # What was written, in order, with its size: readings (at most batch_size each), encoded
        # by the sender thread, not the daemon's loop, or alert lines already encoded
        # (newline-terminated). A batch joins whole ones: lines are never split and joined again.
        self._pending: deque[tuple[Sequence[Reading] | bytes, int]] = deque()
        self._pending_n = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._flush_asked = False
        self._failures = 0
        self._retry_after = 0.0
        self.sent = 0
        self.rejected = 0
        self._thread = threading.Thread(target=self._run, name="influx-output", daemon=True)
        self._thread.start()

    # -- the daemon's side ---------------------------------------------------------------------

    def write(self, readings: Sequence[Reading]) -> None:
        """Queue readings for sending."""
        size = self.settings.batch_size
        for i in range(0, len(readings), size):
            part = readings[i:i + size]  # a copy: the caller's list is the caller's
            self._enqueue(part, len(part))

    def write_alerts(self, alerts: Sequence[Alert]) -> None:
        """Queue alert transitions (the ``alerts`` measurement)."""
        precision = self.settings.precision
        lines = self._alert_encoder.alerts(alerts) + alert_text_lines(alerts, precision=precision)
        # alert_text: for numbers-only stores
        self._enqueue("".join(line + "\n" for line in lines).encode(), len(lines))

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
        self._spool.close()
        self._poster.close()

    def stats(self) -> dict[str, int]:
        """Points sent, rejected by the server, waiting (memory + disk), dropped from a full queue."""
        with self._cond:
            pending = self._pending_n
        return {"sent": self.sent, "rejected": self.rejected, "queued": pending + self._spool.points,
                "dropped": self._spool.dropped}

    def _enqueue(self, body: Sequence[Reading] | bytes, points: int) -> None:
        if not points:
            return
        size = self.settings.batch_size
        with self._cond:
            self._pending.append((body, points))
            self._pending_n += points
            # Wake the sender when a batch fills, not on every write after: notify costs more than
            # the rest of a write, and a sender that is not waiting sees the count when it looks.
            if self._pending_n >= size > self._pending_n - points:
                self._cond.notify()

    # -- the sender thread ---------------------------------------------------------------------

    def _run(self) -> None:
        # Batches posted and not yet answered, oldest first, one per connection: while they are
        # on the wire the next is encoded (compressed if asked), and posted once the oldest is
        # answered. Answers are read in order, so what fails reaches the durable queue in the
        # order it was written. One thread does it all: sending does not wait for the answer.
        flight: deque[_Flight] = deque()
        ready: tuple[bytes, int] | None = None  # the next batch, encoded while others are out
        while True:
            stopping = self._wait_for_work(busy=bool(flight) or ready is not None)
            if len(self._spool):
                self._to_disk(ready)  # older than what still waits in memory
                ready = None
                self._spill()  # what is newer goes behind the queue: replay stays in order
                if stopping:
                    return
                batch = self._spool.peek()
                if batch is not None and not self._replay(batch):
                    self._backoff()
                continue
            # Encode ahead only a full batch: a partial one may still grow while it waits.
            if ready is None and (len(flight) < IN_FLIGHT or self._full()):
                ready = self._take()
            if ready is not None and len(flight) < IN_FLIGHT:
                body, points = ready
                ready = None
                if points:  # none when every value was non-finite
                    lane = next(i for i in range(IN_FLIGHT) if all(f.lane != i for f in flight))
                    error = self._attempt(self._poster.send, body, lane)
                    flight.append(_Flight(body=body, points=points, lane=lane, error=error))
                continue
            if flight:
                if self._settle(flight):
                    # Failed: everything after it is settled too (queued in order), then wait.
                    while flight:
                        self._settle(flight)
                    self._to_disk(ready)
                    ready = None
                    if not stopping:
                        self._backoff()
                continue
            if stopping:
                return

    def _settle(self, flight: deque[_Flight]) -> bool:
        """Read the oldest answer; queue what it left undelivered on disk. True if it failed."""
        head = flight.popleft()
        error = head.error or self._attempt(self._poster.answer, head.body, head.lane)
        undelivered = self._answered(error, None, head.body, head.points, head.lane)
        if undelivered:
            # On disk it is always gzip: a full queue of plain bodies would take ten times the space.
            zipped = head.body if len(undelivered) == head.points and self.settings.gzip else None
            self._spool.push(zipped or join_lines(undelivered, compress=True), len(undelivered))
        return bool(undelivered)

    def _wait_for_work(self, busy: bool = False) -> bool:
        with self._cond:
            if not (busy or self._stop.is_set() or self._flush_asked or len(self._spool)
                    or self._pending_n >= self.settings.batch_size):
                self._cond.wait(self.settings.flush_interval)
            self._flush_asked = False
            return self._stop.is_set()

    def _take(self) -> tuple[bytes, int] | None:
        """What was written, oldest first, up to batch_size lines (at least one write's) as one
        body and its line count; None when nothing waits."""
        size = self.settings.batch_size
        taken: list[tuple[Sequence[Reading] | bytes, int]] = []
        count = 0
        with self._cond:
            while self._pending and (not taken or count + self._pending[0][1] <= size):
                part, n = self._pending.popleft()
                taken.append((part, n))
                count += n
            self._pending_n -= count
        if not taken:
            return None
        # Readings of consecutive writes (a device's poll each) are encoded together: per call,
        # the encoder costs a third more a point for a switch's 20 than for a thousand.
        bodies: list[bytes] = []
        readings: list[Reading] = []
        points = 0
        for part, n in taken:
            if isinstance(part, bytes):  # alert lines, encoded when written
                points += self._encode(readings, bodies)
                bodies.append(part)
                points += n
            else:
                readings.extend(part)
        points += self._encode(readings, bodies)
        body = b"".join(bodies)
        return (gzipped(body) if self.settings.gzip else body), points

    def _encode(self, readings: list[Reading], bodies: list[bytes]) -> int:
        """Encode ``readings`` onto ``bodies`` and empty the list; the lines made (a non-finite
        value makes none)."""
        if not readings:
            return 0
        try:
            body, lines = self._encoder.body(readings)
        except Exception:  # an encoder bug must not stop this thread and, with it, the output
            log.exception("influxdb %s: %d reading(s) could not be encoded; dropped", self.where,
                          len(readings))
            self.rejected += len(readings)
            lines = 0
        else:
            bodies.append(body)
        readings.clear()
        return lines

    def _full(self) -> bool:
        with self._cond:
            return self._pending_n >= self.settings.batch_size

    def _to_disk(self, batch: tuple[bytes, int] | None) -> None:
        """Put a batch taken but not posted on disk, always gzip."""
        if batch is not None and batch[1]:
            body, points = batch
            self._spool.push(body if self.settings.gzip else gzipped(body), points)

    def _spill(self) -> None:
        while (taken := self._take()) is not None:
            self._to_disk(taken)

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

    def _deliver(self, lines: list[bytes] | None, body: bytes | None = None, points: int = 0,
                 lane: int = 0) -> list[bytes]:
        """Post one batch on a free ``lane`` and wait. Returns the lines still to be sent; []
        when written or rejected for good."""
        if body is None:
            assert lines is not None
            body = join_lines(lines, compress=self.settings.gzip)
        return self._answered(self._attempt(self._poster.post, body, lane), lines, body, points, lane)

    @staticmethod
    def _attempt(call: Callable[[bytes, int], None], body: bytes, lane: int) -> Exception | None:
        """One step of a request (send, read the answer, or both): the error, or None."""
        try:
            call(body, lane)
        except (Refused, http.client.HTTPException, OSError) as err:
            return err
        return None

    def _answered(self, err: Exception | None, lines: list[bytes] | None, body: bytes,
                  points: int = 0, lane: int = 0) -> list[bytes]:
        """What an answer means: the lines still to be sent."""
        if isinstance(err, Refused):
            return self._refused(err, lines_of(lines, body), lane)
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

    def _refused(self, err: Refused, lines: list[bytes], lane: int) -> list[bytes]:
        status = err.status
        why = reason(err)
        if status == 413 and len(lines) > 1:
            half = len(lines) // 2
            rest = self._deliver(lines[:half], lane=lane)
            return rest + lines[half:] if rest else self._deliver(lines[half:], lane=lane)
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
