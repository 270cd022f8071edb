"""SQLiteStore steps: the open step read from recent, closing steps, late points, upgrading a v1 file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from monitor.core.errors import StoreError
from monitor.core.model import Reading
from monitor.store import sqlite_schema as sql
from monitor.store.sqlite import SQLiteStore
from monitor.store.sqlite_buckets import GRACE_S, STEP_S

H = 3600.0
T0 = 1_700_000_000.0 - 1_700_000_000.0 % H  # an hour boundary
LABELS = {"device": "ups1", "room": "一号机房"}


def r(value: float, ts: float, device: str = "ups1") -> Reading:
    return Reading("temperature_celsius", value, {**LABELS, "device": device}, ts)


def where(path: Path) -> tuple[int, int, int]:
    """(rows in recent, rows in samples, the sealed boundary) of the file."""
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("SELECT count(*) FROM recent").fetchone()[0],
                conn.execute("SELECT count(*) FROM samples").fetchone()[0],
                conn.execute("SELECT hour FROM sealed").fetchone()[0])
    finally:
        conn.close()


def summary(store: SQLiteStore) -> tuple[list[tuple[float, float]], list[tuple[float, ...]]]:
    raw = [(x.ts, x.value) for x in store.query("temperature_celsius", 0, 2e9)]
    hours = [(x.hour, x.min, x.max, x.avg, x.count)
             for x in store.rollups("temperature_celsius", 0, 2e9)]
    return raw, hours


def test_an_open_hour_reads_the_same_before_and_after_it_closes(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "db") as store:
        store.write([r(20.0, T0 + 10), r(26.0, T0 + 20), r(float("nan"), T0 + 25),
                     r(22.0, T0 + H + 5), r(5.0, T0 + 30, device="ups2")])
        store.flush()
        assert where(tmp_path / "db")[:2] == (5, 0)  # nothing closed yet: every point in recent
        before = summary(store)
        assert before[1] == [(T0, 20.0, 26.0, 23.0, 2), (T0 + H, 22.0, 22.0, 22.0, 1),
                             (T0, 5.0, 5.0, 5.0, 1)]  # ups1's hours, then ups2's
        store.seal(T0 + 2 * H + GRACE_S)
        assert where(tmp_path / "db") == (0, 5, T0 + 2 * H)
        after = summary(store)
    assert after[0] == before[0]
    assert after[1] == before[1]


def test_newer_points_close_a_step_a_grace_period_after_it_ends(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "db") as store:
        store.write([r(1.0, T0 + 60)])
        store.flush()
        assert where(tmp_path / "db") == (1, 0, T0 - STEP_S)  # the empty steps before are closed
        store.write([r(2.0, T0 + STEP_S + GRACE_S - 1)])  # the first step is not due yet
        store.flush()
        assert where(tmp_path / "db") == (2, 0, T0)
        store.write([r(3.0, T0 + STEP_S + GRACE_S)])
        store.flush()
        assert where(tmp_path / "db") == (2, 1, T0 + STEP_S)
        # The hour's closed step (in rollups) and its open steps (in recent) read as one hour.
        assert summary(store)[1] == [(T0, 1.0, 3.0, 2.0, 3)]


def test_a_late_point_joins_its_closed_hour_once(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "db") as store:
        store.write([r(20.0, T0 + 10), r(21.0, T0 + 20)])
        store.flush()
        store.seal(T0 + H + GRACE_S)
        store.write([r(30.0, T0 + 30), r(99.0, T0 + 10), r(40.0, T0 + H)])  # 99: a re-send
        store.flush()
        store.write([r(30.0, T0 + 30)])  # the late point again
        store.flush()
        raw, hours = summary(store)
    assert raw == [(T0 + 10, 20.0), (T0 + 20, 21.0), (T0 + 30, 30.0), (T0 + H, 40.0)]
    assert hours == [(T0, 20.0, 30.0, 71.0 / 3, 3), (T0 + H, 40.0, 40.0, 40.0, 1)]


def test_one_reading_with_a_clock_years_ahead_closes_nothing(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "db") as store:
        store.write([r(1.0, T0 + i) for i in range(10)] + [r(2.0, T0 + 5 * 365 * 86400.0)])
        store.flush()
        assert where(tmp_path / "db") == (11, 0, T0 - STEP_S)


def test_prune_closes_an_hour_before_it_deletes_its_raw_points(tmp_path: Path) -> None:
    # Raw kept for 10 minutes only: the hour must be rolled up before its points go.
    now = T0 + H + 20 * 60.0
    with SQLiteStore(tmp_path / "db", retention_s=600.0) as store:
        store.write([r(4.0, T0 + H - 60), r(6.0, T0 + H + 60)])
        store.flush()
        store.prune(now)
        raw, hours = summary(store)
    assert raw == []
    assert hours == [(T0, 4.0, 4.0, 4.0, 1), (T0 + H, 6.0, 6.0, 6.0, 1)]


def test_opposite_infinities_in_one_hour_keep_the_first(tmp_path: Path) -> None:
    inf = float("inf")
    with SQLiteStore(tmp_path / "db") as store:
        store.write([r(inf, T0), r(1.0, T0 + 1), r(-inf, T0 + 2),  # both in recent: refused
                     r(-inf, T0 + H),  # another hour: no clash
                     r(inf, T0 + 2 * H + 10)])
        store.flush()
        assert store.rejected == 1
        store.seal(T0 + 2 * H + STEP_S + GRACE_S)  # the +inf are in their hours' rollups now
        store.write([r(-inf, T0 + 3),  # late, into a closed hour
                     r(-inf, T0 + 2 * H + STEP_S + 1)])  # the open step of a +inf's hour
        store.flush()
        assert store.rejected == 3
        store.seal(T0 + 4 * H)
        raw, hours = summary(store)
    assert [v for _, v in raw] == [inf, 1.0, -inf, inf]
    assert hours == [(T0, 1.0, inf, inf, 2), (T0 + H, -inf, -inf, -inf, 1),
                     (T0 + 2 * H, inf, inf, inf, 1)]


def test_a_close_that_fails_halfway_leaves_nothing_half_done(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "db") as store:
        store.write([r(float(i), T0 + 60 * i) for i in range(30)])
        store.flush()
        before = (where(tmp_path / "db"), summary(store))
        conn = store._conn
        assert conn is not None
        # Interrupt the close once it merges rollups, i.e. after the points were moved.
        started: list[str] = []
        conn.set_trace_callback(lambda text: started.append(text) if "INTO rollups" in text else None)
        conn.set_progress_handler(lambda: 1 if started else 0, 100)
        with pytest.raises(StoreError, match="close steps") as caught:
            store.seal(T0 + H)
        assert caught.value.retryable  # SQLITE_INTERRUPT: the daemon tries again
        conn.set_progress_handler(None, 0)
        conn.set_trace_callback(None)
        assert started and (where(tmp_path / "db"), summary(store)) == before
        store.seal(T0 + H)
        assert where(tmp_path / "db") == (0, 30, T0 + H - STEP_S)
        assert summary(store) == before[1]


def test_the_open_step_is_read_through_recents_primary_key(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "db").close()
    conn = sqlite3.connect(tmp_path / "db")
    for statement, params in [(sql.SELECT_SAMPLES, ("[1]", 0, 1)),
                              (sql.SELECT_ROLLUPS, ("[1]", 0, 1, 0, 1)),
                              (sql.SEAL_SAMPLES, (T0,)), (sql.SEAL_RECENT, (T0,))]:
        plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + statement, params)]
        recent = [step for step in plan if " recent" in step]
        assert recent and all(step.startswith("SEARCH recent USING PRIMARY KEY (ts")
                              for step in recent), plan
    conn.close()


# The version-1 tables exactly as the previous roomwatch created them.
V1_SCHEMA = """
CREATE TABLE series (id INTEGER PRIMARY KEY AUTOINCREMENT, metric TEXT NOT NULL,
                     labels TEXT NOT NULL, UNIQUE (metric, labels));
