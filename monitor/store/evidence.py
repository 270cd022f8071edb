"""The syslog evidence store: every received message in its own SQLite file, hash-chained per day.

Each day's rows are numbered 1, 2, … and each row's hash is SHA-256 of the previous row's hash
and the row's own fields, so changing, inserting or deleting a row breaks that day's chain
from there on. When a day is over its head hash is sealed as the day's digest: written to the
``days`` table, appended to a plain digest file beside the database (``<db>.digests``, one line
a day) and printed on the daily record, so even a chain recomputed by whoever can write the
database disagrees with the digests kept elsewhere. ``monitor.store.evidence_check`` verifies
and searches. Days older than the retention are deleted whole (their digest lines stay).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)

_sha256 = hashlib.sha256
_SEP = b"\x1f"

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    received REAL NOT NULL,
    source TEXT NOT NULL,
    device TEXT NOT NULL,
    facility INTEGER NOT NULL,
    severity INTEGER NOT NULL,
    stamp TEXT NOT NULL,
    host TEXT NOT NULL,
    app TEXT NOT NULL,
    text TEXT NOT NULL,
    raw BLOB NOT NULL,
    truncated INTEGER NOT NULL,
    event TEXT NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_day ON messages(day, seq);
CREATE TABLE IF NOT EXISTS days (
    day TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    head BLOB NOT NULL,
    digest TEXT NOT NULL DEFAULT '',
    sealed_at REAL
);
"""
COLUMNS = ("day, seq, received, source, device, facility, severity, stamp, host, app, text, raw, "
           "truncated, event, hash")


