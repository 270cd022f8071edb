"""The InfluxDB output: readings and alert transitions to any server with the v2 write API.

Writes never block the daemon: ``write`` encodes and queues in memory, a sender thread posts
gzip batches. Each answer is read for what it means (docs/schema.md, "Delivery"):

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

import email.utils
import gzip
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path

import urllib3
from influxdb_client import InfluxDBClient
from influxdb_client.rest import ApiException
from influxdb_client.service.write_service import WriteService

from monitor.core.model import Alert, Reading
from monitor.store.alert_text import alert_text_lines
from monitor.store.influx_lines import LineEncoder
from monitor.store.settings import InfluxSettings, public_url
from monitor.store.spool import Batch, Spool

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0
_MEMORY_BATCHES = 4  # batches held in memory before they are spilled to disk


class InfluxOutput:
    """Sends readings to InfluxDB from a background thread; keeps what it cannot send on disk."""

    name = "influxdb"

    def __init__(self, settings: InfluxSettings, spool_path: Path, *, first_backoff: float = 1.0) -> None:
        self.settings = settings
        self.first_backoff = first_backoff
        self.where = public_url(settings.url)
        self._told: dict[str, float] = {}  # condition -> when it was last logged
        self._encoder = LineEncoder(settings.precision)
        token = settings.token.get_secret_value() if settings.token else ""
        self._client = InfluxDBClient(url=settings.url, token=token, org=settings.org,
                                      timeout=int(settings.timeout * 1000), retries=False,
                                      verify_ssl=settings.verify_tls)
        self._writes = WriteService(self._client.api_client)
        self._spool = Spool(spool_path, max_points=settings.queue_size, name=f"influxdb {self.where}")
        self._pending: deque[list[str]] = deque()  # chunks as written, so a line is never moved alone
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
        self._enqueue(self._encoder.readings(readings))

    def write_alerts(self, alerts: Sequence[Alert]) -> None:
        """Queue alert transitions (the ``alerts`` measurement)."""
        self._enqueue(self._encoder.alerts(alerts))
        self._enqueue(alert_text_lines(alerts, precision=self.settings.precision))  # for numbers-only stores

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
        self._client.close()

    def stats(self) -> dict[str, int]:
        """Points sent, rejected by the server, waiting (memory + disk), dropped from a full queue."""
        with self._cond:
            pending = self._pending_n
        return {"sent": self.sent, "rejected": self.rejected, "queued": pending + self._spool.points,
                "dropped": self._spool.dropped}

    def _enqueue(self, lines: list[str]) -> None:
        if not lines:
            return
        with self._cond:
            self._pending.append(lines)
            self._pending_n += len(lines)
            if self._pending_n >= self.settings.batch_size:
                self._cond.notify()

    # -- the sender thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            stopping = self._wait_for_work()
            if len(self._spool):
                self._spill()  # what is newer goes behind the queue: replay stays in order
                if stopping:
                    return
                batch = self._spool.peek()
                if batch is not None and not self._replay(batch):
                    self._backoff()
                continue
            lines = self._take()
            if not lines:
                if stopping:
                    return
                continue
            undelivered = self._deliver(lines)
            if undelivered:
                self._spool.push(_gzip(undelivered), len(undelivered))
                if not stopping:
                    self._backoff()

    def _wait_for_work(self) -> bool:
        with self._cond:
            if not (self._stop.is_set() or self._flush_asked or len(self._spool)
                    or self._pending_n >= self.settings.batch_size):
                self._cond.wait(self.settings.flush_interval)
            self._flush_asked = False
            return self._stop.is_set()

    def _take(self) -> list[str]:
        """Up to batch_size lines, oldest first."""
        size = self.settings.batch_size
        taken: list[str] = []
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
            self._spool.push(_gzip(lines), len(lines))

    def _replay(self, batch: Batch) -> bool:
        undelivered = self._deliver(None, batch.body, batch.points)
        if not undelivered:
            self._spool.pop(batch)
            return True
        if len(undelivered) != batch.points:
            self._spool.replace(batch, _gzip(undelivered), len(undelivered))
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

    def _deliver(self, lines: list[str] | None, body: bytes | None = None, points: int = 0) -> list[str]:
        """Post one batch. Returns the lines still to be sent; [] when written or rejected for good."""
        if body is None:
            assert lines is not None
            body = _gzip(lines)
        try:
            self._writes.post_write(org=self.settings.org, bucket=self.settings.bucket, body=body,
                                    precision=self.settings.precision, content_encoding="gzip",
                                    content_type="text/plain; charset=utf-8")
        except ApiException as err:
            return self._refused(err, _lines(lines, body))
        except (urllib3.exceptions.HTTPError, OSError) as err:
            self._tell(f"down:{self.where}", logging.WARNING,
                       "influxdb %s unreachable (%s); queueing on disk, %d point(s) waiting",
                       self.where, type(err).__name__, self._spool.points)
            return _lines(lines, body)
        if self._failures:
            log.info("influxdb %s answers again; %d point(s) still queued", self.where, self._spool.points)
        self._failures = 0
        self.sent += len(lines) if lines is not None else points
        return []

    def _refused(self, err: ApiException, lines: list[str]) -> list[str]:
        status = int(err.status or 0)
        reason = _reason(err)
        if status == 413 and len(lines) > 1:
            half = len(lines) // 2
            rest = self._deliver(lines[:half])
            return rest + lines[half:] if rest else self._deliver(lines[half:])
        if status in (401, 403, 404):
            self._tell(f"auth:{self.where}", logging.ERROR,
                       "influxdb %s refused the write (HTTP %d: %s): check [store.influxdb] "
                       "token, org and bucket; %d point(s) kept in the queue until fixed",
                       self.where, status, reason, self._spool.points + len(lines))
            return lines
        if status in (408, 429) or status >= 500 or status == 0:
            self._retry_after = _retry_after(err)
            self._tell(f"busy:{self.where}", logging.WARNING, "influxdb %s answered HTTP %d (%s); retrying",
                       self.where, status, reason)
            return lines
        self.rejected += len(lines)
        self._tell(f"bad:{self.where}:{status}:{reason}", logging.ERROR, "influxdb %s rejected %d point(s) "
                   "(HTTP %d: %s); they are dropped, sending them again cannot help", self.where, len(lines),
                   status, reason, every=float("inf"))
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


def _lines(lines: list[str] | None, body: bytes) -> list[str]:
    return lines if lines is not None else gzip.decompress(body).decode().split("\n")


def _gzip(lines: list[str]) -> bytes:
    # Level 1: level 9 (the client's own) costs more CPU than the whole encoding, for ~20 % less size.
    return gzip.compress("\n".join(lines).encode(), compresslevel=1)


def _reason(err: ApiException) -> str:
    body = err.body.decode(errors="replace") if isinstance(err.body, bytes) else str(err.body or "")
    return (body or str(err.reason or "")).strip()[:300]


def _retry_after(err: ApiException) -> float:
    headers: Mapping[str, str] = err.headers or {}
    value = headers.get("Retry-After", "")
    if not value:
        return 0.0
    try:
        return min(MAX_BACKOFF * 10, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    return min(MAX_BACKOFF * 10, max(0.0, when.timestamp() - time.time()))
