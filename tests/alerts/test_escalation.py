"""Timeline tables for escalation, the on-call rota and 002's 2 h / 4 h repair-time notices."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alerts.ack import Acks
from alerts.config import OnCall
from alerts.oncall import on_duty
from monitor.core.model import AlertState, Severity

from .helpers import alert, dispatcher, queued

URL = "json://127.0.0.1:9/"
NOTIFY = {
    "receivers": [{"name": "duty-im", "urls": [URL + "im"]},
                  {"name": "supervisor", "urls": [URL + "boss"], "format": "sms"}],
    "routes": [{"receiver": "duty-im", "group_wait": "0s"}],
    "oncall": {"people": [{"name": "张三", "phone": "13800000001", "urls": [URL + "zs"]},
                          {"name": "李四", "phone": "13800000002", "urls": [URL + "ls"]}],
               "start": "2023-11-13", "handover": "09:00", "timezone": "UTC",
               "overrides": [{"person": "李四", "from": "2023-11-14T00:00", "until": "2023-11-15T00:00"}]},
    "escalations": [{"matchers": ["severity=critical"],
                     "levels": [{"after": "15m", "receiver": "oncall"},
                                {"after": "60m", "receiver": "supervisor"}]}],
}
MON = dt.datetime(2023, 11, 13, 12, 0, tzinfo=dt.UTC).timestamp()


def test_rota_weekly_with_override() -> None:
    rota = OnCall.model_validate(NOTIFY["oncall"])
    assert on_duty(rota, MON).name == "张三"  # type: ignore[union-attr]
    assert on_duty(rota, MON + 86400).name == "李四"  # type: ignore[union-attr]  # the override
    assert on_duty(rota, MON + 2 * 86400).name == "张三"  # type: ignore[union-attr]
    assert on_duty(rota, MON + 7 * 86400).name == "李四"  # type: ignore[union-attr]  # next week
    assert on_duty(rota, MON - 3 * 3600 - 1).name == "李四"  # type: ignore[union-attr]  # before 09:00 Mon


def test_escalation_climbs_until_acknowledged_and_resolves_everyone(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, NOTIFY)
    crit = {"severity": Severity.CRITICAL, "at": MON}
    timeline = [  # (minutes after firing, action, expected (receiver, state))
        (0, "fire", [("duty-im", "firing")]),
        (14, "tick", []),
        (15, "tick", [("oncall:张三", "firing")]),
        (30, "tick", []),
        (60, "tick", [("supervisor", "firing")]),
        (61, "resolve", [("duty-im", "resolved"), ("oncall:张三", "resolved"),
                         ("supervisor", "resolved")]),
        (62, "tick", []),
    ]
    for minute, action, expected in timeline:
        now = MON + minute * 60
        if action == "fire":
            d.submit([alert("core-sw-1", "device_down", **crit)], now)  # type: ignore[arg-type]
        elif action == "resolve":
            d.submit([alert("core-sw-1", "device_down", state=AlertState.RESOLVED, resolved=now,
                            **crit)], now)  # type: ignore[arg-type]
        d.flush(now)
        assert sorted((r, s) for r, s, _ in queued(d)) == expected, minute
    assert d.state.alerts == {}


def test_ack_stops_escalation(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, NOTIFY)
    a = alert("ups-1", "ups_on_battery", severity=Severity.CRITICAL, at=MON)
    d.submit([a], MON)
    queued(d)
    Acks(d.db).add(a, by="张三", comment="已到现场", now=MON + 60)
    d.flush(MON + 3 * 3600)
    assert [r for r, _, _ in queued(d) if not r.startswith("duty")] == []


def test_escalation_message_names_the_person_and_sms_fits_one_segment(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, NOTIFY)
    d.submit([alert("core-sw-1", "device_down", severity=Severity.CRITICAL, at=MON)], MON)
    d.flush(MON + 3600)
    msgs = {m.target.rsplit("#", 1)[0]: m for m in d.outbox.due(1e12)}
    assert msgs["supervisor"].title == "" and len(msgs["supervisor"].body) <= 70
    assert msgs["supervisor"].body.startswith("【升级L2】core-sw-1")
    assert msgs["oncall:张三"].body.startswith("【升级L1】core-sw-1")


def test_repair_time_notices_at_2h_and_4h(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, {"urls": [URL]})
    timeline = [  # (minutes, expected titles' first words)
        (0, ["[告警][严重]"]),
        (119, []),
        (120, ["[超时"]),
        (121, []),
        (240, ["[告警]", "[超时"]),  # the 4 h repeat_interval and the notice
        (400, []),
    ]
    for minute, expected in timeline:
        now = MON + minute * 60
        if minute == 0:
            d.submit([alert("ups-1", "ups_on_battery", severity=Severity.CRITICAL, at=MON)], now)
        d.flush(now)
        got = [t.split(" ")[0] for _, _, t in queued(d)]
        assert [g[: len(e)] for g, e in zip(got, expected, strict=True)] == expected, minute


def test_after_a_long_outage_only_the_highest_limit_is_told(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, {"urls": [URL]})
    d.submit([alert("ups-1", "ups_on_battery", severity=Severity.CRITICAL, at=MON)], MON + 5 * 3600)
    titles = [t for _, _, t in queued(d)]
    assert len(titles) == 2 and titles[1].startswith("[超时 4小时 未恢复]")


def test_warnings_get_no_repair_notice(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, {"urls": [URL]})
    d.submit([alert("th-1", at=MON)], MON)
    d.flush(MON + 3 * 3600)
    assert len(queued(d)) == 1
