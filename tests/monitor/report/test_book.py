"""The inspection book is append-only: later runs add dated entries, corrections after close."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from monitor.report.book import InspectionBook
from monitor.report.items import Finding, ItemResult, Status

DAY_START, DAY_END = 1_000_000.0, 1_086_400.0


def rows(status: Status) -> list[ItemResult]:
    found = (Finding(item="environment", device="th-1", metric="temperature_celsius", value=29.4,
                     start=DAY_START + 60, end=DAY_START + 2460, unit="°C", clause="003:163"),)
    return [ItemResult(key="environment", status=status, series=2,
                       findings=found if status is Status.ABNORMAL else ())]


@pytest.mark.parametrize(("written", "earlier", "kind"), [
    (DAY_END - 1, [], "provisional"),                 # the day is still open
    (DAY_END + 1, [], "record"),                      # first entry after close
    (DAY_END + 1, [DAY_END - 5], "record"),           # after a provisional one
    (DAY_END + 9, [DAY_END + 1], "correction"),       # the closed day already has a record
])
def test_entry_kind(tmp_path: Path, written: float, earlier: list[float], kind: str) -> None:
    book = InspectionBook(tmp_path / "inspections.db")
    for when in earlier:
        book.add(day="d", start=DAY_START, end=DAY_END, now=when, items=rows(Status.NORMAL), reviewer="")
    entry = book.add(day="d", start=DAY_START, end=DAY_END, now=written, items=rows(Status.ABNORMAL),
                     reviewer="张主任")
    assert entry.kind == kind
    assert book.current("d") == entry
    assert len(book.entries("d")) == len(earlier) + 1
    book.close()


def test_records_survive_reopen_and_refuse_rewrites(tmp_path: Path) -> None:
    path = tmp_path / "inspections.db"
    book = InspectionBook(path)
    first = book.add(day="d", start=DAY_START, end=DAY_END, now=DAY_END + 1, items=rows(Status.ABNORMAL),
                     reviewer="r")
    book.close()
    again = InspectionBook(path)
    assert again.current("d") == first
    assert again.current("d").items[0].findings[0].value == 29.4  # type: ignore[union-attr]
    again.close()
    with sqlite3.connect(path) as conn:
        for sql in ("UPDATE entries SET kind = 'x'", "DELETE FROM entries"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)


def test_a_stored_normal_with_no_series_read_is_read_back_as_no_data(tmp_path: Path) -> None:
    # The judge never writes it; a record that says 正常 without evidence must not be shown so anywhere.
    book = InspectionBook(tmp_path / "inspections.db")
    book.add(day="1970-01-12", start=DAY_START, end=DAY_END, now=DAY_END + 1,
             items=[ItemResult(key="environment", status=Status.NORMAL, series=0), *rows(Status.NORMAL)],
             reviewer="r")
    entry = book.current("1970-01-12")
    book.close()
    assert entry is not None
    assert [(r.status, r.series) for r in entry.items] == [(Status.NO_DATA, 0), (Status.NORMAL, 2)]
