"""The engine: transitions once, staleness, overrides, restarts (snapshot/restore), reloads."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from monitor.core.errors import ConfigError
from monitor.core.model import Alert, AlertState, Reading
from rules.engine import Engine
from rules.loader import apply_overrides, load_pack
from rules.rule import Rule

P, F, R = AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED
T0 = 1_700_000_000.0
PACK = load_pack("regulation")
TH = {"device": "room1-th", "kind": "sensor", "level": "1", "room": "一号机房", "sensor": "north"}
UPS = {"device": "ups-1", "kind": "ups", "level": "1", "room": "一号机房"}


def temp(value: float, ts: float, labels: dict[str, str] = TH) -> Reading:
    return Reading("temperature_celsius", value, labels, ts)


def brief(alerts: list[Alert]) -> list[tuple[str, str, AlertState]]:
    return sorted((a.rule, a.labels.get("device", ""), a.state) for a in alerts)


def test_transitions_are_reported_once_and_value_updates_are_not() -> None:
    engine = Engine(PACK)
    engine.ingest([temp(30.0, T0)])
    [fired] = engine.evaluate(T0)
    assert (fired.rule, fired.state, fired.value) == ("room_temperature", F, 30.0)
    assert fired.severity.value == "warning"
    assert fired.summary == "room1-th 机房温度 30.0 °C，超出 18–28 °C 范围"
    assert fired.clause.startswith("《信息中心机房管理制度》四、环境管理制度 第5条")
    engine.ingest([temp(31.0, T0 + 60)])
    assert engine.evaluate(T0 + 60) == []
    assert engine.evaluate(T0 + 70) == []  # no new reading, still firing
    [live] = engine.active()
    assert (live.value, live.fired_at) == (31.0, T0)
    engine.ingest([temp(24.0, T0 + 120)])
    [resolved] = engine.evaluate(T0 + 120)
    assert (resolved.state, resolved.resolved_at, resolved.fingerprint) == (R, T0 + 120, fired.fingerprint)
    assert engine.evaluate(T0 + 180) == [] and engine.active() == []


def test_a_device_down_goes_pending_then_fires() -> None:
    engine = Engine(PACK)
    engine.ingest([Reading("up", 0.0, UPS, T0)])
    assert brief(engine.evaluate(T0)) == [("device_down", "ups-1", P)]
    engine.ingest([Reading("up", 0.0, UPS, T0 + 60)])
    assert brief(engine.evaluate(T0 + 60)) == [("device_down", "ups-1", F)]


def test_stale_series_resolves_after_stale_after() -> None:
    engine = Engine(PACK, stale_after=300)
    engine.ingest([temp(30.0, T0)])
    assert brief(engine.evaluate(T0)) == [("room_temperature", "room1-th", F)]
    assert engine.evaluate(T0 + 300) == []
    assert brief(engine.evaluate(T0 + 301)) == [("room_temperature", "room1-th", R)]


def test_older_readings_never_overwrite_newer_ones() -> None:
    engine = Engine(PACK)
    engine.ingest([temp(24.0, T0 + 10), temp(35.0, T0)])
    assert engine.evaluate(T0 + 10) == []


def test_unwatched_metrics_are_ignored_and_matching_runs_once_per_series(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = Rule.effective

    def counting(self: Rule, labels: dict[str, str]) -> object:
        calls.append(self.name)
        return original(self, labels)

    monkeypatch.setattr(Rule, "effective", counting)
    engine = Engine(PACK)
    for minute in range(5):
        engine.ingest([temp(22.0 + minute, T0 + minute * 60), Reading("load1", 9.0, TH, T0),
                       Reading("if_in_bps", 1e9, {"device": "sw", "ifname": "Gi0/1"}, T0)])
        engine.evaluate(T0 + minute * 60)
    assert sorted(calls) == ["device_temperature", "room_temperature"]  # once each, one series


def test_two_rules_on_one_metric_alert_separately() -> None:
    engine = Engine(PACK)
    job = {"device": "nas-1", "job": "oa-db", "level": "1"}  # an important system: monthly too
    engine.ingest([Reading("backup_age_hours", 800.0, job, T0)])
    assert brief(engine.evaluate(T0)) == [("backup_overdue_monthly", "nas-1", F),
                                          ("backup_stale", "nas-1", P)]


def test_the_configuration_fetch_has_its_own_rule() -> None:
    """job=config is a device-configuration backup: not judged by the data-backup rules."""
    engine = Engine(PACK)
    engine.ingest([Reading("backup_age_hours", 800.0, {"device": "sw-1", "job": "config"}, T0)])
    assert brief(engine.evaluate(T0)) == [("config_backup_stale", "sw-1", F)]


def test_overrides_by_room_and_device_and_disabled() -> None:
    rules = apply_overrides(PACK, [
        {"rule": "room_temperature", "match": {"room": "UPS间"}, "outside": [18.0, 30.0]},
        {"rule": "ups_runtime_low", "match": {"device": "ups-1"}, "below": 480},
        {"rule": "disk_used", "match": {"device": "~backup-.*", "mount": "/backup"}, "disabled": True},
    ], "roomwatch.toml: rules.overrides")
    engine = Engine(rules)
    ups_room = {**TH, "device": "ups-room-th", "room": "UPS间"}
    disk = {"device": "backup-01", "kind": "server", "level": "2"}
    engine.ingest([
        temp(29.0, T0), temp(29.0, T0, ups_room),
        Reading("ups_battery_runtime_minutes", 120.0, UPS, T0),
        Reading("ups_battery_runtime_minutes", 120.0, {**UPS, "device": "ups-2"}, T0),
        Reading("disk_used_percent", 99.0, {**disk, "mount": "/backup"}, T0),
        Reading("disk_used_percent", 99.0, {**disk, "mount": "/"}, T0),
    ])
    got = engine.evaluate(T0)
    assert brief(got) == [("disk_used", "backup-01", P), ("room_temperature", "room1-th", F),
                          ("ups_runtime_low", "ups-1", P)]
    [runtime] = [a for a in got if a.rule == "ups_runtime_low"]
    assert runtime.summary == "ups-1 UPS 电池可供电 120 分钟，低于 480 分钟"
    assert [a.labels["mount"] for a in got if a.rule == "disk_used"] == ["/"]


def test_snapshot_restore_keeps_pending_timers() -> None:
    engine = Engine(PACK)
    engine.ingest([Reading("ups_battery_runtime_minutes", 10.0, UPS, T0)])
    assert brief(engine.evaluate(T0)) == [("ups_runtime_low", "ups-1", P)]
    state = json.loads(json.dumps(engine.snapshot()))  # survives JSON
    after = Engine(PACK)
    after.restore(state)
    after.ingest([Reading("ups_battery_runtime_minutes", 10.0, UPS, T0 + 240)])
    assert after.evaluate(T0 + 240) == []
    after.ingest([Reading("ups_battery_runtime_minutes", 10.0, UPS, T0 + 300)])
    [fired] = after.evaluate(T0 + 300)
    assert (fired.state, fired.active_at, fired.fired_at) == (F, T0, T0 + 300)


def test_restore_firing_gives_no_second_firing_and_still_resolves(tmp_path: Path) -> None:
    engine = Engine(PACK)
    engine.ingest([temp(30.0, T0), Reading("ups_on_bypass", 1.0, UPS, T0)])
    assert len(engine.evaluate(T0)) == 2
    path = tmp_path / "engine.json"
    engine.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["engine.json"]  # no temporary file left
    after = Engine(PACK)  # a restart, e.g. after kill -9
    after.load(path)
    assert brief(after.active()) == [("room_temperature", "room1-th", F), ("ups_on_bypass", "ups-1", F)]
    after.ingest([temp(30.5, T0 + 60), Reading("ups_on_bypass", 1.0, UPS, T0 + 60)])
    assert after.evaluate(T0 + 60) == []
    after.ingest([temp(24.0, T0 + 120), Reading("ups_on_bypass", 0.0, UPS, T0 + 120)])
    resolved = after.evaluate(T0 + 120)
    assert brief(resolved) == [("room_temperature", "room1-th", R), ("ups_on_bypass", "ups-1", R)]
    assert {a.fired_at for a in resolved} == {T0}


def test_restored_series_get_stale_after_from_the_restart_to_report_again() -> None:
    engine = Engine(PACK, stale_after=300)
    engine.ingest([temp(30.0, T0)])
    engine.evaluate(T0)
    after = Engine(PACK, stale_after=300)
    after.restore(engine.snapshot())
    restart = T0 + 3600  # down for an hour: the old reading is long stale
    assert after.evaluate(restart) == []
    assert after.evaluate(restart + 299) == []
    assert brief(after.evaluate(restart + 301)) == [("room_temperature", "room1-th", R)]


def test_restore_with_a_rule_removed_resolves_its_firing_alerts_and_drops_pending() -> None:
    engine = Engine(PACK)
    engine.ingest([temp(30.0, T0), Reading("up", 0.0, UPS, T0)])
    assert brief(engine.evaluate(T0)) == [("device_down", "ups-1", P), ("room_temperature", "room1-th", F)]
    after = Engine([r for r in PACK if r.name not in ("room_temperature", "device_down")])
    after.restore(engine.snapshot())
    assert brief(after.evaluate(T0 + 10)) == [("room_temperature", "room1-th", R)]
    assert after.evaluate(T0 + 20) == [] and after.active() == []


def test_load_of_a_corrupt_or_missing_file_starts_empty(tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    engine = Engine(PACK)
    engine.load(tmp_path / "missing.json")
    bad = tmp_path / "engine.json"
    bad.write_text('{"version": 1, "alerts": [{"rule": "x"', encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        engine.load(bad)
    assert engine.active() == [] and "unreadable" in caplog.text
    with pytest.raises(ValueError):
        engine.restore({"version": 99, "alerts": []})


def test_replace_rules_keeps_state_of_rules_that_still_exist() -> None:
    engine = Engine(PACK)
    engine.ingest([temp(30.0, T0), Reading("ups_on_bypass", 1.0, UPS, T0),
                   Reading("disk_used_percent", 95.0, {"device": "db-1", "mount": "/"}, T0)])
    assert brief(engine.evaluate(T0)) == [("disk_used", "db-1", P), ("room_temperature", "room1-th", F),
                                          ("ups_on_bypass", "ups-1", F)]
    reloaded = apply_overrides([r for r in PACK if r.name != "ups_on_bypass"], [
        {"rule": "disk_used", "above": 98},
    ], "roomwatch.toml: rules.overrides")
    engine.replace_rules(reloaded)
    # room_temperature carries on silently; ups_on_bypass is gone, so its alert resolves; the
    # disk is judged again under the new threshold without waiting for a new reading, and its
    # pending alert (nobody was told) just goes.
    assert brief(engine.evaluate(T0 + 10)) == [("ups_on_bypass", "ups-1", R)]
    assert brief(engine.active()) == [("room_temperature", "room1-th", F)]
    engine.ingest([temp(30.0, T0 + 60)])
    assert engine.evaluate(T0 + 60) == []


def test_replace_rules_judges_old_series_under_a_new_rule_at_once() -> None:
    engine = Engine([r for r in PACK if r.name != "room_temperature"])
    engine.ingest([temp(30.0, T0)])
    assert engine.evaluate(T0) == []
    engine.replace_rules(PACK)
    assert brief(engine.evaluate(T0 + 10)) == [("room_temperature", "room1-th", F)]


def test_duplicate_rule_names_are_refused() -> None:
    with pytest.raises(ConfigError):
        Engine([*PACK, PACK[0]])


def test_a_payload_rides_on_the_alert_but_is_not_identity() -> None:
    sw = {"device": "core-sw1", "kind": "switch", "level": "1", "in_window": "0", "window": ""}
    engine = Engine(PACK)
    engine.ingest([Reading("config_changed", 1.0, sw, T0, {"version": "2", "diff": "+vlan 20"})])
    [fired] = engine.evaluate(T0)
    assert (fired.rule, fired.state, dict(fired.annotations)) == (
        "config_changed", F, {"version": "2", "diff": "+vlan 20"})
    # The next change is the same series and the same alert: no new fingerprint, no new page.
    engine.ingest([Reading("config_changed", 1.0, sw, T0 + 60, {"version": "3", "diff": "+vlan 30"})])
    assert engine.evaluate(T0 + 60) == []
    engine.ingest([Reading("config_changed", 0.0, sw, T0 + 120)])
    [resolved] = engine.evaluate(T0 + 120)
    assert (resolved.fingerprint, resolved.state) == (fired.fingerprint, R)
