"""Timeline tables for inhibition, silences, maintenance windows and acknowledgement."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from alerts.ack import Acks
from monitor.core.model import AlertState
from monitor.core.windows import Window

from .helpers import alert, dispatcher, queued, receivers

URL = "json://127.0.0.1:9/"
DUTY = {"receivers": [{"name": "duty", "urls": [URL]}],
        "routes": [{"receiver": "duty", "group_by": ["..."], "group_wait": "30s",
                    "group_interval": "1m", "repeat_interval": "1h"}],
        "inhibit": [{"source": ["alertname=ups_on_battery"], "target": ["alertname=room_temperature"],
                     "equal": ["room"]}]}
PARENTS = {"th-1": "core-sw-1", "ups-1": "core-sw-1"}


def titles(d) -> list[str]:  # type: ignore[no-untyped-def]
    # "[告警][警告][第 2 次提醒] th-1 what": what, without the tags and the device
    return sorted(re.sub(r"^(\[[^\]]*\])+ \S+ ", "", t) for _, _, t in queued(d))


def test_a_dead_switch_pages_once_not_once_per_device(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, DUTY, parents=PARENTS)
    d.submit([alert("th-1", "device_down"), alert("ups-1", "device_down"),
              alert("core-sw-1", "device_down"), alert("core-sw-1", "cpu_high"),
              alert("th-2", "device_down")], 0.0)
    d.flush(30.0)
    # core-sw-1's own down alert and th-2 (not behind it); its cpu alert and its children are muted
    assert titles(d) == ["device_down on core-sw-1", "device_down on th-2"]


def test_custom_inhibit_rule_with_equal_labels(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, DUTY)
    d.submit([alert("ups-1", "ups_on_battery", room="A"), alert("th-a", room="A"),
              alert("th-b", room="B")], 0.0)
    d.flush(30.0)
    assert titles(d) == ["room_temperature on th-b", "ups_on_battery on ups-1"]


def test_a_website_outage_pages_once_not_also_for_its_loss(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, DUTY)
    d.submit([alert("portal", "website_unavailable", link="portal", probe="http"),
              alert("portal", "link_loss_high", link="portal", probe="http"),
              alert("his-line", "link_loss_high", link="his-line", probe="icmp")], 0.0)
    d.flush(30.0)
    # The other link's loss is its own matter and is told.
    assert titles(d) == ["link_loss_high on his-line", "website_unavailable on portal"]


def test_resolve_is_told_even_when_silenced_after_the_page(tmp_path: Path) -> None:
    """alertmanager#226: page, then silence, then resolve — the resolve must arrive."""
    d = dispatcher(tmp_path, DUTY)
    timeline = [  # (second, action, expected (state) messages)
        (0, "fire", []),
        (30, "tick", ["firing"]),
        (60, "silence", []),
        (200, "tick", []),
        (4000, "tick", []),  # no repeat while silenced
        (4100, "resolve", []),  # group_interval since the last message has passed: told at once?
        (4200, "tick", ["resolved"]),
    ]
    for second, action, expected in timeline:
        now = float(second)
        if action == "fire":
            d.submit([alert("th-1")], now)
        elif action == "silence":
            d.silences.add(["device=th-1"], starts=now, ends=now + 86400, comment="割接",
                           created_by="张三", now=now)
        elif action == "resolve":
            d.submit([alert("th-1", state=AlertState.RESOLVED, resolved=now)], now)
        d.flush(now)
        got = [s for _, s, _ in queued(d)]
        if action == "resolve":  # told either now or at the next tick, exactly once overall
            expected, timeline[-1] = got, (4200, "tick", [] if got else ["resolved"])
        assert got == expected, second


