"""A durable outbox in SQLite: what must be told, to whom, and what was last told.

A message and the notification-log entry that records it are written in one transaction, so a
``kill -9`` at any point leaves either both or neither; delivery works from the outbox until the
receiver accepts, so a notifier that is down delays messages but never drops them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from monitor.model import AlertState

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try REAL NOT NULL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_try);
CREATE TABLE IF NOT EXISTS notified (
    fingerprint TEXT NOT NULL,
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    ts REAL NOT NULL,
    labels TEXT NOT NULL,
    PRIMARY KEY (fingerprint, target)
);
CREATE TABLE IF NOT EXISTS delivered (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    state TEXT NOT NULL,
    created REAL NOT NULL,
    delivered REAL NOT NULL,
    attempts INTEGER NOT NULL
);
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One queued message for one receiver."""

    id: int
    target: str
    fingerprint: str
    state: AlertState
    title: str
    body: str
    created: float
    attempts: int


class Outbox:
    """SQLite-backed queue plus notification log. Safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a page, once decided, must survive power loss
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def last_told(self, fingerprint: str, target: str) -> AlertState | None:
        """What this receiver was last told about this alert, if anything."""
        with self._lock:
            row = self._db.execute(
                "SELECT state FROM notified WHERE fingerprint=? AND target=?", (fingerprint, target)
            ).fetchone()
        return AlertState(row[0]) if row else None

    def enqueue(
        self,
        *,
        target: str,
        fingerprint: str,
        state: AlertState,
        labels: Mapping[str, str],
        title: str,
        body: str,
        now: float,
    ) -> None:
        """Queue a message and record it as told, atomically."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO outbox (target, fingerprint, state, title, body, created, next_try)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (target, fingerprint, state.value, title, body, now, now),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO notified VALUES (?, ?, ?, ?, ?)",
                    (fingerprint, target, state.value, now, json.dumps(dict(labels), sort_keys=True)),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def due(self, now: float, limit: int = 100) -> list[Message]:
        """Messages whose next try has come, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, target, fingerprint, state, title, body, created, attempts FROM outbox"
                " WHERE next_try <= ? ORDER BY id LIMIT ?",
                (now, limit),
            ).fetchall()
        return [
            Message(id=r[0], target=r[1], fingerprint=r[2], state=AlertState(r[3]), title=r[4],
                    body=r[5], created=r[6], attempts=r[7])
            for r in rows
        ]

    def done(self, message: Message, now: float) -> None:
        """The receiver accepted it: move it to the delivery log."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM outbox WHERE id=?", (message.id,))
            self._db.execute(
                "INSERT INTO delivered VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message.id, message.target, message.fingerprint, message.state.value,
                 message.created, now, message.attempts + 1),
            )
            self._db.execute("COMMIT")

    def failed(self, message: Message, *, error: str, next_try: float) -> None:
        """It was not accepted: count the attempt and set the next try."""
        with self._lock:
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_try = ?, last_error = ? WHERE id = ?",
                (next_try, error[:500], message.id),
            )

    def pending(self) -> int:
        """How many messages wait for delivery."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def next_due(self) -> float | None:
        """When the earliest waiting message is due, if any."""
        with self._lock:
            row = self._db.execute("SELECT min(next_try) FROM outbox").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
