"""The pipeline's one SQLite file (``STATE_DIR/alerts.db``): schema, lock, transactions.

Every decision to tell someone something is written in the same transaction as the
notification-log entry recording it, so a ``kill -9`` at any point leaves either both or
neither. The CLI (``silence``, ``ack``) writes to the same file while the daemon runs (WAL).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from monitor.core.sqlite_upgrade import upgrade

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
    last_error TEXT,
    fell_back INTEGER NOT NULL DEFAULT 0,
    params TEXT NOT NULL DEFAULT '{}'
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
    attempts INTEGER NOT NULL,
    merged_into INTEGER
);
CREATE TABLE IF NOT EXISTS nflog (
    group_key TEXT NOT NULL,
    receiver TEXT NOT NULL,
    firing TEXT NOT NULL,
    ts REAL NOT NULL,
    sent INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (group_key, receiver)
);
CREATE TABLE IF NOT EXISTS groups (
    group_key TEXT PRIMARY KEY,
    created REAL NOT NULL,
    last_flush REAL
);
CREATE TABLE IF NOT EXISTS alerts (
    fingerprint TEXT PRIMARY KEY,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS silences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    matchers TEXT NOT NULL,
    starts REAL NOT NULL,
    ends REAL NOT NULL,
    comment TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS acks (
    fingerprint TEXT PRIMARY KEY,
    fired_at REAL,
    acked_by TEXT NOT NULL,
    comment TEXT NOT NULL,
    ts REAL NOT NULL
);
-- Every acknowledgement ever made, never deleted: the weekly report measures time to
-- acknowledge of incidents that are long resolved (acks above is only the live set).
CREATE TABLE IF NOT EXISTS ack_log (
    fingerprint TEXT NOT NULL,
    fired_at REAL,
    acked_by TEXT NOT NULL,
    comment TEXT NOT NULL,
    ts REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS notices (
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    ts REAL NOT NULL,
    PRIMARY KEY (fingerprint, kind)
);
"""


class Database:
    """One connection shared by the daemon's threads, serialised by a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a page, once decided, must survive power loss
        upgrade(self._db, _SCHEMA, str(path))
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All writes inside commit together or not at all."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read."""
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()
