"""SQLiteStore: the embedded default store of raw readings, hourly rollups and alert history."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from monitor.core.errors import StoreError
from monitor.core.model import Alert, Reading, series_key
from monitor.store import sqlite_refused as refused
from monitor.store import sqlite_schema as sql
from monitor.store.base import Rollup, Store

log = logging.getLogger(__name__)

BUFFER_BATCHES = 50
"""While flushes keep failing the buffer holds at most this many batches; older points are dropped."""


class SQLiteStore:
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
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.path = Path(path)
        self.retention_s = retention_s
        self.rollup_retention_s = rollup_retention_s
        self.batch_size = batch_size
        self.dropped = 0
        """Readings dropped (oldest first) because the buffer was full while flushes failed."""
        self.dropped_alerts = 0
        """Alert transitions dropped for the same reason."""
        self.rejected = 0
        """Readings the database refused for their content (a constraint), left out of a flush."""
        self.rejected_alerts = 0
        """Alert transitions refused the same way."""
        self._cap = BUFFER_BATCHES * batch_size
        # Two locks so that write() on the event loop never waits for the disk: _buf_lock is held
        # only to move list items; _db_lock guards the connection and the series cache.
        self._buf_lock = threading.Lock()
        self._db_lock = threading.RLock()
        self._buf: list[Reading] = []
        self._alert_buf: list[tuple[Any, ...]] = []
        self._unlogged = [0, 0]  # readings, alerts dropped since the last flush attempt
        self._auto_at = batch_size  # buffer length at which write() tries a flush
        self._conn: sqlite3.Connection | None = sql.connect(self.path, busy_timeout_s)
        self._ids: dict[sql.SeriesKey, int] = {}
        self._by_metric: dict[str, dict[int, dict[str, str]]] = {}
        self._max_id = 0
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

    # -- writing ---------------------------------------------------------------------------

    def write(self, readings: Sequence[Reading]) -> None:
        """Buffer readings; once ``batch_size`` wait, try a flush (a failure is logged, not raised,
        and the readings stay buffered for the next flush)."""
        self._connection()  # writing to a closed store is a bug: say so now, not at the next flush
        with self._buf_lock:
            self._buf.extend(readings)
            self._trim()
            due = len(self._buf) >= self._auto_at
        # If a flush is already running in another thread it will take these too; never wait.
        if due and self._db_lock.acquire(blocking=False):
            try:
                self._flush_locked()
            except StoreError as err:
                log.warning("store: automatic flush failed (retryable=%s), readings kept: %s",
                            err.retryable, err)
            finally:
                self._db_lock.release()

    def write_alerts(self, alerts: Sequence[Alert]) -> None:
        """Buffer alert transitions; they are committed by the next flush, with the readings."""
        rows = [sql.alert_row(alert) for alert in alerts]
        with self._buf_lock:
            self._alert_buf.extend(rows)
            self._trim()

    def flush(self) -> None:
        """Commit everything buffered in one transaction.

        On failure nothing is lost: the points go back to the front of the buffer and
        StoreError(retryable=…) is raised; the next flush tries them again. A row the database
        refuses for its content (a constraint) is the exception: it is found by splitting the
        batch, left out, counted in ``rejected`` and logged, and the rest is written.
        """
        with self._db_lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        conn = self._connection()
        with self._buf_lock:
            batch, self._buf = self._buf, []
            alerts, self._alert_buf = self._alert_buf, []
        # A stack of parts still to commit, next on top: the whole buffer, unless its content
        # is refused; then it is split until each refused row stands alone and is left out.
        todo: list[refused.Part] = [(batch, alerts)] if batch or alerts else []
        try:
            while todo:
                part = todo.pop()
                try:
                    self._commit(conn, *part)
                except refused.ROW_ERRORS as err:
                    halves = refused.split(part)
                    todo.extend(halves)
                    if not halves:
                        self.rejected += len(part[0])
                        self.rejected_alerts += len(part[1])
                        log.error("store: refused %s: %s (%d reading(s), %d alert transition(s) "
                                  "refused in all)", refused.describe(part), err, self.rejected,
                                  self.rejected_alerts)
                except BaseException:
                    todo.append(part)
                    raise
        except BaseException as err:
            left = [r for part in reversed(todo) for r in part[0]]
            left_alerts = [a for part in reversed(todo) for a in part[1]]
            with self._buf_lock:
                self._buf[:0] = left
                self._alert_buf[:0] = left_alerts
                self._trim()
                # Do not retry from write() on every call while the disk is failing: wait for
                # another batch to arrive (the daemon's periodic flush keeps retrying meanwhile).
                self._auto_at = len(self._buf) + self.batch_size
            if isinstance(err, sqlite3.Error):
                raise sql.to_store_error(
                    err, f"sqlite {self.path}: flush of {len(left)} reading(s), "
                    f"{len(left_alerts)} alert transition(s)") from err
            raise
        else:
            with self._buf_lock:
                self._auto_at = self.batch_size
        finally:
            self._log_drops()

    def _commit(self, conn: sqlite3.Connection, batch: list[Reading],
                alerts: list[tuple[Any, ...]]) -> None:
        fresh: dict[sql.SeriesKey, int] = {}
        # IMMEDIATE takes the write lock now, so contention fails here and not at COMMIT.
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows, bad = sql.sample_rows(conn, batch, self._ids, fresh)
            if bad:
                log.error("store: skipped %d malformed reading(s) (need str metric, str labels, "
                          "finite float ts, float value)", bad)
            if rows:
                conn.execute("SAVEPOINT batch")
                if conn.executemany(sql.INSERT_SAMPLE, rows).rowcount != len(rows):
                    # Some (series, ts) were stored already (a re-sent or late point): find out
                    # which, one by one (rare), so the rollups count every sample exactly once.
                    conn.execute("ROLLBACK TO batch")
                    rows = [row for row in rows if conn.execute(sql.INSERT_SAMPLE, row).rowcount]
                conn.execute("RELEASE batch")
                conn.executemany(sql.UPSERT_ROLLUP, sql.rollup_rows(rows))
            if alerts:
                conn.executemany(sql.INSERT_ALERT, alerts)
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        # Only now: ids of series inserted by a rolled-back transaction would not exist.
        self._remember(fresh)

    def _trim(self) -> None:
        """Hold at most the cap of each kind, dropping the oldest; the caller holds _buf_lock."""
        if (excess := len(self._buf) - self._cap) > 0:
            del self._buf[:excess]
            self.dropped += excess
            self._unlogged[0] += excess
        if (excess := len(self._alert_buf) - self._cap) > 0:
            del self._alert_buf[:excess]
            self.dropped_alerts += excess
            self._unlogged[1] += excess

    def _log_drops(self) -> None:
        with self._buf_lock:
            (readings, alerts), self._unlogged = self._unlogged, [0, 0]
        if readings or alerts:
            log.error("store: buffer full (cap %d) while flushes fail: dropped the oldest %d "
                      "reading(s) and %d alert transition(s) since the last flush attempt "
                      "(%d reading(s) in all)", self._cap, readings, alerts, self.dropped)

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
            rows = self._fetch(sql.SELECT_ROLLUPS, chosen, start, end) if chosen else []
        # Rank series by labels once, then sort rows by small ints (rows come in (id, hour) order).
        rank = {sid: i for i, sid in enumerate(sorted(chosen, key=lambda s: sorted(chosen[s].items())))}
        rows.sort(key=lambda row: rank[row[0]])
        return [Rollup(metric=metric, labels=chosen[sid], hour=float(hour), min=lo, max=hi,
                       avg=total / count, count=count)
                for sid, hour, lo, hi, total, count in rows]

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

    def _fetch(self, query: str, ids: Mapping[int, object], start: float,
               end: float) -> list[Any]:
        conn = self._connection()
        try:
            return conn.execute(query, (json.dumps(list(ids)), start, end)).fetchall()
        except sqlite3.Error as err:
            raise sql.to_store_error(err, f"sqlite {self.path}: query") from err

    # -- upkeep ----------------------------------------------------------------------------

    def prune(self, now: float) -> None:
        """Delete samples older than the retention, rollups and alert rows older than the rollup
        retention, and series left with neither samples nor rollups."""
        with self._db_lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                samples = conn.execute(sql.PRUNE_SAMPLES, (now - self.retention_s,)).rowcount
                rollups = conn.execute(sql.PRUNE_ROLLUPS, (now - self.rollup_retention_s,)).rowcount
                alerts = conn.execute(sql.PRUNE_ALERTS, (now - self.rollup_retention_s,)).rowcount
                gone = {sid for (sid,) in conn.execute(sql.PRUNE_SERIES).fetchall()}
                conn.execute("COMMIT")
            except sqlite3.Error as err:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise sql.to_store_error(err, f"sqlite {self.path}: prune") from err
            self._ids = {key: sid for key, sid in self._ids.items() if sid not in gone}
            for by_id in self._by_metric.values():
                for sid in gone & by_id.keys():
                    del by_id[sid]
        log.info("store: pruned %d sample(s), %d rollup(s), %d alert row(s), %d series",
                 samples, rollups, alerts, len(gone))

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

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"sqlite {self.path}: store is closed", retryable=False)
        return self._conn

    def _remember(self, new: Mapping[sql.SeriesKey, int]) -> None:
        for key, sid in new.items():
            self._ids[key] = sid
            self._by_metric.setdefault(key[0], {})[sid] = dict(key[1])
            self._max_id = max(self._max_id, sid)

    def _refresh(self) -> None:
        """Learn series that another process (the daemon, for a reader) added since we looked;
        one primary-key seek when there are none. Ids are never reused (AUTOINCREMENT)."""
        conn = self._connection()
        try:
            rows = conn.execute(sql.SELECT_NEW_SERIES, (self._max_id,)).fetchall()
        except sqlite3.Error as err:
            raise sql.to_store_error(err, f"sqlite {self.path}: read series") from err
        self._remember({series_key(metric, json.loads(text)): sid for sid, metric, text in rows})


if TYPE_CHECKING:  # let mypy prove that SQLiteStore satisfies the Store protocol
    _protocol_check: Store = SQLiteStore(Path())
