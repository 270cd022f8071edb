"""Schema, SQL, connection set-up, row codecs and error mapping of the embedded SQLite store."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.core.errors import StoreError
from monitor.core.model import Alert, AlertState, Labels, Severity

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2

HOUR_S = 3600
"""The rollup bucket."""


# Samples and rollups are WITHOUT ROWID tables clustered on (series_id, time): one b-tree per
# table instead of a rowid table plus an index, so a row is written once and a per-series range
# read is one seek. There is deliberately no index on ts: retention deletes per series through
# the primary key (see PRUNE_SAMPLES), which measured 4x faster than `ts < ?` over a ts index,
# and the extra index cost ~20% of write speed and ~60% of file size.
# Foreign keys are not declared because SQLite would not enforce them (foreign_keys is off).
def hour_of(ts: str) -> str:
    """SQL for the start of the hour of the SQL expression ``ts``: floor(ts / 3600) * 3600, as
    Python's ``ts // 3600 * 3600`` (CAST truncates toward zero, so negative times step back one)."""
    q = f"CAST(({ts}) / {HOUR_S} AS INTEGER)"
    return f"(({q} - ({q} * {HOUR_S} > ({ts}))) * {HOUR_S})"


_MIGRATIONS: dict[int, str] = {
    1: """
CREATE TABLE series (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: readers cache ids
    metric TEXT NOT NULL,
    labels TEXT NOT NULL,            -- canonical JSON: sorted keys, no spaces, UTF-8
    UNIQUE (metric, labels)
);
CREATE TABLE samples (
    series_id INTEGER NOT NULL,
    ts REAL NOT NULL,                -- epoch seconds
    value REAL,                      -- NULL stands for NaN (SQLite stores NaN as NULL)
    PRIMARY KEY (series_id, ts)
) WITHOUT ROWID;
CREATE TABLE rollups (
    series_id INTEGER NOT NULL,
    hour INTEGER NOT NULL,           -- floor(ts / 3600) * 3600, UTC
    min REAL NOT NULL,
    max REAL NOT NULL,
    sum REAL NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (series_id, hour)
) WITHOUT ROWID;
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,                -- when this transition happened (the state's own time)
    fingerprint TEXT NOT NULL,
    rule TEXT NOT NULL,
    state TEXT NOT NULL,
    severity TEXT NOT NULL,
    labels TEXT NOT NULL,
    value REAL,
    active_at REAL NOT NULL,
    fired_at REAL,
    resolved_at REAL,
    summary TEXT NOT NULL,
    clause TEXT NOT NULL,
    annotations TEXT NOT NULL
);
CREATE INDEX alerts_ts ON alerts (ts);
CREATE INDEX alerts_fingerprint ON alerts (fingerprint, ts);
""",
    # Version 2 appends: a point first lands in `recent`, clustered on (ts, series_id), where
    # points arriving in time order are appended to the b-tree's last pages. In `samples`,
    # clustered per series, each point of a scrape fell on another series' page, so a flush of
    # 5,000 points rewrote ~5,000 pages into the WAL (and a rollup upsert per point). Every 10
    # minutes one transaction moves the closed step to `samples` in series order (one page per
    # series) and merges it into the hourly rollups with one GROUP BY (sqlite_buckets.py).
    # `sealed` is that boundary: every point before it is in samples and counted in its hour's
    # rollup, every point after it is in recent. An upgraded file's data all counts as sealed.
    # Measured (bench_store, 10,000 series, median of 6 runs on a loaded box): 0.18x raw
    # executemany before (~120,000 points/s), 0.29x after (~210,000), closing included.
    # recent keeps a primary key, although an unindexed rowid append measured up to ~1.3x
    # faster, because it gives first-write-wins and time-range reads of the open step.
    2: f"""
CREATE TABLE recent (
    ts REAL NOT NULL,
    series_id INTEGER NOT NULL,
    value REAL,
    PRIMARY KEY (ts, series_id)
) WITHOUT ROWID;
CREATE TABLE sealed (hour INTEGER NOT NULL);
INSERT INTO sealed (hour)
SELECT coalesce(max(last), 0) FROM (
    SELECT (SELECT max(hour) FROM rollups WHERE series_id = s.id) + {HOUR_S} AS last FROM series s
    UNION ALL
    SELECT {hour_of("(SELECT max(ts) FROM samples WHERE series_id = s.id)")} + {HOUR_S} FROM series s
);
""",
}