class Entry(Protocol):
    """What the store needs of a message (collectors.syslog.parse.Message has it)."""

    @property
    def received(self) -> float: ...
    @property
    def source(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def facility(self) -> int: ...
    @property
    def severity(self) -> int: ...
    @property
    def stamp(self) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def app(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def raw(self) -> bytes: ...
    @property
    def truncated(self) -> bool: ...
    @property
    def event(self) -> str: ...


_ROWS = 500  # rows per INSERT statement (7,500 parameters; SQLite allows 32,766 since 3.32)
_NCOLS = COLUMNS.count(",") + 1


@functools.lru_cache(maxsize=64)
def _insert(rows: int) -> str:
    """``INSERT`` of ``rows`` rows in one statement. Python's sqlite3 lets go of the GIL for
    every step; one step per row (executemany) hands it to the receiver's loop thread hundreds
    of times a batch and waits a switch interval each time to get it back, so few steps it is."""
    return f"INSERT INTO messages ({COLUMNS}) VALUES " + ",".join([f"({','.join('?' * _NCOLS)})"] * rows)


def genesis(day: str) -> bytes:
    """The hash a day's chain starts from."""
    return hashlib.sha256(b"roomwatch-syslog-chain" + _SEP + day.encode()).digest()


def link(prev: bytes, day: str, seq: int, received: float, source: str, device: str, facility: int,
         severity: int, stamp: str, host: str, app: str, text: str, raw: bytes, truncated: int,
         event: str) -> bytes:
    """One row's hash: the previous hash and every stored field of the row, text fields with
    their length first so that no two different rows spell the same bytes."""
    head = (f"{day}|{seq}|{float(received)!r}|{facility}|{severity}|{int(truncated)}|{len(source)}:{source}"
            f"{len(device)}:{device}{len(stamp)}:{stamp}{len(host)}:{host}{len(app)}:{app}{len(event)}:{event}"
            f"{len(text)}:{text}{len(raw)}:")
    return _sha256(prev + head.encode("utf-8", "surrogatepass") + raw).digest()


def day_of(ts: float, zone: dt.tzinfo | None = None) -> str:
    """The calendar day (YYYY-MM-DD) of ``ts`` in ``zone`` (None: this machine's zone)."""
    return dt.datetime.fromtimestamp(ts, zone).strftime("%Y-%m-%d") if zone else \
        dt.datetime.fromtimestamp(ts).astimezone().strftime("%Y-%m-%d")


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection to the evidence database (created, with its schema, unless ``readonly``)."""
    if readonly:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
    db.execute("PRAGMA busy_timeout=5000")
    return db


def digests_path(path: Path) -> Path:
    """The digest file kept beside the database."""
    return path.with_name(path.name + ".digests")


@dataclass(frozen=True, slots=True, kw_only=True)
class Chained:
    """A batch linked into its days' chains, ready to write: its rows' values one after the other
    (``COLUMNS`` each: one flat list binds straight into a many-row INSERT) and each day's new head."""

    count: int
    values: list[object]
    heads: dict[str, tuple[int, bytes]]


class Evidence:
    """Appends messages to their day's chain; seals finished days; deletes expired ones.

    Appending is two steps so a receiver can keep the CPU work and the disk apart: ``chain``
    (hashing, pure Python: best on the thread that parses, where it does not fight a worker
    thread for the GIL) and ``write`` (one transaction; may run in a worker thread, one at a
    time). ``append`` does both. A write that fails rolls back and the chain goes on from what
    the database holds, so the lost batch is a gap in the count, never a broken chain."""

    def __init__(self, path: Path, *, retention_s: float = 180 * 86400.0,
                 zone: dt.tzinfo | None = None) -> None:
        self.path = Path(path)
        self.retention_s = retention_s
        self.zone = zone
        self.stored = 0
        self._lock = threading.Lock()        # the connection
        self._chain = threading.Lock()       # the heads (chain runs where the connection may be busy)
        self._db = connect(self.path)
        self._heads = self._stored_heads()

    def append(self, entries: Sequence[Entry]) -> int:
        """Store ``entries`` in one transaction, each linked into its day's chain."""
        return self.write(self.chain(entries))

    def chain(self, entries: Sequence[Entry]) -> Chained:
        """Link ``entries`` into their days' chains (in order; no I/O). Write the result next,
        before chaining another batch."""
        values: list[object] = []
        add = values.extend
        touched: dict[str, tuple[int, bytes]] = {}
        zone = self.zone
        last_day, last_sec = "", -1
        with self._chain:
            heads = self._heads
            for e in entries:
                received = e.received
                sec = int(received)
                if sec != last_sec:  # a day changes at most once a second: skip the calendar maths
                    last_day, last_sec = day_of(received, zone), sec
                day = last_day
                seq, prev = heads.get(day) or (0, genesis(day))
                seq += 1
                trunc = 1 if e.truncated else 0
                h = link(prev, day, seq, received, e.source, e.device, e.facility, e.severity, e.stamp,
                         e.host, e.app, e.text, e.raw, trunc, e.event)
                heads[day] = touched[day] = (seq, h)
                add((day, seq, received, e.source, e.device, e.facility, e.severity, e.stamp,
                     e.host, e.app, e.text, e.raw, trunc, e.event, h))
        return Chained(count=len(entries), values=values, heads=touched)

    def write(self, batch: Chained) -> int:
        """Write a chained batch in one transaction; on failure the chain is reset to what is
        stored and the error raised (the caller counts the batch as lost)."""
        if not batch.count:
            return 0
        with self._lock:
            try:
                with self._db:
                    values, step = batch.values, _ROWS * _NCOLS
                    for i in range(0, len(values), step):
                        chunk = values[i:i + step]
                        self._db.execute(_insert(len(chunk) // _NCOLS), chunk)
                    self._db.executemany(
                        "INSERT INTO days (day, count, head) VALUES (?, ?, ?) ON CONFLICT(day) "
                        "DO UPDATE SET count = excluded.count, head = excluded.head",
                        [(day, seq, h) for day, (seq, h) in batch.heads.items()])
            except sqlite3.Error:
                with self._chain, contextlib.suppress(sqlite3.Error):
                    self._heads = self._stored_heads()
                raise
            self.stored += batch.count
        return batch.count

    def _stored_heads(self) -> dict[str, tuple[int, bytes]]:
        return {day: (count, bytes(head)) for day, count, head in
                self._db.execute("SELECT day, count, head FROM days")}

    def seal(self, now: float) -> list[tuple[str, int, str]]:
        """Seal every day before today (by ``now``) that is not sealed yet: its digest is its head
        hash, kept in ``days`` and appended to the digest file. Returns (day, count, digest)."""
        today = day_of(now, self.zone)
        with self._lock:
            open_days = self._db.execute(
                "SELECT day, count, head FROM days WHERE digest = '' AND day < ? ORDER BY day",
                (today,)).fetchall()
            sealed = [(day, count, bytes(head).hex()) for day, count, head in open_days]
            if not sealed:
                return []
            with digests_path(self.path).open("a", encoding="ascii") as fh:
                for day, count, digest in sealed:
                    fh.write(f"{day} {count} {digest}\n")
            with self._db:
                self._db.executemany("UPDATE days SET digest = ?, sealed_at = ? WHERE day = ?",
                                     [(digest, now, day) for day, _count, digest in sealed])
        for day, count, digest in sealed:
            log.info("syslog evidence: day %s sealed: %d message(s), digest %s", day, count, digest)
        return sealed

    def prune(self, now: float) -> int:
        """Delete whole days older than the retention; returns the messages deleted."""
        cutoff = day_of(now - self.retention_s, self.zone)
        with self._lock, self._db:
            gone = self._db.execute("DELETE FROM messages WHERE day < ?", (cutoff,)).rowcount
            self._db.execute("DELETE FROM days WHERE day < ?", (cutoff,))
            with self._chain:
                for day in [d for d in self._heads if d < cutoff]:
                    del self._heads[day]
        if gone:
            log.info("syslog evidence: deleted %d message(s) of days before %s (retention)", gone, cutoff)
        return gone

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
