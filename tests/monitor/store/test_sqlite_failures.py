"""SQLiteStore when things go wrong: a locked file, a full buffer, a bad file, bad readings, threads.

Failures are real: another connection holds the write lock (chmod does not stop root), the file
is not a database, the schema is from the future. Nothing of the store itself is mocked.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.core.errors import StoreError
from monitor.core.model import Alert, AlertState, Reading, Severity
from monitor.store.sqlite import SQLiteStore
from monitor.store.sqlite_write import BUFFER_BATCHES

T0 = 1_700_000_000.0


def r(i: int, device: str = "sw1") -> Reading:
    return Reading("if_in_bps", float(i), {"device": device, "ifname": "Gi0/1"}, T0 + i)


def values(store: SQLiteStore) -> list[float]:
    return [x.value for x in store.query("if_in_bps", 0, 2e9)]


@pytest.fixture
def locker(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A second connection to the same file; ``BEGIN EXCLUSIVE`` on it takes the write lock."""
    SQLiteStore(tmp_path / "db").close()  # create the file in WAL mode first
    conn = sqlite3.connect(tmp_path / "db", isolation_level=None, timeout=0)
    yield conn
    conn.close()


def test_failed_flush_raises_retryable_and_keeps_every_point(
        tmp_path: Path, locker: sqlite3.Connection) -> None:
    alert = Alert(rule="device_down", labels={"device": "sw1"}, state=AlertState.PENDING,
                  severity=Severity.WARNING, value=0.0, active_at=T0)
    with SQLiteStore(tmp_path / "db", busy_timeout_s=0.05) as store:
        store.write([r(i) for i in range(3)])
        store.write_alerts([alert])
        locker.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreError) as caught:
            store.flush()
        assert caught.value.retryable is True
        assert "flush of 3 reading(s)" in str(caught.value)
        store.write([r(3)])  # arrives while the disk is unavailable
        assert values(store) == []  # readers still work in WAL mode; nothing half-written
        locker.execute("ROLLBACK")
        store.flush()
        assert values(store) == [0.0, 1.0, 2.0, 3.0]
        assert store.alerts(0, 2e9) == [alert]
        assert store.dropped == 0


def test_automatic_flush_failure_is_logged_not_raised(
        tmp_path: Path, locker: sqlite3.Connection, caplog: pytest.LogCaptureFixture) -> None:
    with SQLiteStore(tmp_path / "db", batch_size=2, busy_timeout_s=0.05) as store:
        locker.execute("BEGIN EXCLUSIVE")
        store.write([r(0), r(1)])  # reaches batch_size: tries to flush, fails, keeps the points
        assert "automatic flush failed" in caplog.text
        # It waits for another batch before trying again from write(), instead of every call.
        caplog.clear()
        store.write([r(2)])
        assert "automatic flush failed" not in caplog.text
        locker.execute("ROLLBACK")
        store.write([r(3)])  # a batch more arrived: flushes by itself now
        assert values(store) == [0.0, 1.0, 2.0, 3.0]


def test_full_buffer_drops_the_oldest_counts_and_says_so(
        tmp_path: Path, locker: sqlite3.Connection, caplog: pytest.LogCaptureFixture) -> None:
    cap = BUFFER_BATCHES * 2
    with SQLiteStore(tmp_path / "db", batch_size=2, busy_timeout_s=0.05) as store:
        locker.execute("BEGIN EXCLUSIVE")
        with caplog.at_level(logging.ERROR, logger="monitor.store.sqlite"):
            store.write([r(i) for i in range(cap + 30)])
            assert store.dropped == 30
            with pytest.raises(StoreError):
                store.flush()
            drops = [rec for rec in caplog.records if "buffer full" in rec.getMessage()]
            assert len(drops) == 1  # once, at the first flush attempt after the drop
            assert "dropped the oldest 30 reading(s)" in drops[0].getMessage()
            store.write([r(cap + 30)])  # one more: the oldest kept one goes
            with pytest.raises(StoreError):
                store.flush()
            assert store.dropped == 31
            assert sum("buffer full" in rec.getMessage() for rec in caplog.records) == 2
        locker.execute("ROLLBACK")
        store.flush()
        assert values(store) == [float(i) for i in range(31, cap + 31)]


