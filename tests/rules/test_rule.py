"""Conditions at their edges (against the shipped pack), label matchers, summaries, overrides."""

from __future__ import annotations

import pytest

from monitor.core.model import Severity
from rules.loader import apply_overrides, load_pack, template_problem
from rules.rule import Condition, Matcher, Op, Override, Rule, render_summary

ROOM = {"device": "room1-th", "kind": "sensor", "level": "1", "room": "一号机房", "sensor": "north"}
PACK = {r.name: r for r in load_pack("regulation")}


@pytest.mark.parametrize(("celsius", "breached"), [
    (17.9, True), (18.0, False), (23.0, False), (28.0, False), (28.1, True), (-5.0, True),
])
def test_room_temperature_band_is_inclusive(celsius: float, breached: bool) -> None:
    eff = PACK["room_temperature"].effective(ROOM)
    assert eff is not None
    assert eff.condition.breached(celsius) is breached


@pytest.mark.parametrize(("percent", "breached"), [
    (34.9, True), (35.0, False), (50.0, False), (75.0, False), (75.1, True),
])
def test_room_humidity_band_is_inclusive(percent: float, breached: bool) -> None:
    eff = PACK["room_humidity"].effective(ROOM)
    assert eff is not None
    assert eff.condition.breached(percent) is breached


def test_room_rule_ignores_cpu_temperatures_and_device_rule_takes_them() -> None:
    server = {"device": "nms-01", "kind": "server", "level": "2", "sensor": "coretemp/Package id 0"}
    assert not PACK["room_temperature"].matches(server)
    assert PACK["device_temperature"].matches(server)
    assert not PACK["device_temperature"].matches(ROOM)


def test_equality_style_rules() -> None:
    up = PACK["device_down"].condition
    assert up.breached(0.0) and not up.breached(1.0)
    battery = PACK["ups_on_battery"].condition
    assert battery.breached(1.0) and not battery.breached(0.0)


def test_hysteresis_recovery_points() -> None:
    above = Condition.above(28, hysteresis=0.5)
    assert [above.recovered(v) for v in (28.0, 27.6, 27.5, 20.0)] == [False, False, True, True]
    below = Condition.below(30, hysteresis=5)
    assert [below.recovered(v) for v in (30.0, 34.9, 35.0)] == [False, False, True]
    band = Condition.outside(18, 28, hysteresis=0.5)
    assert [band.recovered(v) for v in (18.0, 18.5, 27.5, 27.6)] == [False, True, True, False]


def test_hysteresis_wider_than_half_the_band_is_capped_so_recovery_stays_possible() -> None:
    narrow = Condition.outside(40, 42, hysteresis=5)
    assert narrow.recovered(41.0) and not narrow.recovered(40.9)


def test_nan_is_neither_breach_nor_recovery() -> None:
    c = Condition.above(1)
    assert not c.breached(float("nan")) and not c.recovered(float("nan"))


def test_condition_rejects_inconsistent_bounds() -> None:
    with pytest.raises(ValueError):
        Condition(op=Op.ABOVE, low=1.0)
    with pytest.raises(ValueError):
        Condition.outside(28, 18)


@pytest.mark.parametrize(("cond", "text"), [
    (Condition.outside(18.0, 28.0), "18–28"), (Condition.above(27.5), "27.5"), (Condition.below(1), "1"),
])
def test_threshold_text(cond: Condition, text: str) -> None:
    assert cond.threshold == text


@pytest.mark.parametrize(("text", "value", "hit"), [
    ("sensor", "sensor", True), ("sensor", "server", False), ("sensor", None, False),
    ("!sensor", "server", True), ("!sensor", "sensor", False), ("!sensor", None, True),
    ("~(?i)uplink.*", "Uplink-Gi1/0/48", True), ("~uplink", "uplink-1", False),  # whole value
    ("!~lo.*", "eth0", True), ("!~lo.*", "lo", False),
    ("=!odd", "!odd", True), ("=~x", "~x", True), ("", None, True),
])
def test_matcher(text: str, value: str | None, hit: bool) -> None:
    labels = {} if value is None else {"l": value}
    assert Matcher.parse("l", text)(labels) is hit


