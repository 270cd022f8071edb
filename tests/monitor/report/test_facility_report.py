"""Daily record item 3 judges the air conditioners (and water, smoke); the weekly facility
section counts each device's stops, alarms, leaks, smoke, doors and peak phase current."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

from monitor.core.model import Reading
from monitor.report import items
from monitor.report.book import Entry
from monitor.report.facility import facility_rows
from monitor.report.items import Status
from monitor.report.judge import judge, load
from monitor.report.render import daily_markdown
from tests.monitor.report.test_judge import T0

AC = {"device": "ac-1", "kind": "sensor", "room": "A", "unit": "1"}
DH = {"device": "dh-1", "kind": "sensor", "room": "A"}


def minutes(metric: str, labels: dict[str, str], timeline: dict[int, float]) -> list[Reading]:
    """Minute-by-minute readings for 3 hours, each value held until the next mark."""
    out, current = [], timeline[0]
    for minute in range(180):
        current = timeline.get(minute, current)
        out.append(Reading(metric, current, labels, T0 + minute * 60))
    return out


def readings() -> list[Reading]:
    return (minutes("ac_running", AC, {0: 1, 60: 0, 90: 1})
            + minutes("ac_alarm", {**AC, "alarm": "fan_trip"}, {0: 0, 100: 1, 110: 0})
            + minutes("ac_supply_temperature_celsius", AC, {0: 18.0, 60: 24.5, 90: 18.0})
            + minutes("water_leak", {**DH, "zone": "北"}, {0: 0})
            + minutes("door_open", {**DH, "door": "正门", "in_hours": "0"}, {0: 0, 30: 1, 35: 0})
            + minutes("pdu_phase_current_amperes", {**DH, "phase": "1"}, {0: 8.0, 120: 17.5, 125: 8.0}))


def test_item_3_shows_the_air_conditioner_stop_and_alarm(seed: ModuleType, tmp_path: Path) -> None:
    table = items.items()
    store = seed.open_store(tmp_path / "s.db")
    store.write(readings())
    store.flush()
    try:
        data = load(store, T0, T0 + 86400, [m for i in table for m in i.metrics])
        env = {r.key: r for r in judge(store, data, table, T0, T0 + 86400)}["environment"]
        env_item = next(i for i in table if i.key == "environment")
        rows = facility_rows(store, load(store, T0, T0 + 86400, [
            "ac_running", "ac_alarm", "water_leak", "smoke_detected", "door_open", "door_forced",
            "pdu_phase_current_amperes", "ac_supply_temperature_celsius",
            "ac_return_temperature_celsius"]), env_item, T0, T0 + 86400)
    finally:
        store.close()
    assert env.status is Status.ABNORMAL
    # The record's row 3 names the air conditioner and how it ran, beside the findings.
    entry = Entry(id=1, day="2027-01-15", start=T0, end=T0 + 86400, written_at=T0 + 86400, kind="record",
                  inspector="自动巡检", reviewer="", items=(env,))
    row = next(line for line in daily_markdown(entry, table, ZoneInfo("Asia/Shanghai"), "zh").splitlines()
               if line.startswith("| 3 "))
    assert "空调 ac-1/1: 曾停机, 送风最高 24.5 °C" in row and "ac_running" in row
    assert type(env).from_dict(env.to_dict()) == env
    found = sorted((f.metric, (f.start - T0) / 60, (f.duration or 0) / 60) for f in env.findings)
    assert found == [("ac_alarm", 100, 10), ("ac_running", 60, 30)]
    by = {r["device"]: r for r in rows}
    assert by["ac-1"]["ac_stopped"] == 1 and by["ac-1"]["ac_stopped_s"] == 1800
    assert by["ac-1"]["ac_alarm"] == 1 and by["ac-1"]["max_supply"] == 24.5
    assert by["dh-1"]["water_leak"] == 0 and by["dh-1"]["door_open"] == 1
    assert by["dh-1"]["door_after_hours"] == 1 and by["dh-1"]["max_phase_current"] == 17.5


def test_air_conditioner_running_alone_is_normal_and_nothing_is_no_data(seed: ModuleType,
                                                                        tmp_path: Path) -> None:
    table = items.items()
    store = seed.open_store(tmp_path / "s.db")
    store.write(minutes("ac_running", AC, {0: 1}))
    store.flush()
    try:
        data = load(store, T0, T0 + 86400, [m for i in table for m in i.metrics])
        env = {r.key: r for r in judge(store, data, table, T0, T0 + 86400)}["environment"]
    finally:
        store.close()
    assert env.status is Status.NORMAL and env.series == 1
    assert [(o.device, o.unit, o.low) for o in env.observed] == [("ac-1", "1", 1.0)]
