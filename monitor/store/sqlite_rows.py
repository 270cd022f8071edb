"""One flush's rows for the SQLite store: series ids, deduplicated samples and hourly rollups."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from monitor.core.model import Reading, series_key
from monitor.store import sqlite_schema as sql

SeriesKey = tuple[str, tuple[tuple[str, str], ...]]
"""(metric, sorted label items), as made by monitor.core.model.series_key."""
FastKey = tuple[str, ...]
"""(metric, *label names, *label values) in the labels' own order: no sorting, no pair tuples."""
RecentRow = tuple[float, int, float]
"""(ts, series_id, value) as inserted into recent."""
SampleRow = tuple[int, float, float]
"""(series_id, ts, value) as inserted into samples."""
RollupRow = tuple[int, int, float, float, float, int]
"""(series_id, hour, min, max, sum, count) as upserted into rollups."""

_BY_KEY = itemgetter(0, 1)  # (ts, series) of a RecentRow, (series, ts) of a SampleRow


@dataclass(kw_only=True)
class SeriesIds:
    """The writer's series-id caches. ``exact`` is keyed by the canonical (sorted) key;
    ``fast`` by the labels in the order they came, which is how a collector sends the same
    series every cycle, so a known series costs one flat tuple and one lookup, not a sort."""

    exact: dict[SeriesKey, int] = field(default_factory=dict)
    fast: dict[FastKey, int] = field(default_factory=dict)

    def forget(self, gone: set[int]) -> None:
        """Drop pruned series ids from both caches."""
        self.exact = {key: sid for key, sid in self.exact.items() if sid not in gone}
        self.fast = {key: sid for key, sid in self.fast.items() if sid not in gone}


@dataclass(kw_only=True)
class Learned:
    """Ids found while building one transaction's rows; they join ``SeriesIds`` only after
    COMMIT, because ids of series inserted by a rolled-back transaction would not exist."""

    exact: dict[SeriesKey, int] = field(default_factory=dict)
    fast: dict[FastKey, int] = field(default_factory=dict)


def sample_rows(conn: sqlite3.Connection, batch: Sequence[Reading], ids: SeriesIds,
                learned: Learned) -> tuple[list[RecentRow], int, bool]:
    """Rows for recent, sorted by (ts, series), how many readings were malformed, and whether
    any value is infinite or NaN (``math.isinf`` is then worth a pass). Unknown
    series are inserted into ``series``. Several readings of one (series, ts) stay in, first
    first: INSERT OR IGNORE keeps the first."""
    rows: list[RecentRow] = []
    append, known, isfinite = rows.append, ids.fast.get, math.isfinite
    bad = 0
    odd = False
    for r in batch:
        try:
            labels = r.labels
            key = (r.metric, *labels, *labels.values())
            sid = known(key)
            if sid is None:
                sid = learned.fast.get(key)
                if sid is None:
                    sid = learned.fast[key] = _series_id(conn, r.metric, labels, ids.exact, learned.exact)
            ts = float(r.ts)
            if not isfinite(ts):
                raise ValueError(ts)
            value = float(r.value)
            append((ts, sid, value))
            if value - value:  # inf - inf and NaN - NaN are NaN (true); x - x is 0.0 (false)
                odd = True
        except (TypeError, ValueError, AttributeError):
            bad += 1  # skipped: one broken reading must not block the whole buffer forever
    # Sorted by (ts, series): recent's primary-key order, so the inserts append. The sort is
    # stable, so of several readings of one (series, ts) the first stays first.
    rows.sort(key=_BY_KEY)
    return rows, bad, odd


def late_rows(rows: list[RecentRow]) -> list[SampleRow]:
    """``rows`` as samples rows sorted by (series, ts) (stable: the first of a pair stays first)."""
    out = [(sid, ts, value) for ts, sid, value in rows]
    out.sort(key=_BY_KEY)
    return out


def rollup_rows(rows: list[SampleRow]) -> list[RollupRow]:
    """(series, hour, min, max, sum, count) of rows sorted by (series, ts), in one pass."""
    out: list[RollupRow] = []
    append = out.append
    cur_sid = cur_hour = -1
    lo = hi = total = 0.0
    n = 0
    for sid, ts, value in rows:
        if value != value:  # NaN has no min, max or mean; the raw sample keeps it
            continue
        hour = int(ts // 3600) * 3600
        if hour != cur_hour or sid != cur_sid:
            if n:
                append((cur_sid, cur_hour, lo, hi, total, n))
            cur_sid, cur_hour, lo, hi, total, n = sid, hour, value, value, value, 1
        else:
            if value < lo:
                lo = value
            elif value > hi:
                hi = value
            total += value
            n += 1
    if n:
        append((cur_sid, cur_hour, lo, hi, total, n))
    return out


def _series_id(conn: sqlite3.Connection, metric: str, labels: Mapping[str, str],
               exact: Mapping[SeriesKey, int], fresh: dict[SeriesKey, int]) -> int:
    """Id of the series, inserted if new, inside the caller's transaction."""
    key = series_key(metric, labels)
    sid = exact.get(key)
    if sid is None:
        sid = fresh.get(key)
        if sid is None:
            text = sql.labels_json(dict(key[1]))
            conn.execute(sql.INSERT_SERIES, (metric, text))
            sid = fresh[key] = int(conn.execute(sql.SELECT_SERIES_ID, (metric, text)).fetchone()[0])
    return sid
