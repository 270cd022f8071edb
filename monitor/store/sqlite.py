"""SQLiteStore: the embedded default store of raw readings, hourly rollups and alert history."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from monitor.core.errors import StoreError
from monitor.core.model import Alert, Reading, series_key
from monitor.store import sqlite_buckets as buckets
from monitor.store import sqlite_schema as sql
from monitor.store.base import Rollup, Store
from monitor.store.sqlite_write import BufferedWriter

log = logging.getLogger(__name__)


class SQLiteStore(BufferedWriter):
    """Readings, hourly rollups and alert transitions in one SQLite file (WAL mode).

    ``write`` and ``write_alerts`` only buffer; ``write`` flushes by itself once ``batch_size``
    readings wait. ``flush`` commits everything buffered in one transaction and may run in a worker
    thread while the event loop keeps calling ``write``. Queries read what has been flushed.
    A (series, ts) already stored is ignored on a later write (the first value wins), so re-sending
    a batch never counts it twice in the rollups.
    """

    def __init__(self, path: Path, *, retention_s: float = 30 * 86400.0,
                 rollup_retention_s: float = 400 * 86400.0, batch_size: int = 5000,
                 busy_timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self.retention_s = retention_s
        self.rollup_retention_s = rollup_retention_s
        self._start(batch_size)
        self._conn = sql.connect(self.path, busy_timeout_s)
        try:
            self._refresh()
        except StoreError:
            self._conn.close()
            raise

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------

    def query(self, metric: str, start: float, end: float,
              match: Mapping[str, str] | None = None) -> list[Reading]:
        """Raw readings of ``metric`` with ``start <= ts < end`` whose labels include ``match``,
        ordered by ts."""
        with self._db_lock:
            chosen = self._select(metric, match)
            rows = self._fetch(sql.SELECT_SAMPLES, chosen, start, end) if chosen else []
        return [Reading(metric, math.nan if value is None else value, chosen[sid], ts)
                for sid, ts, value in rows]

    def rollups(self, metric: str, start: float, end: float,
                match: Mapping[str, str] | None = None) -> list[Rollup]:
        """Hourly rollups of ``metric`` for hours starting in ``[start, end)``, ordered by
        (labels, hour)."""
        with self._db_lock:
            chosen = self._select(metric, match)
            # An open hour starting in [start, end) has its points in [ceil(start), ceil(end)).
            bounds = (_ceil_hour(start), _ceil_hour(end))
            rows = self._fetch(sql.SELECT_ROLLUPS, chosen, start, end, *bounds) if chosen else []
        # Rank series by labels once, then sort rows by small ints (rows come in (id, hour) order).
        rank = {sid: i for i, sid in enumerate(sorted(chosen, key=lambda s: sorted(chosen[s].items())))}
        rows.sort(key=lambda row: rank[row[0]])
        return [Rollup(metric=metric, labels=chosen[sid], hour=float(hour), min=lo, max=hi,
                       avg=math.nan if total is None else total / count, count=count)
                for sid, hour, lo, hi, total, count in _merged(rows)]

    def alerts(self, start: float, end: float) -> list[Alert]:
        """Alert transitions whose own time (active_at, fired_at or resolved_at, by state) is in
        ``[start, end)``, oldest first."""
        with self._db_lock:
            conn = self._connection()
            try:
                rows = conn.execute(sql.SELECT_ALERTS, (start, end)).fetchall()
            except sqlite3.Error as err:
                raise sql.to_store_error(err, f"sqlite {self.path}: read alerts") from err
        return [sql.alert_from_row(row) for row in rows]

    def series(self, metric: str | None = None) -> list[tuple[str, dict[str, str]]]:
        """Every known (flushed) series, or those of one metric, as (metric, labels), sorted."""
        with self._db_lock:
            self._refresh()
            found = [(name, dict(labels)) for name, by_id in self._by_metric.items()
                     if metric is None or name == metric for labels in by_id.values()]
        return sorted(found, key=lambda item: (item[0], sorted(item[1].items())))

    def _select(self, metric: str, match: Mapping[str, str] | None) -> dict[int, dict[str, str]]:
        """Series ids of ``metric`` whose labels include ``match``, with a copy of their labels."""
        self._refresh()
        wanted = (match or {}).items()
        return {sid: dict(labels) for sid, labels in self._by_metric.get(metric, {}).items()
                if wanted <= labels.items()}

    def _fetch(self, query: str, ids: Mapping[int, object], *bounds: float) -> list[Any]:
        conn = self._connection()
        try:
            # One statement reads one WAL snapshot: a step closed meanwhile never shows its
            # points in both halves of the UNION, or in neither.
            return conn.execute(query, (json.dumps(list(ids)), *bounds)).fetchall()
        except sqlite3.Error as err:
            raise sql.to_store_error(err, f"sqlite {self.path}: query") from err

    # -- upkeep ----------------------------------------------------------------------------

    def seal(self, now: float) -> None:
        """Close the 10-minute steps that ended ``GRACE_S`` or more before ``now``: move their
        points to samples and into the hourly rollups (flushes close them as newer points
        arrive; this is for when points stop coming, and for the benchmark)."""
        with self._db_lock:
            self._upkeep("close steps", now, prune=False)

    def prune(self, now: float) -> None:
        """Close the steps that are due (see ``seal``), then delete samples older than the
        retention, rollups and alert rows older than the rollup retention, and series left with
        neither samples nor rollups."""
        with self._db_lock:
            self._upkeep("prune", now, prune=True)

    def _upkeep(self, doing: str, now: float, *, prune: bool) -> None:
        conn = self._connection()
        raw_cutoff = now - self.retention_s
        # A raw point is never deleted before its step is closed, or its rollup would be lost.
        upto = max(buckets.due(now), buckets.step_floor(raw_cutoff) + buckets.STEP_S) if prune \
            else buckets.due(now)
        try:
            conn.execute("BEGIN IMMEDIATE")
            moved = buckets.seal(conn, upto)
            counts = (0, 0, 0)
            gone: set[int] = set()
            if prune:
                counts = (conn.execute(sql.PRUNE_SAMPLES, (raw_cutoff,)).rowcount
                          + conn.execute(sql.PRUNE_RECENT, (raw_cutoff,)).rowcount,
                          conn.execute(sql.PRUNE_ROLLUPS, (now - self.rollup_retention_s,)).rowcount,
                          conn.execute(sql.PRUNE_ALERTS, (now - self.rollup_retention_s,)).rowcount)
                gone = {sid for (sid,) in conn.execute(sql.PRUNE_SERIES).fetchall()}
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise sql.to_store_error(err, f"sqlite {self.path}: {doing}") from err
        self._ids.forget(gone)
        for by_id in self._by_metric.values():
            for sid in gone & by_id.keys():
                del by_id[sid]
        if prune:
            log.info("store: closed steps holding %d point(s); pruned %d sample(s), %d rollup(s), "
                     "%d alert row(s), %d series", moved, *counts, len(gone))

    def close(self) -> None:
        """Flush and close the file. If the final flush fails its StoreError is raised (the
        buffered points are then lost) and the file is closed all the same."""
        with self._db_lock:
            if self._conn is None:
                return
            try:
                self._flush_locked()
            finally:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("PRAGMA optimize")  # SQLite's advice before closing
                self._conn.close()
                self._conn = None

    def _refresh(self) -> None:
        """Learn series that another process (the daemon, for a reader) added since we looked;
        one primary-key seek when there are none. Ids are never reused (AUTOINCREMENT)."""
        conn = self._connection()
        try:
            rows = conn.execute(sql.SELECT_NEW_SERIES, (self._max_id,)).fetchall()
        except sqlite3.Error as err:
            raise sql.to_store_error(err, f"sqlite {self.path}: read series") from err
        self._remember({series_key(metric, json.loads(text)): sid for sid, metric, text in rows})


def _merged(rows: list[Any]) -> list[Any]:
    """Rollup rows sorted by (series, hour) with an hour's two halves (the closed steps' rollup
    and the open step's, see SELECT_ROLLUPS) merged into one. A sum is NULL (NaN) only if finite
    values overflowed to both infinities; it stays NULL."""
    out: list[Any] = []
    for row in rows:
        if out and out[-1][:2] == row[:2]:
            sid, hour, lo, hi, total, count = out[-1]
            total = None if total is None or row[4] is None else total + row[4]
            out[-1] = (sid, hour, min(lo, row[2]), max(hi, row[3]), total, count + row[5])
        else:
            out.append(row)
    return out


def _ceil_hour(ts: float) -> float:
    return -buckets.hour_floor(-ts) if math.isfinite(ts) else ts


if TYPE_CHECKING:  # let mypy prove that SQLiteStore satisfies the Store protocol
    _protocol_check: Store = SQLiteStore(Path())
