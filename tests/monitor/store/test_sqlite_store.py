"""SQLiteStore: round trips, label matching, rollups, alert history, retention, reopening."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.core.model import Alert, AlertState, Reading, Severity
from monitor.store import sqlite_schema as sql
from monitor.store.base import Rollup
from monitor.store.sqlite import SQLiteStore

H = 3600.0
T0 = 1_700_000_000.0 - 1_700_000_000.0 % H  # an hour boundary
ROOM = "一号机房"


def r(value: float, ts: float, metric: str = "temperature_celsius", **labels: str) -> Reading:
    return Reading(metric, value, labels or {"device": "ups1", "room": ROOM}, ts)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "roomwatch.db") as s:
        yield s


def test_minimal_empty_store_answers_empty(store: SQLiteStore) -> None:
    store.flush()
    assert store.query("up", 0, 2e9) == []
    assert store.rollups("up", 0, 2e9) == []
    assert store.alerts(0, 2e9) == []
    assert store.series() == []
    assert store.series("up") == []
    store.prune(T0)
    store.close()
    store.close()  # closing twice is harmless


def test_file_is_wal_with_a_schema_version(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "db").close()
    conn = sqlite3.connect(tmp_path / "db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    tables = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_stat%'")}
    assert tables == {"series", "samples", "recent", "sealed", "rollups", "alerts", "sqlite_sequence"}


def test_round_trip_keeps_values_labels_and_order(store: SQLiteStore) -> None:
    written = [r(23.5, T0 + 60), r(22.0, T0), r(-1.25, T0 + 120),
               r(1.0, T0 + 30, "up", device="交换机-A", site="北京")]
    store.write(written)
    assert store.query("temperature_celsius", 0, 2e9) == []  # buffered until flushed
    store.flush()
    got = store.query("temperature_celsius", 0, 2e9)
    assert got == sorted(written[:3], key=lambda x: x.ts)
    assert got[0].labels == {"device": "ups1", "room": ROOM}
    assert store.query("up", 0, 2e9) == [written[3]]
    assert store.series() == [("temperature_celsius", {"device": "ups1", "room": ROOM}),
                              ("up", {"device": "交换机-A", "site": "北京"})]
    assert store.series("up") == [("up", {"device": "交换机-A", "site": "北京"})]


def test_query_window_is_half_open(store: SQLiteStore) -> None:
    store.write([r(float(i), T0 + i) for i in range(5)])
    store.flush()
    assert [x.value for x in store.query("temperature_celsius", T0 + 1, T0 + 3)] == [1.0, 2.0]


def test_match_is_an_exact_subset_of_labels(store: SQLiteStore) -> None:
    store.write([r(1.0, T0, device="ups1", room=ROOM), r(2.0, T0, device="ups2", room=ROOM),
                 r(3.0, T0, device="ups3", room="二号机房"), r(4.0, T0, device="ups1")])
    store.flush()

    def values(match: dict[str, str] | None) -> list[float]:
        return sorted(x.value for x in store.query("temperature_celsius", 0, 2e9, match))

    assert values(None) == [1.0, 2.0, 3.0, 4.0]
    assert values({}) == [1.0, 2.0, 3.0, 4.0]
    assert values({"room": ROOM}) == [1.0, 2.0]
    assert values({"room": ROOM, "device": "ups2"}) == [2.0]
    assert values({"device": "ups1"}) == [1.0, 4.0]
    assert values({"room": "一号"}) == []  # equality, not prefix
    assert values({"rack": "A"}) == []
    assert store.query("humidity_percent", 0, 2e9) == []


def test_nan_is_kept_raw_and_left_out_of_rollups(store: SQLiteStore) -> None:
    store.write([r(math.nan, T0), r(4.0, T0 + 60)])
    store.flush()
    raw = store.query("temperature_celsius", 0, 2e9)
    assert math.isnan(raw[0].value) and raw[1].value == 4.0
    assert [(x.count, x.avg) for x in store.rollups("temperature_celsius", 0, 2e9)] == [(1, 4.0)]


def test_rollups_merge_several_flushes_into_one_hour(store: SQLiteStore) -> None:
    store.write([r(20.0, T0 + 10), r(26.0, T0 + 20)])
    store.flush()
    store.write([r(22.0, T0 + 30)])
    store.flush()
    store.write([r(18.0, T0 + 3599), r(30.0, T0 + 3600)])  # the last one opens the next hour
    store.flush()
    labels = {"device": "ups1", "room": ROOM}
    assert store.rollups("temperature_celsius", 0, 2e9) == [
        Rollup(metric="temperature_celsius", labels=labels, hour=T0, min=18.0, max=26.0,
               avg=21.5, count=4),
        Rollup(metric="temperature_celsius", labels=labels, hour=T0 + H, min=30.0, max=30.0,
               avg=30.0, count=1),
    ]
    # Hours *starting* in [start, end).
    assert [x.hour for x in store.rollups("temperature_celsius", T0 + 1, T0 + 2 * H)] == [T0 + H]
    assert [x.hour for x in store.rollups("temperature_celsius", T0, T0 + H)] == [T0]


def test_rollups_are_ordered_by_labels_then_hour(store: SQLiteStore) -> None:
    # Written b before a so that series ids do not happen to follow label order.
    store.write([r(1.0, T0 + H, device="b"), r(2.0, T0, device="b"),
                 r(3.0, T0 + H, device="a"), r(4.0, T0, device="a")])
    store.flush()
    got = [(x.labels["device"], x.hour) for x in store.rollups("temperature_celsius", 0, 2e9)]
    assert got == [("a", T0), ("a", T0 + H), ("b", T0), ("b", T0 + H)]
    assert [x.max for x in store.rollups("temperature_celsius", 0, 2e9, {"device": "b"})] == [2.0, 1.0]


def test_hour_is_floor_of_epoch_hours(store: SQLiteStore) -> None:
    store.write([r(1.0, 7199.999), r(2.0, 7200.0), r(3.0, 0.5)])
    store.flush()
    assert [x.hour for x in store.rollups("temperature_celsius", 0, 2e9)] == [0.0, 3600.0, 7200.0]


def test_a_point_written_twice_is_stored_and_counted_once(store: SQLiteStore) -> None:
    store.write([r(20.0, T0), r(99.0, T0), r(21.0, T0 + 60)])  # duplicate inside one batch
    store.flush()
    store.write([r(50.0, T0 + 60), r(22.0, T0 + 120)])  # a late re-send across batches
    store.flush()
    assert [x.value for x in store.query("temperature_celsius", 0, 2e9)] == [20.0, 21.0, 22.0]
    (hour,) = store.rollups("temperature_celsius", 0, 2e9)
    assert (hour.min, hour.max, hour.count, hour.avg) == (20.0, 22.0, 3, 21.0)


def test_labels_in_another_order_are_the_same_series(store: SQLiteStore) -> None:
    store.write([Reading("up", 1.0, {"device": "sw1", "room": ROOM}, T0)])
    store.write([Reading("up", 0.0, {"room": ROOM, "device": "sw1"}, T0 + 60)])  # same, reordered
    store.flush()
    store.write([Reading("up", 1.0, {"room": ROOM, "device": "sw1"}, T0 + 120)])  # a later flush
    store.flush()
    assert store.series("up") == [("up", {"device": "sw1", "room": ROOM})]
    assert [x.value for x in store.query("up", 0, 2e9)] == [1.0, 0.0, 1.0]
    (hour,) = store.rollups("up", 0, 2e9)
    assert (hour.count, hour.min, hour.max) == (3, 0.0, 1.0)


def _life() -> list[Alert]:
    pending = Alert(rule="ups_on_battery", labels={"device": "ups1", "room": ROOM},
                    state=AlertState.PENDING, severity=Severity.CRITICAL, value=1.0, active_at=T0,
                    summary="UPS 正在使用电池供电", clause="GB 50174-2017 §8.1",
                    annotations={"runbook": "检查市电输入"})
    firing = replace(pending, state=AlertState.FIRING, fired_at=T0 + 60)
    return [pending, firing, replace(firing, state=AlertState.RESOLVED, value=0.0,
                                     resolved_at=T0 + 600)]


def test_alert_history_round_trip(store: SQLiteStore) -> None:
    life = _life()
    store.write_alerts(life[:2])
    store.flush()
    store.write_alerts(life[2:])
    store.flush()
    assert store.alerts(0, 2e9) == life
    assert store.alerts(T0 + 60, T0 + 600) == [life[1]]  # by the transition's own time
    assert len({a.fingerprint for a in store.alerts(0, 2e9)}) == 1


def test_prune_applies_both_retentions(tmp_path: Path) -> None:
    now = T0 + 100 * H
    with SQLiteStore(tmp_path / "db", retention_s=2 * H, rollup_retention_s=50 * H) as store:
        store.write([r(1.0, now - 60 * H), r(2.0, now - 10 * H), r(3.0, now - H),
                     r(9.0, now - 60 * H, device="gone")])
        store.write_alerts(_life())  # at T0: 100 hours ago
        store.flush()
        store.prune(now)
        assert [x.value for x in store.query("temperature_celsius", 0, 2e9)] == [3.0]
        assert [x.hour for x in store.rollups("temperature_celsius", 0, 2e9)] == [
            now - 10 * H, now - H]
        assert store.alerts(0, 2e9) == []
        # A series with neither samples nor rollups left is forgotten, and comes back if seen again.
        assert [labels["device"] for _, labels in store.series()] == ["ups1"]
        store.write([r(7.0, now, device="gone")])
        store.flush()
        assert store.query("temperature_celsius", now, now + 1, {"device": "gone"})[0].value == 7.0


def test_reopening_keeps_everything(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "db") as store:
        store.write([r(20.0, T0), r(1.0, T0, "up", device="sw1")])
        store.write_alerts(_life())
    # close() flushed; a new process sees the same data and rebuilds its series cache.
    with SQLiteStore(tmp_path / "db") as again:
        assert again.series() == [("temperature_celsius", {"device": "ups1", "room": ROOM}),
                                  ("up", {"device": "sw1"})]
        assert again.alerts(0, 2e9) == _life()
        again.write([r(30.0, T0 + 60)])
        again.flush()
        assert [x.value for x in again.query("temperature_celsius", 0, 2e9)] == [20.0, 30.0]
        assert [(x.count, x.avg) for x in again.rollups("temperature_celsius", 0, 2e9)] == [(2, 25.0)]
        assert len(again.series()) == 2  # the known series was reused, not inserted again


def test_a_reader_learns_series_the_writer_adds_later(tmp_path: Path) -> None:
    # The weekly report opens its own store while the daemon keeps writing to the same file.
    with SQLiteStore(tmp_path / "db") as writer, SQLiteStore(tmp_path / "db") as reader:
        assert reader.series() == []
        writer.write([r(20.0, T0), r(1.0, T0, "up", device="sw1")])
        writer.flush()
        assert [x.value for x in reader.query("temperature_celsius", 0, 2e9, {"room": ROOM})] == [20.0]
        assert [x.count for x in reader.rollups("up", 0, 2e9)] == [1]
        assert len(reader.series()) == 2


@pytest.mark.parametrize("statement", [sql.PRUNE_SAMPLES, sql.PRUNE_ROLLUPS])
def test_retention_deletes_through_the_primary_key(tmp_path: Path, statement: str) -> None:
    # There is no index on ts on purpose; this keeps prune from turning into a full scan.
    SQLiteStore(tmp_path / "db").close()
    conn = sqlite3.connect(tmp_path / "db")
    plan = " ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + statement, (T0,)))
    assert "USING PRIMARY KEY" in plan and "SCAN samples" not in plan and "SCAN rollups" not in plan
