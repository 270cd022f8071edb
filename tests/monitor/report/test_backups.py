"""The 数据备份 item per job: a configured job without data is 无数据 (never hidden by a healthy
one), the daily record lists each job, the weekly grid marks a missed day × and lists restore
tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

from monitor.core.model import Reading
from monitor.report import backups, items, render, weekly
from monitor.report.book import InspectionBook
from monitor.report.items import ItemResult, Status
from monitor.report.judge import judge, load

TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, tzinfo=TZ).timestamp()
HOUR = 3600.0
JOB = {"device": "db-1", "job": "his-db", "level": "1"}


def week_of_backups(stop_day: int) -> list[Reading]:
    """Hourly readings of his-db: nightly backups at 02:00 until ``stop_day`` (0 = Monday)."""
    out = []
    last_ok = MONDAY - 22 * HOUR
    for hour in range(7 * 24):
        ts = MONDAY + hour * HOUR
        if hour % 24 == 2 and hour // 24 < stop_day:
            last_ok = ts
        out += [Reading("backup_age_hours", (ts - last_ok) / HOUR, JOB, ts),
                Reading("backup_last_success_timestamp", last_ok, JOB, ts),
                Reading("backup_verified", 1.0, JOB, ts), Reading("backup_readable", 1.0, JOB, ts),
                Reading("restore_test_age_days", 2.0 + hour / 24, JOB, ts)]
    return out


def test_a_silent_job_is_no_data_and_each_job_is_listed(seed: ModuleType, tmp_path: Path) -> None:
    table = items.items(backup_jobs=("his-db", "oa-dump"))
    store = seed.open_store(tmp_path / "s.db")
    store.write(week_of_backups(7)[:24 * 5])
    store.flush()
    try:
        data = load(store, MONDAY, MONDAY + 86400, [m for i in table for m in i.metrics])
        [row] = [r for r in judge(store, data, table, MONDAY, MONDAY + 86400) if r.key == "backup"]
        assert row.status is Status.NO_DATA  # his-db fine, but oa-dump said nothing
        lines = backups.job_lines(data, MONDAY, MONDAY + 86400, ["his-db", "oa-dump"])
    finally:
        store.close()
    his, oa = lines
    assert (his["job"], his["last_success"], his["verified"]) == ("his-db", MONDAY + 2 * HOUR, 1.0)
    assert his["age_hours"] == 21.0 and his["restore_age_days"] == 2 + 23 / 24
    assert (oa["job"], oa["seen"], oa["age_hours"]) == ("oa-dump", False, None)
    book = InspectionBook(tmp_path / "inspections.db")
    try:
        result = ItemResult(key="backup", status=row.status, details=tuple(lines))
        entry = book.add(day="2026-11-16", start=MONDAY, end=MONDAY + 86400, now=MONDAY + 86400,
                         items=[result], reviewer="")
        text = render.daily_markdown(entry, table, TZ, "zh")
        again = book.entries("2026-11-16")[0]
    finally:
        book.close()
    assert "| his-db | 2026-11-16 02:00 | 21 | 通过 | 3 | — |" in text
    assert "| oa-dump | 无数据 | — | 无数据 | — | — |" in text
    assert again.items[0].details == tuple(lines)  # kept in the inspection book


def test_the_week_marks_missed_days_and_lists_restore_tests(seed: ModuleType, tmp_path: Path) -> None:
    store = seed.open_store(tmp_path / "s.db")
    store.write(week_of_backups(stop_day=4))  # last backup Thursday 02:00
    store.flush()
    tests = [{"ts": MONDAY + 3 * 86400 + 10 * HOUR, "job": "his-db", "by": "王工", "what": "his.dump",
              "result": "ok", "detail": "", "manual": False},
             {"ts": MONDAY + 5 * 86400, "job": "his-db", "by": "李工", "what": "HIS 库", "result": "failed",
              "detail": "表结构不一致", "manual": True},
             {"ts": MONDAY - 86400, "job": "his-db", "by": "x", "what": "", "result": "ok", "detail": "",
              "manual": False}]
    try:
        report = weekly.build(store, year=2026, week=47, tz=TZ, tz_name="Asia/Shanghai",
                              now=MONDAY + 8 * 86400, table=items.items(backup_jobs=("his-db",)), book=None,
                              acks={}, designs={}, reviewer="", backup_limits={"his-db": 26.0},
                              restore_tests=tests)
    finally:
        store.close()
    [grid] = report.backups
    assert grid["days"] == ["√", "√", "√", "√", "×", "×", "×"] and not grid["ok"]
    assert [t["by"] for t in report.restore_tests] == ["王工", "李工"]  # last week's one left out
    text = render.weekly_markdown(report, TZ, "zh")
    assert "| his-db | √ | √ | √ | √ | × | × | × |" in text
    assert "| 李工 (手工) | HIS 库 | 异常 (表结构不一致) |" in text
