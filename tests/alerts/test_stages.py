"""The pipeline's pure stages as tables: dedup, group timing, muting, escalation steps, repair
notices, group keys. Each row is one situation and what the stage must decide."""

from __future__ import annotations

import pytest

from alerts.config import Escalation, InhibitRule
from alerts.dedup import Entry, needs_update, told_after
from alerts.escalate import compile_policies, due_steps, resolved_steps
from alerts.group import Group, GroupKey, flush_due
from alerts.inhibit import compile_rules
from alerts.matchers import parse_matchers
from alerts.mute import muted
from alerts.repair import notice_due
from alerts.silence import Silence
from monitor.core.model import Alert, AlertState, Severity
from monitor.core.windows import Window

from .helpers import alert

A, B, C = "a", "b", "c"


@pytest.mark.parametrize(("entry", "firing", "resolved", "unacked", "now", "expected"), [
    (None, set(), set(), set(), 0, False),                  # nothing firing, nothing told: quiet
    (None, {A}, set(), {A}, 0, True),                       # first page
    (Entry(frozenset({A}), 0), {A}, set(), {A}, 10, False),  # told, repeat not due
    (Entry(frozenset({A}), 0), {A}, set(), {A}, 3600, True),  # repeat due, nobody acked
    (Entry(frozenset({A}), 0), {A}, set(), set(), 3600, False),  # repeat due, but acked
    (Entry(frozenset({A}), 0), {A, B}, set(), {A, B}, 10, True),  # a new member
    (Entry(frozenset({A, B}), 0), {A}, set(), {A}, 10, False),  # one went quiet (muted): no news
    (Entry(frozenset({A}), 0), set(), {A}, set(), 10, True),   # a told alert resolved
])
def test_needs_update(entry: Entry | None, firing: set[str], resolved: set[str], unacked: set[str],
                      now: float, expected: bool) -> None:
    assert needs_update(entry, firing=firing, resolved=resolved, unacked=unacked, now=now,
                        repeat=3600) is expected


@pytest.mark.parametrize(("entry", "firing", "still_firing", "expected"), [
    (None, {A}, {A}, {A}),
    (Entry(frozenset({A}), 0), {B}, {A, B}, {A, B}),   # A muted now but still firing: kept
    (Entry(frozenset({A}), 0), {B}, {B}, {B}),         # A resolved: dropped
])
def test_told_after(entry: Entry | None, firing: set[str], still_firing: set[str],
                    expected: set[str]) -> None:
    assert told_after(entry, firing=firing, still_firing=still_firing) == frozenset(expected)


@pytest.mark.parametrize(("created", "last_flush", "now", "expected"), [
    (0, None, 29, False),    # group_wait 30 s not over
    (0, None, 30, True),
    (0, 30, 329, False),     # group_interval 5 min since the last message
    (0, 30, 330, True),
])
def test_flush_due(created: float, last_flush: float | None, now: float, expected: bool) -> None:
    group = Group(key=GroupKey(route=0, receiver="duty", digest="d"), labels={}, created=created,
                  last_flush=last_flush)
    assert flush_due(group, now, wait=30, interval=300) is expected


UPS = alert("ups-1", "ups_on_battery", room="UPS间")
HOT = alert("th-1", "room_temperature", room="UPS间")
HOT_ELSEWHERE = alert("th-2", "room_temperature", room="一号机房")
SW_DOWN = alert("sw-1", "device_down")
SW_CPU = alert("sw-1", "cpu_high")
CHILD = alert("th-9", "room_temperature", room="二号机房")
GONE = alert("th-3", "room_temperature", AlertState.RESOLVED, room="UPS间")
ON_BATTERY_MUTES_HEAT = [InhibitRule(source=["alertname=ups_on_battery"],
                                     target=["alertname=room_temperature"], equal=["room"])]
SILENCE_TH2 = Silence(id=7, matchers=tuple(parse_matchers(["device=th-2"])), starts=0, ends=100,
                      comment="", created_by="t")
WINDOW_ROOM2 = Window.model_validate({"name": "割接", "match": {"room": "二号机房"},
                                      "from": "2026-01-01T00:00", "until": "2026-01-02T00:00",
                                      "timezone": "UTC"})
JAN_1_NOON = 1767268800.0  # 2026-01-01 12:00 UTC