def test_not_a_database_is_not_retryable(tmp_path: Path) -> None:
    (tmp_path / "db").write_bytes(b"this is a text file, not an SQLite database\n" * 100)
    with pytest.raises(StoreError) as caught:
        SQLiteStore(tmp_path / "db")
    assert caught.value.retryable is False
    assert str(tmp_path / "db") in str(caught.value)


def test_schema_from_a_newer_roomwatch_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "db")
    conn.execute("PRAGMA user_version=99")
    conn.close()
    with pytest.raises(StoreError, match="schema version 99") as caught:
        SQLiteStore(tmp_path / "db")
    assert caught.value.retryable is False


def test_a_closed_store_refuses_writes(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "db")
    store.close()
    with pytest.raises(StoreError, match="closed") as caught:
        store.write([r(0)])
    assert caught.value.retryable is False
    with pytest.raises(StoreError, match="closed"):
        store.flush()


def test_malformed_readings_are_skipped_not_retried_forever(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = [Reading("if_in_bps", "n/a", {"device": "sw1"}, T0),  # type: ignore[arg-type]
           Reading("if_in_bps", 1.0, {"device": "sw1"}, float("inf")),
           Reading("if_in_bps", 1.0, {"device": ["not", "a", "str"]}, T0)]  # type: ignore[dict-item]
    with SQLiteStore(tmp_path / "db") as store:
        store.write([r(0), *bad, r(1)])
        store.flush()
        assert values(store) == [0.0, 1.0]
        assert "skipped 3 malformed reading(s)" in caplog.text


def test_write_from_one_thread_while_another_flushes(tmp_path: Path) -> None:
    per_thread, chunk = 20_000, 250
    with SQLiteStore(tmp_path / "db", batch_size=1000) as store:
        done = threading.Event()

        def produce(device: str) -> None:
            for start in range(0, per_thread, chunk):
                store.write([r(i, device) for i in range(start, start + chunk)])

        def flush_until_done() -> None:
            while not done.is_set():
                store.flush()

        flusher = threading.Thread(target=flush_until_done)
        producers = [threading.Thread(target=produce, args=(f"sw{n}",)) for n in range(2)]
        flusher.start()
        for t in producers:
            t.start()
        for t in producers:
            t.join()
        done.set()
        flusher.join()
        store.flush()
        for n in range(2):
            got = store.query("if_in_bps", 0, 2e9, {"device": f"sw{n}"})
            assert [x.value for x in got] == [float(i) for i in range(per_thread)]
        assert sum(x.count for x in store.rollups("if_in_bps", 0, 2e9)) == 2 * per_thread
        assert store.dropped == 0


def test_a_refused_row_is_left_out_and_the_rest_of_the_batch_is_written(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """+inf then -inf of one series in one hour: the rollup's sum becomes NaN, which the NOT NULL
    column refuses. That one row is left out and counted; every other row of the batch (and of
    every later batch) is written, where before the whole store stopped for every device."""
    bad = {"device": "th-1", "sensor": "t"}
    with SQLiteStore(tmp_path / "db") as store:
        store.write([Reading("temperature_celsius", float("inf"), bad, T0)])
        store.flush()
        store.write([r(i) for i in range(5)])
        store.write([Reading("temperature_celsius", float("-inf"), bad, T0 + 1)])
        store.write([r(i) for i in range(5, 10)])
        with caplog.at_level(logging.ERROR, logger="monitor.store.sqlite"):
            store.flush()
        assert values(store) == [float(i) for i in range(10)]
        assert store.rejected == 1
        [line] = [m for m in caplog.messages if "refused" in m]
        assert "temperature_celsius" in line and "NOT NULL" in line
        store.write([r(10)])
        store.flush()  # nothing left over to retry
        assert values(store)[-1] == 10.0
