"""Row 10, 运行日志: 未配置 without [syslog], 无数据 on a day no message came (never 正常), 正常 with
messages, 异常 on a brute-force burst or a cleared log; its details come from the evidence store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import ModuleType

import pytest

from collectors.syslog.parse import parse
from monitor.core.model import Reading
from monitor.report import items, runlogs
from monitor.report.items import Status
from monitor.report.judge import judge, load
from monitor.store.evidence import Evidence

UTC = dt.UTC
T0 = dt.datetime(2026, 12, 2, tzinfo=UTC).timestamp()
SW = {"device": "core-sw", "kind": "switch", "level": "1", "room": "A"}


def _row(seed: ModuleType, tmp_path: Path, readings: list[Reading], *,
         syslog: bool = True) -> items.ItemResult:
    table = items.items(syslog=syslog)
    store = seed.open_store(tmp_path / "s.db")
    store.write(readings)
    store.flush()
    try:
        data = load(store, T0, T0 + 86400, [m for i in table for m in i.metrics])
        return {r.key: r for r in judge(store, data, table, T0, T0 + 86400)}["logs"]
    finally:
        store.close()


@pytest.mark.parametrize(("syslog", "readings", "status"), [
    (False, [], Status.NOT_CONFIGURED),
    (True, [], Status.NO_DATA),
    # the receiver's own counters are not messages: still 无数据
    (True, [Reading("syslog_received_total", 0.0, {"device": "nms"}, T0 + 60)], Status.NO_DATA),
    (True, [Reading("syslog_messages", 12.0, SW, T0 + 60)], Status.NORMAL),
    (True, [Reading("syslog_messages", 12.0, SW, T0 + 60),
            Reading("login_failures_recent", 7.0, {**SW, "source": "192.0.2.66"}, T0 + 60)], Status.ABNORMAL),
    (True, [Reading("device_log_cleared", 1.0, SW, T0 + 600)], Status.ABNORMAL),
])
def test_row_status(seed: ModuleType, tmp_path: Path, syslog: bool, readings: list[Reading],
                    status: Status) -> None:
    assert _row(seed, tmp_path, readings, syslog=syslog).status is status


def test_details_count_per_device_list_what_needs_attention_and_the_digest(tmp_path: Path) -> None:
    ev = Evidence(tmp_path / "syslog.db", zone=UTC)
    lines = [(b"<38>Dec  2 10:00:00 web1 sshd[1]: Failed password for root from 192.0.2.66 port 22 ssh2",
              "web1", "login_failed"),
             (b"<27>Dec  2 10:00:02 web1 kernel: EXT4-fs error (device sda1)", "web1", ""),
             (b"<188>Dec  2 10:00:03 core-sw %%01IFNET/4/LINK_STATE(l)[1]:The line protocol on GE0/0/1 "
              b"turned to DOWN.", "core-sw", ""),
             (b"<190>Dec  2 10:00:04 core-sw %%01SHELL/6/DISPLAY_CMDRECORD:display | version", "core-sw", "")]
    ev.append([parse(raw, received=T0 + 36000 + i, source="192.0.2.7", device=dev)._replace(event=event)
               for i, (raw, dev, event) in enumerate(lines)])
    ev.seal(T0 + 86400 + 60)
    ev.close()
    rows = runlogs.details(tmp_path / "syslog.db", "2026-12-02", UTC)
    assert [r for r in rows if "total" in r] == [
        {"device": "core-sw", "total": 2, "severe": 0, "warning": 1, "events": 0},
        {"device": "web1", "total": 2, "severe": 1, "warning": 0, "events": 1}]
    assert [(r["attention"], r["device"], r["severity"], r["event"]) for r in rows if "attention" in r] == [
        ("10:00:01", "web1", "err", ""), ("10:00:00", "web1", "info", "login_failed")]
    [digest] = [r["digest"] for r in rows if "digest" in r]
    assert len(digest) == 64
    assert runlogs.details(tmp_path / "none.db", "2026-12-02", UTC) == ()


def test_week_rows(seed: ModuleType, tmp_path: Path) -> None:
    store = seed.open_store(tmp_path / "s.db")
    store.write([Reading("syslog_messages", 10.0, SW, T0 + 60), Reading("syslog_messages", 5.0, SW, T0 + 120),
                 Reading("syslog_messages", 3.0, {"device": "web1"}, T0 + 86400 * 2),
                 Reading("login_failures_recent", 3.0, {**SW, "source": "192.0.2.66"}, T0 + 60),
                 Reading("login_failures_recent", 8.0, {**SW, "source": "192.0.2.66"}, T0 + 90),
                 Reading("config_saved", 1.0, {**SW, "user": "admin", "in_window": "0"}, T0 + 300),
                 Reading("config_saved", 1.0, {**SW, "user": "ops", "in_window": "1"}, T0 + 900),
                 Reading("device_log_cleared", 1.0, {"device": "web1"}, T0 + 86400 * 2 + 60)])
    store.flush()
    try:
        data = load(store, T0, T0 + 7 * 86400, ["syslog_messages", "login_failures_recent", "config_saved",
                                                 "device_log_cleared"])
    finally:
        store.close()
    assert runlogs.week_rows(data, T0, T0 + 7 * 86400) == [
        {"device": "core-sw", "messages": 15, "brute_max": 8, "saves": 2, "saves_outside": 1, "cleared": 0},
        {"device": "web1", "messages": 3, "brute_max": 0, "saves": 0, "saves_outside": 0, "cleared": 1}]