@pytest.mark.parametrize(("alerts", "now", "rules", "silences", "windows", "expected"), [
    ([HOT], 0, [], [], [], []),
    ([UPS, HOT, HOT_ELSEWHERE], 0, ON_BATTERY_MUTES_HEAT, [], [],
     [(HOT, "inhibited by alertname=ups_on_battery")]),               # same room only
    ([SW_DOWN, SW_CPU], 0, [], [], [], [(SW_CPU, "device sw-1 is down")]),
    ([SW_DOWN, CHILD], 0, [], [], [], [(CHILD, "parent sw-1 of th-9 is down")]),
    ([HOT_ELSEWHERE], 50, [], [SILENCE_TH2], [], [(HOT_ELSEWHERE, "silence 7")]),
    ([HOT_ELSEWHERE], 150, [], [SILENCE_TH2], [], []),                  # the silence ended
    ([CHILD], JAN_1_NOON, [], [], [WINDOW_ROOM2], [(CHILD, "maintenance 割接")]),
    ([CHILD], JAN_1_NOON + 86400, [], [], [WINDOW_ROOM2], []),          # the window closed
    ([GONE], 0, ON_BATTERY_MUTES_HEAT, [], [], []),                     # a resolve is never muted
])
def test_muted(alerts: list[Alert], now: float, rules: list[InhibitRule], silences: list[Silence],
               windows: list[Window], expected: list[tuple[Alert, str]]) -> None:
    got = muted(alerts, now, rules=compile_rules(rules), down_rule="device_down",
                parents={"th-9": "sw-1"}, silences=silences, windows=windows)
    assert got == {a.fingerprint: why for a, why in expected}


POLICIES = compile_policies([Escalation.model_validate({
    "matchers": ["severity=critical"],
    "levels": [{"after": "15m", "receiver": "oncall"}, {"after": "60m", "receiver": "boss"}]})])
CRIT = alert("ups-1", "ups_on_battery", severity=Severity.CRITICAL, at=0.0)


@pytest.mark.parametrize(("minute", "told", "muted_", "acked", "expected"), [
    (14, {}, False, False, []),
    (15, {}, False, False, [("esc:0:0", "oncall", 1)]),
    (15, {"esc:0:0": "firing"}, False, False, []),                 # told once per episode
    (61, {"esc:0:0": "firing"}, False, False, [("esc:0:1", "boss", 2)]),
    (61, {}, False, False, [("esc:0:0", "oncall", 1), ("esc:0:1", "boss", 2)]),  # after a restart
    (61, {}, True, False, []),                                      # muted
    (61, {}, False, True, []),                                      # acknowledged
])
def test_due_steps(minute: int, told: dict[str, str], muted_: bool, acked: bool,
                   expected: list[tuple[str, str, int]]) -> None:
    steps = due_steps(CRIT, POLICIES, told, now=minute * 60.0, muted=muted_, acked=acked)
    assert [(s.key, s.receiver, s.level) for s in steps] == expected


def test_due_steps_skip_alerts_no_policy_covers() -> None:
    assert due_steps(alert("th-1"), POLICIES, {}, now=7200, muted=False, acked=False) == []


@pytest.mark.parametrize(("state", "told", "expected"), [
    (AlertState.RESOLVED, {"esc:0:0": ("firing", "oncall:张三")}, [("esc:0:0", "oncall:张三")]),
    (AlertState.RESOLVED, {"esc:0:0": ("resolved", "oncall:张三")}, []),
    (AlertState.FIRING, {"esc:0:0": ("firing", "oncall:张三")}, []),
])
def test_resolved_steps(state: AlertState, told: dict[str, tuple[str, str]],
                        expected: list[tuple[str, str]]) -> None:
    assert resolved_steps(alert("ups-1", state=state), told) == expected


@pytest.mark.parametrize(("hours", "severity", "done", "expected"), [
    (1.9, Severity.CRITICAL, set(), (None, [])),
    (2.0, Severity.CRITICAL, set(), (7200.0, ["repair:7200"])),
    (3.0, Severity.CRITICAL, {"repair:7200"}, (None, [])),
    (4.5, Severity.CRITICAL, {"repair:7200"}, (14400.0, ["repair:14400"])),
    (5.0, Severity.CRITICAL, set(), (14400.0, ["repair:7200", "repair:14400"])),  # only the highest told
    (5.0, Severity.WARNING, set(), (None, [])),
])
def test_notice_due(hours: float, severity: Severity, done: set[str],
                    expected: tuple[float | None, list[str]]) -> None:
    got = notice_due(alert("ups-1", severity=severity), [7200.0, 14400.0], done, now=hours * 3600,
                     muted=False)
    assert got == expected


@pytest.mark.parametrize("receiver", ["duty", "oncall:张三", "a:b:c"])
def test_group_keys_survive_the_round_trip(receiver: str) -> None:
    key = GroupKey(route=3, receiver=receiver, digest="0123456789abcdef")
    assert GroupKey.parse(str(key)) == key
