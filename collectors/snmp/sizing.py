"""Request sizes per device: shrink on a timeout, grow back carefully, remembered across restarts.

Some agents answer small requests at once but let a large GETBULK (many columns × many rows)
run past the timeout: slow CPUs, CPU protection on Huawei/H3C switches, big entity tables. A
walk that times out steps down a ladder of request shapes (fewer columns, fewer repetitions,
at last one column by GETNEXT) and goes on from where it was; only when the smallest shape
fails is the device down. What worked is kept per device (in the state dir, so a restart does
not pay the descent again). After ``GROW_AFTER`` clean polls one step larger is tried; a failed
try doubles the wait. ``Sizing`` is the state, advanced by the pure ``timed_out``/``answered``.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

log = logging.getLogger(__name__)

# Columns asked together in one request at the top of the ladder: more makes GETBULK answers
# that overflow a UDP datagram.
MAX_COLUMNS = 12
GROW_AFTER = 10   # clean polls before one step larger is tried
MAX_WAIT = 640    # a device that never takes larger requests is tried about once a day at 2 min
_SMALL_REPS = 10  # repetitions once a request is down to a few columns


@dataclass(frozen=True, kw_only=True)
class Shape:
    """One request size: columns asked together and GETBULK max-repetitions (0 = GETNEXT)."""

    columns: int
    reps: int

    def __str__(self) -> str:
        cols = f"{self.columns} column{'s' if self.columns > 1 else ''}"
        return f"{cols} × {self.reps}" if self.reps else f"{cols}, GETNEXT"


def ladder(max_repetitions: int, bulk: bool) -> tuple[Shape, ...]:
    """The shapes from largest to smallest for a device's options."""
    if not bulk:
        steps = [Shape(columns=c, reps=0) for c in (MAX_COLUMNS, 6, 3, 1)]
    else:
        small = min(max_repetitions, _SMALL_REPS)
        steps = [Shape(columns=MAX_COLUMNS, reps=max_repetitions), Shape(columns=6, reps=max_repetitions),
                 Shape(columns=3, reps=small), Shape(columns=2, reps=small), Shape(columns=1, reps=small),
                 Shape(columns=1, reps=0)]
    return tuple(dict.fromkeys(steps))


@dataclass(frozen=True, kw_only=True)
class Sizing:
    """Where a device is on its ladder: ``level`` 0 is the largest shape; ``trial`` is True
    while one step larger than what last worked is being tried; ``clean`` counts polls without
    a timeout; ``wait`` is how many clean polls come before the next try."""

    level: int = 0
    trial: bool = False
    clean: int = 0
    wait: int = GROW_AFTER


def timed_out(s: Sizing, bottom: int) -> Sizing | None:
    """After a request of shape ``s.level`` timed out: the next smaller shape, or None when
    ``s.level`` is already the smallest (``bottom``), i.e. the device does not answer."""
    if s.trial:
        return Sizing(level=min(s.level + 1, bottom), wait=min(s.wait * 2, MAX_WAIT))
    if s.level >= bottom:
        return None
    return Sizing(level=s.level + 1, wait=s.wait)


def answered(s: Sizing) -> Sizing:
    """After a whole poll without a timeout: count it, and try one step larger when due."""
    if s.trial:
        return Sizing(level=s.level, wait=GROW_AFTER)
    if s.level > 0 and s.clean + 1 >= s.wait:
        return Sizing(level=s.level - 1, trial=True, wait=s.wait)
    return replace(s, clean=s.clean + 1)


class Sizes:
    """Each device's ``Sizing``, kept in SQLite at ``path`` (None: in memory only; a function
    giving the path is called on first use, so constructing opens nothing).

    Only ``level`` and ``wait`` are stored, and only when they change (rarely); the clean-poll
    count starts again after a restart. A store that cannot be written is logged once and the
    daemon goes on in memory: a lost size costs one slow poll, not monitoring.
    """

    def __init__(self, path: Path | Callable[[], Path] | None = None) -> None:
        self._where = path
        self.path: Path | None = None
        self._known: dict[str, Sizing] | None = None
        self._lock = threading.Lock()
        self._broken = False

    def get(self, device: str) -> Sizing:
        """The device's sizing (the largest shape for a device never seen)."""
        return self._load().get(device, Sizing())

    def put(self, device: str, sizing: Sizing) -> None:
        """Remember the device's sizing; written through when level or wait changed."""
        known = self._load()  # also finds self.path
        old = known.get(device, Sizing())
        known[device] = sizing
        if (old.level, old.wait) != (sizing.level, sizing.wait) and self.path is not None:
            self._write(device, sizing)

    def _load(self) -> dict[str, Sizing]:
        if self._known is not None:
            return self._known
        self._known = {}
        try:
            self.path = self._where() if callable(self._where) else self._where
        except OSError as err:
            log.error("snmp request sizes: no state dir (kept in memory): %s", err)
        if self.path is None or not self.path.exists():
            return self._known
        try:
            with closing(self._connect()) as db:
                rows = db.execute("SELECT device, level, wait FROM sizes").fetchall()
        except sqlite3.Error as err:
            log.error("snmp request sizes %s unreadable, starting from the largest: %s", self.path, err)
            return self._known
        for device, level, wait in rows:
            if isinstance(level, int) and isinstance(wait, int) and level >= 0 and wait > 0:
                self._known[str(device)] = Sizing(level=level, wait=min(wait, MAX_WAIT))
        return self._known

    def _connect(self) -> sqlite3.Connection:
        assert self.path is not None
        db = sqlite3.connect(self.path, timeout=5)
        db.execute("CREATE TABLE IF NOT EXISTS sizes (device TEXT PRIMARY KEY, level INTEGER NOT NULL,"
                   " wait INTEGER NOT NULL)")
        return db

    def _write(self, device: str, sizing: Sizing) -> None:
        with self._lock:
            try:
                assert self.path is not None
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with closing(self._connect()) as db, db:
                    db.execute("INSERT OR REPLACE INTO sizes (device, level, wait) VALUES (?, ?, ?)",
                               (device, sizing.level, sizing.wait))
            except (sqlite3.Error, OSError) as err:
                if not self._broken:
                    log.error("snmp request sizes %s cannot be written (kept in memory): %s", self.path, err)
                self._broken = True
