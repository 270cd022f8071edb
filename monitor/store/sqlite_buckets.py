"""Closing steps in the SQLite store: raw points move from recent to samples, rollups merged."""

from __future__ import annotations

import logging
import sqlite3

from monitor.store import sqlite_schema as sql

log = logging.getLogger(__name__)

STEP_S = 600
"""Points are moved out of recent in 10-minute steps. Hourly steps measured no cheaper per point
(the move touches one page per series either way, and 10 minutes of points fill it), and
shorter steps keep recent small: readers scan its time range, for every series, to answer for
the last minutes."""
GRACE_S = 120.0
"""A step is closed this long after it ends, so that a slow collector's reading (an SSH or WinRM
poll that took a minute) still lands in recent, not on the slower late path."""


def hour_floor(ts: float) -> int:
    """Start of the hour holding ``ts`` (epoch seconds), as ``hour_of`` computes it in SQL."""
    return int(ts // sql.HOUR_S) * sql.HOUR_S


def step_floor(ts: float) -> int:
    """Start of the step holding ``ts``."""
    return int(ts // STEP_S) * STEP_S


def due(ts: float) -> int:
    """The boundary up to which steps can be closed once points as new as ``ts`` arrive."""
    return step_floor(ts - GRACE_S)


def sealed(conn: sqlite3.Connection) -> int:
    """The current boundary: points before it are in samples and in their hour's rollup, later
    ones in recent. Read inside the caller's transaction, so two writers never disagree."""
    return int(conn.execute(sql.SELECT_SEALED).fetchone()[0])


def seal(conn: sqlite3.Connection, upto: int) -> int:
    """Close every step before ``upto`` inside the caller's transaction: move its raw points to
    samples in series order and merge them into their hours' rollups, all in SQLite's C.
    Returns the points moved.

    One transaction does it all, so a crash leaves either the old or the new boundary, never
    points moved without their rollups: durability is that of a flush."""
    if upto <= sealed(conn):
        return 0
    moved = conn.execute(sql.SEAL_SAMPLES, (upto,)).rowcount
    conn.execute(sql.SEAL_ROLLUPS, (upto,))
    conn.execute(sql.SEAL_RECENT, (upto,))
    conn.execute(sql.UPDATE_SEALED, (upto,))
    log.debug("store: closed the steps before %d (%d point(s))", upto, moved)
    return moved


def clashes(conn: sqlite3.Connection, ts: float, series_id: int, value: float) -> bool:
    """Whether the hour of an infinite ``value`` already holds the opposite infinity for its
    series (in recent, or in the hour's rollup sum): their sum is NaN, which rollups.sum
    refuses, so the later one is refused (the first wins, as for every other point)."""
    start = hour_floor(ts)
    return conn.execute(sql.SELECT_OPPOSITE,
                        (start, start + sql.HOUR_S, series_id, -value)).fetchone() is not None