INSERT_SERIES = "INSERT OR IGNORE INTO series (metric, labels) VALUES (?, ?)"
SELECT_SERIES_ID = "SELECT id FROM series WHERE metric = ? AND labels = ?"
SELECT_NEW_SERIES = "SELECT id, metric, labels FROM series WHERE id > ?"
# First write of a (series, ts) wins, so a re-sent batch is idempotent.
INSERT_RECENT = "INSERT OR IGNORE INTO recent (ts, series_id, value) VALUES (?, ?, ?)"
# A point older than the sealed boundary (a late or re-sent one, rare) goes where its hour is.
INSERT_SAMPLE = "INSERT OR IGNORE INTO samples (series_id, ts, value) VALUES (?, ?, ?)"
# One hour's rollup merged into what the hour already has.
_MERGE_ROLLUP = """
ON CONFLICT (series_id, hour) DO UPDATE SET
    min = min(rollups.min, excluded.min),
    max = max(rollups.max, excluded.max),
    sum = rollups.sum + excluded.sum,
    count = rollups.count + excluded.count
"""
UPSERT_ROLLUP = """
INSERT INTO rollups (series_id, hour, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?)
""" + _MERGE_ROLLUP
SELECT_SEALED = "SELECT hour FROM sealed"
UPDATE_SEALED = "UPDATE sealed SET hour = ?"
# An opposite infinity in the same series and hour (?1, ?2), in recent or already in the hour's
# rollup sum: their sum would be NaN, which rollups.sum refuses. Only run for an infinite value.
SELECT_OPPOSITE = """
SELECT 1 FROM recent WHERE ts >= ?1 AND ts < ?2 AND series_id = ?3 AND value = ?4
UNION ALL
SELECT 1 FROM rollups WHERE series_id = ?3 AND hour = ?1 AND sum = ?4
"""
# Closing the steps before ?1: in series order, so that each series' new rows are appended to its
# own pages together; then merged into their hours' rollups with one GROUP BY. A group whose sum
# would be NaN (finite values overflowing to both infinities) is left out, by OR IGNORE when it
# is new and by the WHERE when it is merged: that is what NOT NULL refused before, and a
# failing close would block every later flush.
SEAL_SAMPLES = """
INSERT OR IGNORE INTO samples (series_id, ts, value)
SELECT series_id, ts, value FROM recent WHERE ts < ?1 ORDER BY series_id, ts
"""
SEAL_ROLLUPS = f"""
INSERT OR IGNORE INTO rollups (series_id, hour, min, max, sum, count)
SELECT series_id, {hour_of("ts")} AS h, min(value), max(value), sum(value), count(*)
FROM recent WHERE ts < ?1 AND value IS NOT NULL GROUP BY series_id, h
""" + _MERGE_ROLLUP + "WHERE rollups.sum + excluded.sum IS NOT NULL"
SEAL_RECENT = "DELETE FROM recent WHERE ts < ?1"
INSERT_ALERT = """
INSERT INTO alerts (ts, fingerprint, rule, state, severity, labels, value, active_at, fired_at,
                    resolved_at, summary, clause, annotations)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
SELECT_ALERTS = """
SELECT rule, labels, state, severity, value, active_at, fired_at, resolved_at, summary, clause,
       annotations
FROM alerts WHERE ts >= ? AND ts < ? ORDER BY ts, id
"""
# Series ids travel as one JSON array parameter: no limit on the number of ids, one statement.
# samples (closed steps) and recent (the open step) never hold the same point: one UNION ALL.
SELECT_SAMPLES = """
SELECT series_id, ts, value FROM samples
WHERE series_id IN (SELECT value FROM json_each(?1)) AND ts >= ?2 AND ts < ?3
UNION ALL
SELECT series_id, ts, value FROM recent
WHERE ts >= ?2 AND ts < ?3 AND series_id IN (SELECT value FROM json_each(?1))
ORDER BY ts, series_id
"""
# The open step's part of an hour is computed from recent as it is read (minutes of points), so
# an hour can come twice, once from each half, to be merged by the caller; ?4 and ?5 bound ts
# to the hours starting in [?2, ?3).
SELECT_ROLLUPS = f"""
SELECT series_id, hour, min, max, sum, count FROM rollups
WHERE series_id IN (SELECT value FROM json_each(?1)) AND hour >= ?2 AND hour < ?3
UNION ALL
SELECT series_id, {hour_of("ts")} AS h, min(value), max(value), sum(value), count(*) FROM recent
WHERE ts >= ?4 AND ts < ?5 AND value IS NOT NULL AND series_id IN (SELECT value FROM json_each(?1))
GROUP BY series_id, h
ORDER BY series_id, hour
"""
# `series_id IN (SELECT id FROM series)` turns one range delete into one primary-key range per
# series, which is what makes an index on ts unnecessary.
PRUNE_SAMPLES = "DELETE FROM samples WHERE series_id IN (SELECT id FROM series) AND ts < ?"
PRUNE_RECENT = "DELETE FROM recent WHERE ts < ?"
PRUNE_ROLLUPS = "DELETE FROM rollups WHERE series_id IN (SELECT id FROM series) AND hour < ?"
PRUNE_ALERTS = "DELETE FROM alerts WHERE ts < ?"
# recent has no index on series_id: NOT IN reads it once into a temporary index.
PRUNE_SERIES = """
DELETE FROM series WHERE NOT EXISTS (SELECT 1 FROM samples WHERE series_id = series.id)
                     AND NOT EXISTS (SELECT 1 FROM rollups WHERE series_id = series.id)
                     AND id NOT IN (SELECT series_id FROM recent)
