"""Catalog events as readings, judged by the shipped pack: a timeline of login failures from one
source (brute force fires at the fifth within 5 minutes, resolves when they age out), a save
outside any window, a cleared log."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from collectors.syslog.catalog import load
from collectors.syslog.events import Tally
from collectors.syslog.parse import parse
from monitor.core.model import AlertState
from monitor.core.windows import Window
from rules.engine import Engine
from rules.loader import load_pack

T0 = dt.datetime(2026, 12, 3, 14, tzinfo=dt.UTC).timestamp()  # a Thursday, 22:00 in Shanghai
SW = {"device": "core-sw", "kind": "switch", "level": "1", "room": "A"}
CATALOG = load()
SHANGHAI = ZoneInfo("Asia/Shanghai")
FAILED = b"<36>Dec  3 14:00:00 web1 sshd[9]: Failed password for root from 192.0.2.66 port 22 ssh2"


def _feed(tally: Tally, engine: Engine, raw: bytes, at: float) -> None:
    msg = parse(raw, received=at, source="192.0.2.7", device="core-sw")
    event = CATALOG.match(msg.text)
    assert event is not None
    engine.ingest(tally.readings(msg, event, SW))


# (minute, failures sent at that minute, login_failures_recent told, brute-force alert state)
TIMELINE = [
    (0.0, 2, 2, None),
    (2.0, 2, 4, None),
    (4.0, 1, 5, AlertState.FIRING),
    (5.5, 0, 3, AlertState.RESOLVED),   # the two of minute 0 aged out of the 5-minute window
    (11.0, 0, 0, None),
]


def test_brute_force_timeline() -> None:
    tally, engine = Tally(window=300.0), Engine(load_pack("regulation"))
    for minute, sent, recent, state in TIMELINE:
        now = T0 + minute * 60
        for _ in range(sent):
            _feed(tally, engine, FAILED, now)
        told = [r for r in tally.recent(now)] if not sent else []
        engine.ingest(told)
        counts = {r.value for r in told}
        if told:
            assert counts == {float(recent)}
        alerts = [a for a in engine.evaluate(now) if a.rule == "login_brute_force"]
        assert [a.state for a in alerts] == ([state] if state else []), minute
    assert [r for r in tally.recent(T0 + 3600)] == []  # forgotten once at 0


def test_failures_count_per_user_and_source() -> None:
    tally = Tally(window=300.0)
    msg = parse(FAILED, received=T0, source="192.0.2.7", device="core-sw")
    event = CATALOG.match(msg.text)
    assert event is not None
    tally.readings(msg, event, SW)
    total, recent = tally.readings(msg, event, SW)
    assert (total.metric, total.value, total.labels["user"], total.labels["source"]) == (
        "login_failed_total", 2.0, "root", "192.0.2.66")
    assert (recent.metric, recent.value) == ("login_failures_recent", 2.0)
    assert total.annotations["message"].startswith("sshd[9]: Failed password")


@pytest.mark.parametrize(("local", "in_window", "fires"), [
    (dt.datetime(2026, 12, 3, 22, tzinfo=SHANGHAI), "0", True),   # Thursday night: no window
    (dt.datetime(2026, 12, 4, 2, tzinfo=SHANGHAI), "1", False),   # Friday 02:00: inside it
])
def test_a_save_outside_a_window_names_the_user(local: dt.datetime, in_window: str, fires: bool) -> None:
    night = Window.model_validate({"name": "夜间维护", "days": ["fri"], "start": "00:00", "end": "06:00"})
    tally, engine = Tally(window=300.0, windows=[night]), Engine(load_pack("regulation"))
    at = local.timestamp()
    raw = (b'<189>Dec  3 2026 22:00:00 core-sw %%01SHELL/5/CMDRECORD(s)[27]:Recorded command information.'
           b' (Task=VT0, Ip=192.0.2.7, VpnName=, User=netops, AuthenticationMethod="Password",'
           b' Command="save")')
    msg = parse(raw, received=at, source="192.0.2.7", device="core-sw")
    event = CATALOG.match(msg.text)
    assert event is not None
    [saved] = tally.readings(msg, event, SW)
    assert (saved.labels["user"], saved.labels["in_window"]) == ("netops", in_window)
    engine.ingest([saved])
    alerts = [a for a in engine.evaluate(at) if a.rule == "config_saved_outside_window"]
    told = ["core-sw 配置在维护窗口外被 netops 保存（设备 syslog）"] if fires else []
    assert [a.summary for a in alerts] == told


def test_a_cleared_log_is_critical() -> None:
    tally, engine = Tally(window=300.0), Engine(load_pack("regulation"))
    _feed(tally, engine, b"<189>Dec  3 16:00:00 core-sw %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged "
          b"command:!exec: clear logging", T0)
    [alert] = [a for a in engine.evaluate(T0) if a.rule == "logs_cleared_on_device"]
    assert alert.severity.value == "critical" and alert.summary == "core-sw 的日志被清除（设备 syslog 报告）"