CREATE TABLE samples (series_id INTEGER NOT NULL, ts REAL NOT NULL, value REAL,
                      PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
CREATE TABLE rollups (series_id INTEGER NOT NULL, hour INTEGER NOT NULL, min REAL NOT NULL,
                      max REAL NOT NULL, sum REAL NOT NULL, count INTEGER NOT NULL,
                      PRIMARY KEY (series_id, hour)) WITHOUT ROWID;
CREATE TABLE alerts (id INTEGER PRIMARY KEY, ts REAL NOT NULL, fingerprint TEXT NOT NULL,
                     rule TEXT NOT NULL, state TEXT NOT NULL, severity TEXT NOT NULL,
                     labels TEXT NOT NULL, value REAL, active_at REAL NOT NULL, fired_at REAL,
                     resolved_at REAL, summary TEXT NOT NULL, clause TEXT NOT NULL,
                     annotations TEXT NOT NULL);
CREATE INDEX alerts_ts ON alerts (ts);
CREATE INDEX alerts_fingerprint ON alerts (fingerprint, ts);
PRAGMA user_version=1;
"""


def _v1_store(path: Path) -> None:
    """A file as version 1 left it: two hours of one series, rolled up on every flush."""
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("INSERT INTO series (metric, labels) VALUES (?, ?)",
                 ("temperature_celsius", sql.labels_json(LABELS)))
    conn.executemany("INSERT INTO samples VALUES (1, ?, ?)",
                     [(T0 + 60, 20.0), (T0 + 120, 24.0), (T0 + H + 60, 30.0)])
    conn.executemany("INSERT INTO rollups VALUES (1, ?, ?, ?, ?, ?)",
                     [(T0, 20.0, 24.0, 44.0, 2), (T0 + H, 30.0, 30.0, 30.0, 1)])
    conn.commit()
    conn.close()


def test_a_version_1_file_opens_with_its_data_and_keeps_counting(tmp_path: Path) -> None:
    _v1_store(tmp_path / "db")
    with SQLiteStore(tmp_path / "db") as store:
        assert summary(store) == ([(T0 + 60, 20.0), (T0 + 120, 24.0), (T0 + H + 60, 30.0)],
                                  [(T0, 20.0, 24.0, 22.0, 2), (T0 + H, 30.0, 30.0, 30.0, 1)])
        # Everything version 1 stored counts as closed: its hours already have their rollups.
        assert where(tmp_path / "db") == (0, 3, T0 + 2 * H)
        # The daemon goes on where it stopped: a point in the last old hour merges into its
        # rollup, a re-sent one is not counted again, a new hour starts in recent.
        store.write([r(32.0, T0 + H + 120), r(99.0, T0 + H + 60), r(40.0, T0 + 2 * H + 60)])
        store.flush()
        raw, hours = summary(store)
    assert [v for _, v in raw] == [20.0, 24.0, 30.0, 32.0, 40.0]
    assert hours == [(T0, 20.0, 24.0, 22.0, 2), (T0 + H, 30.0, 32.0, 31.0, 2),
                     (T0 + 2 * H, 40.0, 40.0, 40.0, 1)]
    conn = sqlite3.connect(tmp_path / "db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == sql.SCHEMA_VERSION


def test_an_empty_version_1_file_starts_with_nothing_closed(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db")
    conn.executescript(V1_SCHEMA)
    conn.close()
    with SQLiteStore(tmp_path / "db") as store:
        store.write([r(1.0, T0)])
        store.flush()
        assert summary(store)[1] == [(T0, 1.0, 1.0, 1.0, 1)]
    assert where(tmp_path / "db") == (1, 0, T0 - STEP_S)


@pytest.mark.parametrize("ts", [-1.0, -3600.0, -3599.5, 0.0, 7199.999, 7200.0])
def test_sql_and_python_agree_on_the_hour(ts: float) -> None:
    from monitor.store.sqlite_buckets import hour_floor

    conn = sqlite3.connect(":memory:")
    assert conn.execute(f"SELECT {sql.hour_of('?1')}", (ts,)).fetchone()[0] == hour_floor(ts)
