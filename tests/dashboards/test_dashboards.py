"""The Grafana dashboards against a real InfluxDB 1.6 holding roomwatch's own line protocol.

Every panel query and every template-variable query runs with its variables substituted the way
Grafana does; each must return the series its panel shows. A dashboard that reads a measurement
roomwatch's code never emits fails.
"""


from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import build
from monitor.store.influx_lines import alert_lines, reading_lines
from tests.dashboards.queries import emitted, queries, substitute, unknown_measurements
from tests.dashboards.scenario import scenario
from tests.monitor.store.servers import InfluxDB1

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


def committed() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(DASHBOARDS.glob("*.json"))}


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
    built = build.files()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in DASHBOARDS.glob("*.json")}
    assert built == on_disk, "run: python -m dashboards.build"


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
