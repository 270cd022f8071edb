"""The Grafana dashboards against a real InfluxDB 1.6 holding roomwatch's own line protocol.

Every panel query and every template-variable query runs with its variables substituted the way
Grafana does; each must return the series its panel shows. A dashboard that reads a measurement
roomwatch's code never emits fails.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from monitor.core.model import Alert, AlertState, Reading, Severity
from monitor.store.influx_lines import alert_lines, reading_lines
from tests.monitor.store.servers import InfluxDB1

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = ROOT / "dashboards"
METRIC = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
FROM = re.compile(r'FROM ((?:"[^"]+"(?:\s*,\s*)?)+)')
NAME = re.compile(r'"([^"]+)"')


def builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dashboards_build", DASHBOARDS / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def committed() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(DASHBOARDS.glob("*.json"))}


def emitted() -> tuple[set[str], list[re.Pattern[str]]]:
    """Metric names found in roomwatch's code: string constants of collectors/ and monitor/ (and the
    f-string templates there, such as ``if_{direction}_bps``), and every ``metric =`` of the
    collectors' TOML data (SNMP profiles, the trap catalog). The rule packs do not count: a rule
    may read a metric nobody emits, which is exactly what this is here to catch."""
    names: set[str] = set()
    templates: list[re.Pattern[str]] = []
    for package in ("collectors", "monitor"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and METRIC.fullmatch(node.value)
                ):
                    names.add(node.value)
                elif isinstance(node, ast.JoinedStr):
                    parts = [
                        re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9]+"
                        for v in node.values
                    ]
                    text = "".join(parts)
                    # A template names metrics only if it starts with words of its own (if_…_bps);
                    # "{a}_{b}" would match anything.
                    if re.fullmatch(r"[a-z]+_[a-z0-9_\\\[\]+-]*", text):
                        templates.append(re.compile(text))
        for path in (ROOT / package).rglob("*.toml"):
            names.update(_metric_values(tomllib.loads(path.read_text(encoding="utf-8"))))
    return names, templates


def _metric_values(doc: Any) -> Iterator[str]:
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key == "metric" and isinstance(value, str):
                yield value
            else:
                yield from _metric_values(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _metric_values(item)


def unknown_measurements(dashboards: dict[str, dict[str, Any]]) -> set[str]:
    names, templates = emitted()
    names.add("alerts")  # the store's own measurement of alert transitions
    froms = [group for d in dashboards.values() for q in queries(d) for group in FROM.findall(q)]
    used = {m for group in froms for m in NAME.findall(group)}
    return {m for m in used if m not in names and not any(t.fullmatch(m) for t in templates)}


def queries(dashboard: dict[str, Any]) -> list[str]:
    out = [t["query"] for p in dashboard["panels"] for t in p["targets"]]
    out += [v["query"] for v in dashboard["templating"]["list"]]
    out += [a["query"] for a in dashboard["annotations"]["list"]]
    return out


def substitute(query: str, chosen: dict[str, list[str]] | None = None) -> str:
    """What Grafana sends: variables as regexes (All = .*), the time filter, the interval."""
    chosen = chosen or {}
    for name in ("site", "room", "device"):
        values = chosen.get(name)
        regex = "(" + "|".join(re.escape(v).replace("/", r"\/") for v in values) + ")" if values else ".*"
        query = query.replace(f"${name}", regex)
    return query.replace("$timeFilter", "time >= now() - 6h").replace("$__interval", "1m")


# -- a fixed scenario in roomwatch's metric names ----------------------------------------------------


def device(name: str, kind: str, site: str, room: str, level: str = "2") -> dict[str, str]:
    return {"device": name, "kind": kind, "site": site, "room": room, "level": level}


def scenario(now: float) -> tuple[list[Reading], list[Alert]]:
    th_a, th_b = device("th-a1", "sensor", "总部", "A 机房"), device("th-b1", "sensor", "分院", "B 机房")
    ups, sw = (
        device("ups-1", "ups", "总部", "A 机房", "1"),
        device("core-sw", "switch", "总部", "A 机房", "1"),
    )
    fw, db = (
        device("fw-1", "firewall", "总部", "A 机房", "1"),
        device("db-1", "server", "总部", "A 机房", "1"),
    )
    nms = device("nms", "server", "总部", "A 机房")
    ac, pdu = device("ac-1", "sensor", "总部", "A 机房"), device("pdu-a1", "sensor", "总部", "A 机房")
    out: list[Reading] = []
    for i in range(6):
        ts = now - 3000 + i * 600

        def add(metric: str, value: float, labels: dict[str, str], **extra: str) -> None:
            out.append(Reading(metric, value, {**labels, **extra}, ts))  # noqa: B023

        add("temperature_celsius", 23.0 + i * 0.1, th_a, sensor="north")
        add("humidity_percent", 45.0, th_a, sensor="north")
        add("temperature_celsius", 28.5 + i * 0.2, th_b, sensor="rack-3")
        add("humidity_percent", 78.0, th_b, sensor="rack-3")
        add("ups_on_battery", 1.0 if i >= 4 else 0.0, ups)
        add("ups_battery_capacity_percent", 100.0 - i * 5, ups)
        add("ups_battery_runtime_minutes", 40.0 - i * 4, ups)
        add("ups_design_runtime_minutes", 30.0, ups)
        add("ups_output_load_percent", 42.0, ups)
        add("ups_input_voltage_volts", 0.0 if i >= 4 else 221.0, ups)
        add("ups_battery_replace", 0.0, ups)
        for dev, up in (
            (sw, 1.0),
            (fw, 0.0 if i == 5 else 1.0),
            (db, 1.0),
            (th_a, 1.0),
            (th_b, 1.0),
            (ups, 1.0),
            (nms, 1.0),
        ):
            add("up", up, dev)
        for dev in (sw, fw, db):
            add("cpu_percent", 10.0 + i, dev)
            add("memory_percent", 40.0, dev)
        add("if_oper_up", 1.0, sw, ifname="GE0/0/1", role="uplink")
        add("if_oper_up", 0.0 if i == 5 else 1.0, sw, ifname="GE0/0/2")
        for port in ("GE0/0/1", "GE0/0/2"):
            add("if_in_bps", 1e6 * (i + 1), sw, ifname=port)
            add("if_out_bps", 2e6 * (i + 1), sw, ifname=port)
            add("if_utilization_percent", 12.5, sw, ifname=port)
            add("if_in_errors_per_second", 0.0, sw, ifname=port)
            add("if_out_errors_per_second", 0.5, sw, ifname=port)
        add("disk_used_percent", 71.0, db, mount="/")
        add("disk_used_percent", 93.0, db, mount="/data")
        add("raid_degraded", 1.0 if i >= 3 else 0.0, db, array="md0")
        add("backup_age_hours", 3.0 + i, db, job="oa-db")
        add("link_rtt_ms", 8.0, nms, link="医保专线", probe="icmp")
        add("link_loss_percent", 0.0, nms, link="医保专线", probe="icmp")
        add("link_loss_percent", 100.0 if i == 5 else 0.0, nms, link="门户网站", probe="http")
        add("link_rtt_ms", 120.0, nms, link="门户网站", probe="http")
        add("ac_running", 0.0 if i == 5 else 1.0, ac, unit="1")
        add("ac_alarm", 1.0 if i == 5 else 0.0, ac, unit="1", alarm="high_pressure")
        add("ac_supply_temperature_celsius", 17.5, ac, unit="1")
        add("ac_return_temperature_celsius", 25.0 + i * 0.1, ac, unit="1")
        add("ac_setpoint_celsius", 24.0, ac, unit="1")
        add("water_leak", 0.0, th_a, zone="空调下方")
        add("smoke_detected", 0.0, th_a, zone="北区")
        add("door_open", 1.0 if i == 2 else 0.0, th_a, door="正门", in_hours="0")
        add("door_forced", 0.0, th_a, door="正门")
        add("pdu_phase_current_amperes", 6.5 + i, pdu, phase="1")
        add("pdu_load_percent", 27.0, pdu)
    ts = now - 900
    out += [
        Reading("arp_unknown_mac", 1.0, {**nms, "ip": "192.0.2.77", "mac": "02:00:00:00:00:77"}, ts),
        Reading(
            "arp_ip_mismatch",
            1.0,
            {**nms, "ip": "192.0.2.10", "mac": "02:00:00:00:00:10", "owner": "财务科"},
            ts,
        ),
        Reading("arp_ip_conflict", 1.0, {**nms, "ip": "192.0.2.11", "mac": "02:00:00:00:00:11"}, ts),
        Reading("arp_gateway_spoof", 1.0, {**nms, "ip": "192.0.2.1", "mac": "02:00:00:00:00:66"}, ts),
        Reading(
            "config_changed",
            1.0,
            {
                **sw,
                "in_window": "0",
                "window": "",
                "version": "7",
                "previous": "6",
                "diff": "- vlan 10\n+ vlan 20",
            },
            ts,
        ),
    ]
    fired = Alert(
        rule="room_temperature",
        labels=th_b | {"sensor": "rack-3"},
        state=AlertState.FIRING,
        severity=Severity.WARNING,
        value=29.1,
        active_at=now - 1800,
        fired_at=now - 1800,
        summary="th-b1 机房温度 29.1 °C，超出 18~28 °C 范围",
        clause="003:163",
    )
    down = Alert(
        rule="device_down",
        labels=fw,
        state=AlertState.FIRING,
        severity=Severity.CRITICAL,
        value=0.0,
        active_at=now - 300,
        fired_at=now - 240,
        summary="fw-1 无响应",
        clause="003:185",
    )
    resolved = Alert(
        rule="device_down",
        labels=fw,
        state=AlertState.RESOLVED,
        severity=Severity.CRITICAL,
        value=0.0,
        active_at=now - 300,
        fired_at=now - 240,
        resolved_at=now - 60,
        summary="fw-1 无响应",
        clause="003:185",
    )
    return out, [fired, down, resolved]


@pytest.fixture(scope="module")
def influx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB1]:
    server = InfluxDB1(tmp_path_factory.mktemp("influxdb"))
    server.start()
    try:
        readings, alerts = scenario(time.time())
        server.write(reading_lines(readings) + alert_lines(alerts))
        yield server
    finally:
        server.stop()


# -- the tests ---------------------------------------------------------------------------------------


def test_committed_json_is_what_build_py_writes() -> None:
    built = builder().files()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in DASHBOARDS.glob("*.json")}
    assert built == on_disk, "run: python dashboards/build.py"


def test_every_measurement_a_dashboard_reads_is_one_roomwatch_emits() -> None:
    assert unknown_measurements(committed()) == set()
    names, templates = emitted()
    readings, _ = scenario(0.0)
    assert {
        r.metric
        for r in readings
        if r.metric not in names and not any(t.fullmatch(r.metric) for t in templates)
    } == set()  # the scenario is real too


def test_a_dashboard_reading_an_unknown_metric_is_caught() -> None:
    boards = committed()
    broken = json.loads(json.dumps(boards["roomwatch-environment.json"]))
    broken["panels"][0]["targets"][0]["query"] = broken["panels"][0]["targets"][0]["query"].replace(
        '"temperature_celsius"', '"temprature_celsius"'
    )
    assert unknown_measurements({"x": broken}) == {"temprature_celsius"}


def test_provisioning_points_at_the_datasource_the_dashboards_use() -> None:
    prov = DASHBOARDS / "provisioning"
    [source] = yaml.safe_load((prov / "datasources" / "roomwatch.yaml").read_text())["datasources"]
    [provider] = yaml.safe_load((prov / "dashboards" / "roomwatch.yaml").read_text())["providers"]
    assert source["type"] == "influxdb" and provider["type"] == "file"
    uids = {t["datasource"]["uid"] for d in committed().values() for p in d["panels"] for t in p["targets"]}
    assert uids == {source["uid"]}


@pytest.mark.parametrize("name", sorted(p.name for p in DASHBOARDS.glob("*.json")))
def test_every_query_returns_the_series_its_panel_shows(influx: InfluxDB1, name: str) -> None:
    dashboard = committed()[name]
    for text in queries(dashboard):
        results = influx.query(substitute(text))
        assert results and results[0].get("series"), f"{name}: no series for {text}"


def test_variables_narrow_the_panels_to_the_chosen_room(influx: InfluxDB1) -> None:
    env = committed()["roomwatch-environment.json"]
    rooms = influx.query(substitute(env["templating"]["list"][1]["query"], {"site": ["分院"]}))
    assert [v[1] for v in rooms[0]["series"][0]["values"]] == ["B 机房"]
    [temperature] = influx.query(
        substitute(env["panels"][2]["targets"][0]["query"], {"site": ["分院"], "room": ["B 机房"]})
    )
    [series] = temperature["series"]
    assert series["tags"] == {"room": "B 机房", "device": "th-b1", "sensor": "rack-3"}
    assert series["values"][0][1] == pytest.approx(29.5)  # the newest reading, out of the band


def test_panels_show_the_scenario_values(influx: InfluxDB1) -> None:
    boards = committed()
    ups = boards["roomwatch-ups.json"]["panels"]
    [runtime] = influx.query(substitute(ups[2]["targets"][1]["query"]))
    assert {v[1] for v in runtime["series"][0]["values"]} == {30.0}  # the design runtime line
    [changes] = influx.query(
        substitute(boards["roomwatch-security.json"]["panels"][2]["targets"][0]["query"])
    )
    [row] = changes["series"][0]["values"]
    columns = changes["series"][0]["columns"]
    # Line protocol cannot carry a newline in a value: the diff's newlines arrive as the two characters \n.
    assert dict(zip(columns, row, strict=True))["diff"] == "- vlan 10\\n+ vlan 20"
    [alerts] = influx.query(substitute(boards["roomwatch-alerts.json"]["panels"][0]["targets"][0]["query"]))
    rules = sorted(
        dict(zip(alerts["series"][0]["columns"], r, strict=True))["rule"]
        for r in alerts["series"][0]["values"]
    )
    assert rules == ["device_down", "room_temperature"]  # firing transitions only
