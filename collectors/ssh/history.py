"""Every saved version of every device's (masked) running configuration, in SQLite.

The file is ``STATE_DIR/configs.db``: one row per version (device, number, time, SHA-256,
text, the maintenance window it fell in) and one row per device with the time of the last
successful backup. Only masked text ever reaches it. SQLite rather than a git repository:
concurrent writers from worker threads need no index locking, and one file is easy to back up.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from monitor.core.sqlite_upgrade import upgrade

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    device TEXT NOT NULL, version INTEGER NOT NULL, ts REAL NOT NULL, sha256 TEXT NOT NULL,
    text TEXT NOT NULL, window TEXT NOT NULL DEFAULT '', PRIMARY KEY (device, version));
CREATE TABLE IF NOT EXISTS checked (device TEXT PRIMARY KEY, ts REAL NOT NULL);
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Version:
    """One saved configuration: its number (1, 2, …), time, hash, text and window name."""

    device: str
    version: int
    ts: float
    sha256: str
    text: str
    window: str


class ConfigHistory:
    """Versions in one SQLite file; safe to share between threads of one process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
            upgrade(self._db, _SCHEMA, str(self.path))
        return self._db

    def latest(self, device: str) -> Version | None:
        """The newest version of a device, or None before its first backup."""
        rows = self._select("WHERE device = ? ORDER BY version DESC LIMIT 1", (device,))
        return rows[0] if rows else None

    def get(self, device: str, version: int) -> Version | None:
        """One version by number."""
        rows = self._select("WHERE device = ? AND version = ?", (device, version))
        return rows[0] if rows else None

    def versions(self, device: str) -> list[Version]:
        """Every version of a device, oldest first."""
        return self._select("WHERE device = ? ORDER BY version", (device,))

    def add(self, device: str, text: str, ts: float, window: str = "") -> Version:
        """Save ``text`` (already masked) as the device's next version."""
        digest = hashlib.sha256(text.encode()).hexdigest()
        with self._lock:
            db = self._conn()
            with db:
                row = db.execute(
                    "SELECT COALESCE(MAX(version), 0) FROM versions WHERE device = ?", (device,)
                ).fetchone()
                number = int(row[0]) + 1
                db.execute("INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?)",
                           (device, number, ts, digest, text, window))
        return Version(device=device, version=number, ts=ts, sha256=digest, text=text, window=window)

    def mark_checked(self, device: str, ts: float) -> None:
        """Remember a successful backup run (changed or not)."""
        with self._lock:
            db = self._conn()
            with db:
                db.execute("INSERT INTO checked VALUES (?, ?) ON CONFLICT(device) "
                           "DO UPDATE SET ts = excluded.ts", (device, ts))

    def last_checked(self, device: str) -> float | None:
        """When the device's configuration was last fetched successfully."""
        with self._lock:
            row = self._conn().execute("SELECT ts FROM checked WHERE device = ?", (device,)).fetchone()
        return float(row[0]) if row else None

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _select(self, where: str, args: tuple[object, ...]) -> list[Version]:
        with self._lock:
            rows = self._conn().execute(
                f"SELECT device, version, ts, sha256, text, window FROM versions {where}", args
            ).fetchall()
        return [Version(device=r[0], version=r[1], ts=r[2], sha256=r[3], text=r[4], window=r[5])
                for r in rows]