def test_silenced_before_the_page_is_never_told_nor_resolved(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, DUTY)
    sid = d.silences.add(["device=~th-.*"], starts=0, ends=1000, comment="", created_by="x", now=0)
    d.submit([alert("th-1")], 0.0)
    d.flush(30.0)
    assert queued(d) == []
    d.submit([alert("th-1", state=AlertState.RESOLVED, resolved=40.0)], 40.0)
    d.flush(200.0)
    assert queued(d) == [] and d.state.alerts == {}
    assert d.silences.expire(sid, 50.0) and not d.silences.expire(sid, 60.0)


def test_silence_ends_and_the_still_firing_alert_is_told(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, DUTY)
    d.silences.add(["device=th-1"], starts=0, ends=100, comment="", created_by="x", now=0)
    d.submit([alert("th-1")], 0.0)
    for second, expected in [(30, []), (99, []), (100, ["firing"]), (200, [])]:
        d.flush(float(second))
        assert [s for _, s, _ in queued(d)] == expected, second


def test_weekly_maintenance_window_mutes(tmp_path: Path) -> None:
    window = Window.model_validate({"name": "周六维护", "match": {"room": "一号机房"}, "days": ["sat"],
                                    "start": "22:00", "end": "02:00", "timezone": "UTC"})
    d = dispatcher(tmp_path, DUTY, windows=[window])
    saturday_2300 = 1_700_000_000 - (1_700_000_000 % 86400) + 4 * 86400 + 23 * 3600  # 2023-11-18 Sat
    d.submit([alert("th-1", room="一号机房", at=saturday_2300), alert("th-2", room="二号机房",
                                                                     at=saturday_2300)], saturday_2300)
    d.flush(saturday_2300 + 30)
    assert titles(d) == ["room_temperature on th-2"]
    d.flush(saturday_2300 + 3 * 3600 + 30)  # Sunday 02:00 passed: the window closed
    assert titles(d) == ["room_temperature on th-1", "room_temperature on th-2"]  # th-2: a repeat


def test_ack_stops_repeats_but_a_new_episode_pages(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, DUTY)
    d.submit([alert("th-1")], 0.0)
    d.flush(30.0)
    assert receivers(d) == ["duty"]
    Acks(d.db).add(alert("th-1"), by="李四", comment="在处理", now=100.0)
    d.flush(30 + 3600.0)
    assert queued(d) == []  # no repeat once acknowledged
    d.submit([alert("th-1", state=AlertState.RESOLVED, resolved=4000.0)], 4000.0)
    assert [s for _, s, _ in queued(d)] == ["resolved"]
    d.submit([alert("th-1", at=5000.0)], 5000.0)
    d.flush(5030.0)
    assert [s for _, s, _ in queued(d)] == ["firing"]  # the old ack covered the old episode only
    d.flush(5030 + 3600.0)
    assert [s for _, s, _ in queued(d)] == ["firing"]


def test_acks_of_resolved_incidents_stay_in_the_log_for_the_report(tmp_path: Path) -> None:
    from monitor.report.acks import ack_times

    d = dispatcher(tmp_path, DUTY)
    firing = alert("th-1")
    d.submit([firing], 0.0)
    d.flush(30.0)
    Acks(d.db).add(firing, by="李四", comment="在处理", now=100.0)
    d.submit([alert("th-1", state=AlertState.RESOLVED, resolved=4000.0)], 4000.0)
    d.flush(4030.0)
    assert Acks(d.db).all() == {}  # the live set forgets the episode once it is resolved and told
    [ack] = ack_times(tmp_path)[firing.fingerprint]
    assert (ack.ts, ack.by) == (100.0, "李四")  # the report still measures time to acknowledge


