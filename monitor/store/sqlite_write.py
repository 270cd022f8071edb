"""The write path of the SQLite store: buffering, flushing in one transaction, refused rows."""

from __future__ import annotations

import bisect
import contextlib
import logging
import math
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from monitor.core.errors import StoreError
from monitor.core.model import Alert, Reading
from monitor.store import sqlite_buckets as buckets
from monitor.store import sqlite_refused as refused
from monitor.store import sqlite_rows as rows_
from monitor.store import sqlite_schema as sql

log = logging.getLogger(__name__)

_TS = itemgetter(0)

BUFFER_BATCHES = 50
"""While flushes keep failing the buffer holds at most this many batches; older points are dropped."""


class BufferedWriter:
    """What SQLiteStore does to write: ``write`` and ``write_alerts`` only buffer; ``write``
    flushes by itself once ``batch_size`` readings wait. ``flush`` commits everything buffered
    in one transaction and may run in a worker thread while the event loop keeps calling ``write``.
    """

    path: Path
    _conn: sqlite3.Connection | None

    def _start(self, batch_size: int) -> None:
        """Set up the buffers and the series caches (called by the store's constructor)."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.batch_size = batch_size
        self.dropped = 0
        """Readings dropped (oldest first) because the buffer was full while flushes failed."""
        self.rejected = 0
        """Readings the database refused for their content (a constraint), left out of a flush."""
        self.rejected_alerts = 0
        """Alert transitions refused the same way."""
        self._cap = BUFFER_BATCHES * batch_size
        # Two locks so that write() on the event loop never waits for the disk: _buf_lock is held
        # only to move list items; _db_lock guards the connection and the series caches.
        self._buf_lock = threading.Lock()
        self._db_lock = threading.RLock()
        self._buf: list[Reading] = []
        self._alert_buf: list[tuple[Any, ...]] = []
        self._unlogged = [0, 0]  # readings, alerts dropped since the last flush attempt
        self._auto_at = batch_size  # buffer length at which write() tries a flush
        self._ids = rows_.SeriesIds()
        self._by_metric: dict[str, dict[int, dict[str, str]]] = {}
        self._max_id = 0

    def buffered(self) -> int:
        """Readings waiting for the next commit (the daemon's /metrics)."""
        return len(self._buf)

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
                    for row in self._commit(conn, *part):
                        self.rejected += 1
                        log.error("store: refused %s: its hour already holds the opposite "
                                  "infinity, and their sum (NaN) would break the NOT NULL "
                                  "rollups.sum (%d reading(s) refused in all)",
                                  self._describe(row), self.rejected)
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
                alerts: list[tuple[Any, ...]]) -> list[rows_.RecentRow]:
        """Write one part in one transaction; returns the rows refused for an opposite infinity."""
        learned = rows_.Learned()
        clashing: list[rows_.RecentRow] = []
        # IMMEDIATE takes the write lock now, so contention fails here and not at COMMIT.
        conn.execute("BEGIN IMMEDIATE")
        try:
            rows, bad, odd = rows_.sample_rows(conn, batch, self._ids, learned)
            if bad:
                log.error("store: skipped %d malformed reading(s) (need str metric, str labels, "
                          "finite float ts, float value)", bad)
            if rows:
                boundary = buckets.sealed(conn)
                cut = bisect.bisect_left(rows, boundary, key=_TS)  # rows are sorted by ts
                if cut:
                    self._insert_late(conn, rows[:cut])
                fresh = rows[cut:]
                if odd:
                    clashing = self._insert_infinite(conn, fresh)
                    fresh = [row for row in fresh if not math.isinf(row[2])]
                # The hot path: appended to recent, no rollup work (done when the step closes).
                conn.executemany(sql.INSERT_RECENT, fresh)
                # The median, not the newest: one reading with a clock years ahead must not close
                # every step until then and send all later points down the late path.
                upto = buckets.due(rows[len(rows) // 2][0])
                if upto > boundary:
                    buckets.seal(conn, upto)
            if alerts:
                conn.executemany(sql.INSERT_ALERT, alerts)
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise
        # Only now: ids of series inserted by a rolled-back transaction would not exist.
        self._ids.fast.update(learned.fast)
        self._remember(learned.exact)
        return clashing

    @staticmethod
    def _insert_late(conn: sqlite3.Connection, late: list[rows_.RecentRow]) -> None:
        """Points of closed steps (late or re-sent, rare): into samples, and into their hour's
        rollup unless the point was stored already."""
        rows = rows_.late_rows(late)
        conn.execute("SAVEPOINT late")
        if conn.executemany(sql.INSERT_SAMPLE, rows).rowcount != len(rows):
            # Some (series, ts) were stored already or came twice in this batch: find out
            # which, one by one, so the rollups count every sample exactly once.
            conn.execute("ROLLBACK TO late")
            rows = [row for row in rows if conn.execute(sql.INSERT_SAMPLE, row).rowcount]
        conn.execute("RELEASE late")
        conn.executemany(sql.UPSERT_ROLLUP, rows_.rollup_rows(rows))

    @staticmethod
    def _insert_infinite(conn: sqlite3.Connection,
                         fresh: list[rows_.RecentRow]) -> list[rows_.RecentRow]:
        """Insert the infinite values of ``fresh`` one by one, leaving out (and returning) each
        whose hour already holds the opposite infinity of its series."""
        clashing = []
        for row in fresh:
            if math.isinf(row[2]):
                if buckets.clashes(conn, *row):
                    clashing.append(row)
                else:
                    conn.execute(sql.INSERT_RECENT, row)
        return clashing

    def _trim(self) -> None:
        """Hold at most the cap of each kind, dropping the oldest; the caller holds _buf_lock."""
        if (excess := len(self._buf) - self._cap) > 0:
            del self._buf[:excess]
            self.dropped += excess
            self._unlogged[0] += excess
        if (excess := len(self._alert_buf) - self._cap) > 0:
            del self._alert_buf[:excess]
            self._unlogged[1] += excess

    def _log_drops(self) -> None:
        with self._buf_lock:
            (readings, alerts), self._unlogged = self._unlogged, [0, 0]
        if readings or alerts:
            log.error("store: buffer full (cap %d) while flushes fail: dropped the oldest %d "
                      "reading(s) and %d alert transition(s) since the last flush attempt "
                      "(%d reading(s) in all)", self._cap, readings, alerts, self.dropped)


    def _describe(self, row: rows_.RecentRow) -> str:
        ts, sid, value = row
        metric, labels = next(((name, by_id[sid]) for name, by_id in self._by_metric.items()
                               if sid in by_id), ("?", {}))
        return f"reading {metric}{labels}={value!r} at {ts!r}"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"sqlite {self.path}: store is closed", retryable=False)
        return self._conn

    def _remember(self, new: Mapping[rows_.SeriesKey, int]) -> None:
        for key, sid in new.items():
            self._ids.exact[key] = sid
            self._by_metric.setdefault(key[0], {})[sid] = dict(key[1])
            self._max_id = max(self._max_id, sid)