RETURNING id
"""

# Primary result codes after which trying again can help: contention, a full or failing disk,
# a file made read-only, memory pressure. Everything else (corrupt, not a database, constraint,
# misuse) needs a person.
_RETRYABLE = {
    5: "busy", 6: "locked", 7: "out of memory", 8: "read-only", 9: "interrupted",
    10: "I/O error", 13: "disk full", 14: "cannot open", 15: "lock protocol",
}


def connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are begun and ended explicitly by the store.
        conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None,
                               check_same_thread=False)
    except (OSError, sqlite3.Error) as err:
        raise StoreError(f"sqlite {path}: open: {err}", retryable=True) from err
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            log.warning("sqlite %s: journal_mode is %s, not wal; writers will block readers", path, mode)
        # NORMAL in WAL mode: a power cut may lose the last commits but never corrupts the file;
        # readings are re-collected every cycle, so durability of the last seconds is not worth
        # an fsync per flush.
        conn.execute("PRAGMA synchronous=NORMAL")
        # Closing a step touches one leaf page per series; keep those pages in memory.
        conn.execute("PRAGMA cache_size=-16384")
        # Closing a step rewrites one page per series; checkpointing every 40 MB of WAL instead
        # of every 4 MB copies each hot page back once instead of ten times (+12% writes, measured
        # when every flush did so).
        conn.execute("PRAGMA wal_autocheckpoint=10000")
        # Give the WAL's space back after a checkpoint (a large prune can make it grow).
        conn.execute(f"PRAGMA journal_size_limit={64 << 20}")
        _migrate(conn)
    except BaseException as err:
        conn.close()
        if isinstance(err, sqlite3.Error):
            raise to_store_error(err, f"sqlite {path}: open") from err
        raise
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return
    # Re-read the version under the write lock: two processes may open a new file at once.
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"schema version {version} is newer than this roomwatch supports "
                             f"({SCHEMA_VERSION})", retryable=False)
        for target in range(version + 1, SCHEMA_VERSION + 1):
            # The migration texts hold no ';' except between statements.
            for statement in _MIGRATIONS[target].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={target}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def to_store_error(err: sqlite3.Error, doing: str) -> StoreError:
    """Wrap an sqlite3 error with what was being done and whether retrying can help."""
    code = getattr(err, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    return StoreError(f"{doing}: {err}", retryable=primary in _RETRYABLE)


def labels_json(labels: Mapping[str, str]) -> str:
    """Canonical JSON of a label set: the same labels always give the same text."""
    return json.dumps(labels, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def alert_row(alert: Alert) -> tuple[Any, ...]:
    """The alerts-table row of one transition; its ts is the time of the state it entered."""
    ts = {AlertState.PENDING: alert.active_at, AlertState.FIRING: alert.fired_at,
          AlertState.RESOLVED: alert.resolved_at}[alert.state]
    return (alert.active_at if ts is None else ts, alert.fingerprint, alert.rule, alert.state.value,
            alert.severity.value, labels_json(alert.labels), alert.value, alert.active_at,
            alert.fired_at, alert.resolved_at, alert.summary, alert.clause,
            labels_json(alert.annotations))


def alert_from_row(row: tuple[Any, ...]) -> Alert:
    """Rebuild an Alert from a SELECT_ALERTS row."""
    rule, labels, state, severity, value, active_at, fired_at, resolved_at, summary, clause, notes = row
    labels_d: Labels = json.loads(labels)
    return Alert(rule=rule, labels=labels_d, state=AlertState(state), severity=Severity(severity),
                 value=float("nan") if value is None else value, active_at=active_at,
                 fired_at=fired_at, resolved_at=resolved_at, summary=summary, clause=clause,
                 annotations=json.loads(notes))