def test_a_muted_alert_is_logged_once_with_the_silence_or_window(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    window = Window.model_validate({"name": "周六维护", "match": {"room": "一号机房"}, "days": ["sat"],
                                    "start": "22:00", "end": "02:00", "timezone": "UTC"})
    d = dispatcher(tmp_path, DUTY, windows=[window])
    sid = d.silences.add(["device=th-1"], starts=0, ends=4e9, comment="割接", created_by="x", now=0)
    saturday_2300 = 1_700_000_000 - (1_700_000_000 % 86400) + 4 * 86400 + 23 * 3600
    with caplog.at_level(logging.INFO, logger="alerts.mute"):
        d.submit([alert("th-1", at=saturday_2300), alert("th-2", room="一号机房", at=saturday_2300)],
                 saturday_2300)
        for minute in range(5):
            d.flush(saturday_2300 + 30 + 60 * minute)
    muted = sorted(r.getMessage() for r in caplog.records if "muted" in r.getMessage())
    assert [r.levelno for r in caplog.records if "muted" in r.getMessage()] == [logging.INFO] * 2
    assert muted == [
        f"alert=room_temperature device=th-1 muted (silence {sid}): evaluated and stored, not told",
        "alert=room_temperature device=th-2 muted (maintenance 周六维护): evaluated and stored, not told"]


def test_children_answering_after_their_switch_are_never_paged(tmp_path: Path) -> None:
    """issue 16: the switch's recovery is judged a poll before its children's — the usual order."""
    d = dispatcher(tmp_path, DUTY, parents={"pc-1": "acc-sw-1", "pc-2": "acc-sw-1"})
    up = AlertState.RESOLVED
    timeline = [  # (second, transitions, expected (state, title) messages)
        (0, [alert(d, "device_down") for d in ("acc-sw-1", "pc-1", "pc-2")], []),
        (30, [], [("firing", "device_down on acc-sw-1")]),
        (1800, [alert("acc-sw-1", "device_down", state=up, resolved=1800)],
         [("resolved", "device_down on acc-sw-1")]),
        (1810, [], []),  # the children, still down a moment longer, stay muted
        (1840, [alert("pc-1", "device_down", state=up, resolved=1840)], []),  # answered a poll later
        (1940, [], []),  # within parent_grace (150 s): pc-2, still down, is not told yet
        (1950, [], [("firing", "device_down on pc-2")]),  # really down on its own: told
    ]
    for second, transitions, expected in timeline:
        d.submit(transitions, float(second))
        d.flush(float(second))
        got = [(s, re.sub(r"^(\[[^\]]*\])+ \S+ ", "", t)) for _, s, t in queued(d)]
        assert got == expected, second


def test_a_repeated_page_says_which_reminder_it_is(tmp_path: Path) -> None:
    d = dispatcher(tmp_path, DUTY)
    d.submit([alert("th-1")], 0.0)
    titles_by_hour = []
    for hour in range(0, 13, 4):  # repeat_interval is 1h
        d.flush(30.0 + hour * 3600)
        titles_by_hour += [t for _, _, t in queued(d)]
    assert titles_by_hour == ["[告警][警告] th-1 room_temperature on th-1",
                              "[告警][警告][第 2 次提醒] th-1 room_temperature on th-1",
                              "[告警][警告][第 3 次提醒] th-1 room_temperature on th-1",
                              "[告警][警告][第 4 次提醒] th-1 room_temperature on th-1"]
    d.submit([alert("th-1", state=AlertState.RESOLVED, resolved=50000.0)], 50000.0)
    d.flush(50000.0)
    assert [t for _, _, t in queued(d)] == ["[恢复][警告] th-1 room_temperature on th-1"]


@pytest.mark.parametrize(("levels", "told"), [
    (None, ["room_temperature on pc-2"]),  # default: level 3 only goes to the daily record
    ({"3": {}}, ["room_temperature on pc-2", "room_temperature on pc-3"]),  # a site tells level 3 too
])
def test_level_3_devices_go_to_the_daily_record_only(tmp_path: Path, levels: dict | None,  # type: ignore[type-arg]
                                                     told: list[str]) -> None:
    d = dispatcher(tmp_path, DUTY | ({"levels": levels} if levels is not None else {}))
    d.submit([alert("pc-2", level="2"), alert("pc-3", level="3")], 0.0)
    d.flush(30.0)
    assert titles(d) == told
