"""Closing hours in the SQLite store: raw points move from recent to samples with their rollups."""

from __future__ import annotations

import logging
import sqlite3

from monitor.store import sqlite_schema as sql

log = logging.getLogger(__name__)

GRACE_S = 600.0
"""An hour is closed this long after it ends, so that a slow collector's reading of the hour
(an SSH or WinRM poll that took minutes) still lands in recent, not on the slower late path."""


def hour_floor(ts: float) -> int:
    """Start of the hour holding ``ts`` (epoch seconds), as ``hour_of`` computes it in SQL."""
    return int(ts // sql.HOUR_S) * sql.HOUR_S


def due(ts: float) -> int:
    """The boundary up to which hours can be closed once points as new as ``ts`` arrive."""
    return hour_floor(ts - GRACE_S)


def sealed(conn: sqlite3.Connection) -> int:
    """The current boundary: points before it are in samples and rollups, later ones in recent.
    Read inside the caller's transaction, so two writers never disagree about it."""
    return int(conn.execute(sql.SELECT_SEALED).fetchone()[0])


def seal(conn: sqlite3.Connection, upto: int) -> int:
    """Close every hour before ``upto`` inside the caller's transaction: move its raw points to
    samples in series order and write their rollups, all in SQLite's C. Returns the points moved.

    One transaction does it all, so a crash leaves either the old or the new boundary, never a
    moved hour without its rollups: durability is that of a flush."""
    if upto <= sealed(conn):
        return 0
    moved = conn.execute(sql.SEAL_SAMPLES, (upto,)).rowcount
    conn.execute(sql.SEAL_ROLLUPS, (upto,))
    conn.execute(sql.SEAL_RECENT, (upto,))
    conn.execute(sql.UPDATE_SEALED, (upto,))
    log.debug("store: closed the hours before %d (%d point(s))", upto, moved)
    return moved


def clashes(conn: sqlite3.Connection, ts: float, series_id: int, value: float) -> bool:
    """Whether the open hour of an infinite ``value`` already holds the opposite infinity for
    its series: their sum is NaN, which rollups.sum refuses, so the later one is refused (the
    first wins, as for every other point)."""
    start = hour_floor(ts)
    return conn.execute(sql.SELECT_OPPOSITE,
                        (start, start + sql.HOUR_S, series_id, -value)).fetchone() is not None

