"""A durable first-in-first-out queue of write batches, kept on disk while an output is down.

Each batch is one SQLite row holding the gzip-compressed line protocol that would have been
sent, so a replay posts exactly the bytes that failed, in the order they failed, after a daemon
restart too. The queue is bounded by points: when full, the oldest batches go, and every point
that goes is counted and told loudly — never dropped silently.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from monitor.core.sqlite_upgrade import upgrade

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    points INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
_LOUD_EVERY = 60.0


@dataclass(frozen=True, slots=True)
class Batch:
    """One queued batch: its row id, how many points it holds, its gzip body."""

    id: int
    points: int
    body: bytes


class Spool:
    """The queue of one output. Thread-safe; every change is committed before it returns."""

    def __init__(self, path: Path, *, max_points: int, name: str = "influxdb",
                 setting: str = "[store.influxdb] queue_size") -> None:
        self.path = path
        self.setting = setting  # the option that sizes this queue, named when it overflows
        self.max_points = max_points
        self.name = name
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        upgrade(self._conn, _SCHEMA, str(path))
        row = self._conn.execute("SELECT COUNT(*), COALESCE(SUM(points), 0) FROM batches").fetchone()
        self._batches, self._points = int(row[0]), int(row[1])
        self.dropped = self._counter("dropped")
        self._told_at = 0.0
        self._told_dropped = self.dropped
        if self._batches:
            log.warning("%s: %d point(s) in %d batch(es) queued from before; replaying them first",
                        name, self._points, self._batches)

    @property
    def points(self) -> int:
        """Points waiting in the queue."""
        return self._points

    def __len__(self) -> int:
        return self._batches

    def push(self, body: bytes, points: int) -> None:
        """Append a batch; if the queue would overflow, drop the oldest batches (counted, told)."""
        with self._lock, self._conn:
            dropped = 0
            while self._batches and self._points + points > self.max_points:
                oldest = self._conn.execute("SELECT id, points FROM batches ORDER BY id LIMIT 1").fetchone()
                self._conn.execute("DELETE FROM batches WHERE id = ?", (oldest[0],))
                self._batches -= 1
                self._points -= oldest[1]
                dropped += oldest[1]
            if points > self.max_points:
                dropped += points  # a batch larger than the whole queue cannot be kept at all
            else:
                self._conn.execute("INSERT INTO batches (points, body) VALUES (?, ?)", (points, body))
                self._batches += 1
                self._points += points
            if dropped:
                self.dropped += dropped
                self._conn.execute("INSERT OR REPLACE INTO counters VALUES ('dropped', ?)", (self.dropped,))
        if dropped:
            self._tell_dropped()

    def peek(self) -> Batch | None:
        """The oldest batch, left in the queue until ``pop``."""
        with self._lock:
            row = self._conn.execute("SELECT id, points, body FROM batches ORDER BY id LIMIT 1").fetchone()
        return None if row is None else Batch(int(row[0]), int(row[1]), bytes(row[2]))

    def pop(self, batch: Batch) -> None:
        """Remove a batch that has been delivered (or rejected for good)."""
        with self._lock, self._conn:
            if self._conn.execute("DELETE FROM batches WHERE id = ?", (batch.id,)).rowcount:
                self._batches -= 1
                self._points -= batch.points

    def replace(self, batch: Batch, body: bytes, points: int) -> None:
        """Keep only the undelivered part of a batch, in its place at the head of the queue."""
        with self._lock, self._conn:
            if self._conn.execute("UPDATE batches SET body = ?, points = ? WHERE id = ?",
                                  (body, points, batch.id)).rowcount:
                self._points += points - batch.points

    def close(self) -> None:
        """Close the database; what is queued stays for the next start."""
        with self._lock:
            self._conn.close()

    def _counter(self, name: str) -> int:
        row = self._conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return 0 if row is None else int(row[0])

    def _tell_dropped(self) -> None:
        now = time.monotonic()
        if now - self._told_at < _LOUD_EVERY and self._told_at:
            return
        log.error("%s: QUEUE FULL (%d points): dropped %d oldest point(s) since last told, %d in all; "
                  "the server has been unreachable too long or %s is too small",
                  self.name, self.max_points, self.dropped - self._told_dropped, self.dropped, self.setting)
        self._told_at, self._told_dropped = now, self.dropped