def test_summary_renders_labels_value_and_threshold() -> None:
    rule = PACK["room_temperature"]
    assert rule.render(ROOM, 28.14, rule.condition) == "room1-th 机房温度 28.1 °C，超出 18–28 °C 范围"


def test_summary_missing_label_renders_question_mark_and_never_raises() -> None:
    rule = PACK["disk_used"]
    assert rule.render({"device": "db-1"}, 93.0, rule.condition) == "db-1 磁盘 ? 已用 93%，超过 90%"
    assert render_summary("{mount:>8.2f} {0} {value:d}", {"value": 1.5}) == "? ? 1.5"
    assert render_summary("broken {", {}) == "broken {"


@pytest.mark.parametrize(("template", "problem"), [
    ("{device} 温度 {value:.1f}", None),
    ("{device.__class__}", "bad template field {device.__class__}: use plain names such as {device} "
                           "or {value:.1f}"),
    ("{}", "bad template field {}: use plain names such as {device} or {value:.1f}"),
    ("{value", "bad template: expected '}' before end of string"),
])
def test_template_problem(template: str, problem: str | None) -> None:
    assert template_problem(template) == problem


def _rule(*overrides: Override) -> Rule:
    return Rule(name="t", metric="m", condition=Condition.above(10, hysteresis=1), for_s=60.0,
                severity=Severity.WARNING, summary="", clause="c", overrides=overrides)


def test_effective_applies_matching_overrides_field_by_field_last_wins() -> None:
    rule = _rule(
        Override(match={"device": "ups-1"}, condition=Condition.below(480)),
        Override(match={"room": "一号机房"}, for_s=600.0, hysteresis=5.0),
        Override(match={"room": "一号机房", "device": "ups-1"}, severity=Severity.CRITICAL),
        Override(match={"device": "ups-1"}, for_s=30.0),
    )
    eff = rule.effective({"device": "ups-1", "room": "一号机房"})
    assert eff is not None
    assert eff.condition == Condition.below(480, hysteresis=5.0)
    assert (eff.for_s, eff.severity) == (30.0, Severity.CRITICAL)
    other = rule.effective({"device": "ups-2", "room": "二号机房"})
    assert other is not None
    assert (other.condition, other.for_s, other.severity) == (rule.condition, 60.0, Severity.WARNING)


def test_disabled_override_and_reenable() -> None:
    rule = _rule(Override(match={"room": "UPS间"}, disabled=True),
                 Override(match={"device": "ups-9"}, disabled=False))
    assert rule.effective({"room": "UPS间", "device": "ups-1"}) is None
    assert rule.effective({"room": "UPS间", "device": "ups-9"}) is not None


def test_apply_overrides_from_site_config_dicts() -> None:
    rules = apply_overrides(list(PACK.values()), [
        {"rule": "room_temperature", "match": {"room": "UPS间"}, "outside": [18.0, 30.0], "for": "10m"},
        {"rule": "disk_used", "match": {"device": "backup-01", "mount": "/backup"}, "disabled": True},
        {"rule": "ups_runtime_low", "match": {"device": "ups-1"}, "below": 480},
    ], "roomwatch.toml: rules.overrides")
    by = {r.name: r for r in rules}
    ups_room = by["room_temperature"].effective({**ROOM, "room": "UPS间"})
    assert ups_room is not None
    assert ups_room.condition == Condition.outside(18, 30, hysteresis=0.5) and ups_room.for_s == 600
    assert by["disk_used"].effective({"device": "backup-01", "mount": "/backup"}) is None
    assert by["disk_used"].effective({"device": "backup-01", "mount": "/"}) is not None
    runtime = by["ups_runtime_low"].effective({"device": "ups-1", "kind": "ups"})
    assert runtime is not None and runtime.condition.breached(120.0)
    assert by["cpu_high"] is PACK["cpu_high"]  # untouched rules are the same objects
