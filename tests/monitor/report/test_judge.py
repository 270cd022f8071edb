"""Judging one checklist row from data: timelines of readings and alerts → status and details."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from monitor.core.model import Alert, AlertState, Reading, Severity
from monitor.report import items
from monitor.report.items import Status, item_for_alert
from monitor.report.judge import judge, load

T0 = 1_800_000_000.0 - 1_800_000_000.0 % 3600  # an hour boundary
SENSOR = {"device": "th-1", "kind": "sensor", "room": "A"}
TABLE = items.items()


def run(seed: ModuleType, tmp_path: Path, readings: list[Reading], alerts: list[Alert] = ()  # type: ignore[assignment]
        ) -> dict[str, items.ItemResult]:
    store = seed.open_store(tmp_path / "s.db")
    store.write(readings)
    store.write_alerts(list(alerts))
    store.flush()
    try:
        data = load(store, T0, T0 + 86400, [m for i in TABLE for m in i.metrics])
        return {r.key: r for r in judge(store, data, TABLE, T0, T0 + 86400)}
    finally:
        store.close()


def temps(values: list[tuple[int, float]]) -> list[Reading]:
    """Minute-by-minute temperatures: (minute, value) rows, value held until the next row."""
    out, current = [], values[0][1]
    marks = dict(values)
    for minute in range(0, 240):
        current = marks.get(minute, current)
        out.append(Reading("temperature_celsius", current, SENSOR, T0 + minute * 60))
    return out


def test_no_data_is_never_normal(seed: ModuleType, tmp_path: Path) -> None:
    result = run(seed, tmp_path, temps([(0, 22.0)]))
    assert result["environment"].status is Status.NORMAL
    no_data = {k for k, r in result.items() if r.status is Status.NO_DATA}
    assert no_data == set(result) - {"environment", "backup", "logs"}
    assert result["logs"].status is Status.NOT_CONFIGURED  # no [syslog]: never 正常
    assert result["backup"].status is Status.NOT_CONFIGURED


@pytest.mark.parametrize(("timeline", "expected"), [
    ([(0, 22.0)], []),
    ([(0, 22.0), (70, 28.0), (80, 22.0)], []),                       # the band is inclusive (003:163)
    ([(0, 22.0), (70, 29.4), (110, 22.0)], [(70, 40, 29.4)]),         # across the hour boundary
    ([(0, 22.0), (10, 17.5), (15, 22.0), (130, 28.5), (190, 22.0)], [(10, 5, 17.5), (130, 60, 28.5)]),
])
def test_temperature_episodes(seed: ModuleType, tmp_path: Path, timeline: list[tuple[int, float]],
                              expected: list[tuple[int, int, float]]) -> None:
    env = run(seed, tmp_path, temps(timeline))["environment"]
    got = [((f.start - T0) / 60, (f.duration or 0) / 60, f.value) for f in env.findings]
    assert got == expected
    assert env.status is (Status.ABNORMAL if expected else Status.NORMAL)


def test_alert_gives_rule_and_clause_and_counts_without_data(seed: ModuleType, tmp_path: Path) -> None:
    fired = Alert(rule="room_temperature", labels=SENSOR, state=AlertState.RESOLVED,
                  severity=Severity.WARNING, value=29.4, active_at=T0 + 70 * 60, fired_at=T0 + 75 * 60,
                  resolved_at=T0 + 110 * 60, clause="003:163")
    backup = Alert(rule="backup_stale", labels={"job": "db"}, state=AlertState.FIRING,
                   severity=Severity.CRITICAL, value=50.0, active_at=T0 + 60, fired_at=T0 + 60,
                   clause="003:145")
    pending = Alert(rule="ups_on_battery", labels={"device": "u", "kind": "ups"}, state=AlertState.PENDING,
                    severity=Severity.CRITICAL, value=1.0, active_at=T0 + 60)
    result = run(seed, tmp_path, temps([(0, 22.0), (70, 29.4), (110, 22.0)]), [fired, backup, pending])
    [found] = result["environment"].findings
    assert (found.alert, found.severity, found.clause) == ("room_temperature", "warning", "003:163")
    [alone] = result["backup"].findings
    assert result["backup"].status is Status.ABNORMAL and (alone.device, alone.end) == ("db", None)
    assert result["power"].status is Status.NO_DATA  # a pending alert that never fired says nothing


def test_an_outage_that_began_before_the_day_still_counts(seed: ModuleType, tmp_path: Path) -> None:
    old = {"rule": "raid_degraded", "labels": {"device": "srv", "kind": "server", "array": "md0"},
           "severity": Severity.CRITICAL, "value": 1.0, "active_at": T0 - 3 * 86400, "clause": "003:181"}
    earlier = {**old, "labels": {**old["labels"], "array": "md1"}}
    history = [Alert(state=AlertState.FIRING, fired_at=T0 - 3 * 86400, **old),
               Alert(state=AlertState.FIRING, fired_at=T0 - 3 * 86400, **earlier),
               Alert(state=AlertState.RESOLVED, fired_at=T0 - 3 * 86400, resolved_at=T0 - 86400, **earlier)]
    [found] = run(seed, tmp_path, temps([(0, 22.0)]), history)["server"].findings
    assert (found.labels["array"], found.end, found.clause) == ("md0", None, "003:181")


@pytest.mark.parametrize(("rule", "labels", "key"), [
    ("device_down", {"kind": "server"}, "server"),
    ("device_down", {"kind": "firewall"}, "network"),
    ("device_temperature", {"kind": "server"}, "server"),
    ("cpu_high", {"kind": "router"}, "network"),
    ("room_temperature", {"kind": "sensor"}, "environment"),
    ("uplink_down", {"kind": "switch"}, "network"),
    ("if_utilization_high", {"kind": "switch"}, "network"),
    ("link_unreachable", {}, "channel"),
    ("ups_load_high", {"kind": "ups"}, "power"),
    ("disk_used", {"kind": "server"}, "server"),
    ("backup_overdue_monthly", {}, "backup"),
    ("ups_runtime_low", {"kind": "ups"}, "power"),
    ("room_humidity", {}, "environment"),
    ("link_loss_high", {}, "channel"),
    ("arp_unknown_mac", {}, "ipmac"),
    ("arp_ip_conflict", {"device": "sw"}, "ipmac"),
    ("config_changed", {"kind": "switch"}, "config"),
    ("backup_stale", {}, "backup"),
    ("backup_stale", {"job": "his-db"}, "backup"),
    ("config_backup_stale", {"job": "config", "kind": "switch"}, "config"),
    ("backup_stale", {"job": "config", "kind": "switch"}, "config"),
    ("restore_test_overdue", {"job": "his-db"}, "backup"),
    ("raid_degraded", {"kind": "server"}, "server"),
    ("something_else", {}, None),
])
def test_alert_routing(rule: str, labels: dict[str, str], key: str | None) -> None:
    item = item_for_alert(rule, labels, TABLE)
    assert (item.key if item else None) == key


def test_a_change_inside_a_maintenance_window_is_recorded_not_abnormal(seed: ModuleType,
                                                                       tmp_path: Path) -> None:
    fw = {"device": "fw-1", "kind": "firewall"}
    change = {"in_window": "1", "window": "周四割接", "version": "8", "previous": "7", "diff": "…"}
    readings = [Reading("config_changed", 0.0, fw, T0 + m * 600) for m in range(12)]
    readings.append(Reading("config_changed", 1.0, {**fw, **change}, T0 + 3000))
    muted = Alert(rule="config_changed_in_window", labels={**fw, **change}, state=AlertState.FIRING,
                  severity=Severity.INFO, value=1.0, active_at=T0 + 3000, fired_at=T0 + 3000)
    result = run(seed, tmp_path, readings, [muted])["config"]
    assert result.status is Status.NORMAL and result.series == 2
    unauthorised = [*readings, Reading("config_changed", 1.0, {**fw, **change, "in_window": "0"}, T0 + 5000)]
    result = run(seed, tmp_path / "b", unauthorised)["config"]
    assert result.status is Status.ABNORMAL and [f.labels["in_window"] for f in result.findings] == ["0"]


def test_the_configuration_fetch_is_not_a_data_backup(seed: ModuleType, tmp_path: Path) -> None:
    """roomwatch's own fetch of switch configurations (job=config) is 设备配置备份 under item 7;
    with no backup job configured and no data-backup evidence, item 8 says 未配置, never 正常."""
    sw = {"device": "sw-core", "kind": "switch", "job": "config"}
    fresh = [Reading("backup_age_hours", 2.0 + h, sw, T0 + h * 3600) for h in range(4)]
    result = run(seed, tmp_path, fresh)
    assert result["backup"].status is Status.NOT_CONFIGURED and result["backup"].series == 0
    assert result["config"].status is Status.NORMAL and result["config"].series == 1
    stale = [Reading("backup_age_hours", 30.0 + h, sw, T0 + h * 3600) for h in range(4)]
    result = run(seed, tmp_path / "b", stale)
    [found] = result["config"].findings
    assert (found.device, found.metric) == ("sw-core", "backup_age_hours")
    assert result["backup"].status is Status.NOT_CONFIGURED


def test_a_configured_backup_job_without_data_is_no_data(seed: ModuleType, tmp_path: Path) -> None:
    table = items.items(backup_jobs=("his-db",))
    store = seed.open_store(tmp_path / "s.db")
    store.write([Reading("backup_age_hours", 3.0, {"device": "sw", "job": "config"}, T0)])
    store.flush()
    try:
        data = load(store, T0, T0 + 86400, [m for i in table for m in i.metrics])
        got = {r.key: r.status for r in judge(store, data, table, T0, T0 + 86400)}
        assert got["backup"] is Status.NO_DATA
        store.write([Reading("backup_age_hours", 3.0, {"device": "db", "job": "his-db"}, T0 + 60)])
        store.flush()
        data = load(store, T0, T0 + 86400, [m for i in table for m in i.metrics])
        got = {r.key: r.status for r in judge(store, data, table, T0, T0 + 86400)}
        assert got["backup"] is Status.NORMAL
    finally:
        store.close()
