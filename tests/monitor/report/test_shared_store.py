"""``roomwatch report --source victoriametrics|influxdb``: two sites' week, written by roomwatch's
own writers into SQLite and into a real VictoriaMetrics and InfluxDB 1.6 on loopback, gives the
same report from each, for one site (``--site``) or all (``--all-sites``)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from monitor.cli import parser
from monitor.core.model import Alert, AlertState, Reading, Severity
from monitor.store.alert_text import alert_text_lines
from monitor.store.influx import InfluxOutput
from monitor.store.influx_lines import LineEncoder
from monitor.store.settings import InfluxSettings
from monitor.store.sqlite import SQLiteStore
from tests.monitor.store.servers import InfluxDB1, VictoriaMetrics
from tests.procs import free_port

HQ, BRANCH = "总部", "分院"


def labelled(readings: Iterable[Reading], site: str) -> Iterator[Reading]:
    for r in readings:
        yield dataclasses.replace(r, labels={**r.labels, "site": site})


def branch_week(seed: ModuleType) -> tuple[list[Reading], list[Alert]]:
    """The other site: a switch down for an hour on Friday, and a firewall changed outside any
    window (its labels include ``window = ""``, which no shared store keeps as a tag)."""
    switch = {"device": "sw-branch", "kind": "switch", "level": "1", "room": "B1", "site": BRANCH}
    firewall = {**switch, "device": "fw-branch", "kind": "firewall"}
    changed = {**firewall, "in_window": "0", "window": ""}
    down, up, change = seed.at(4, 9, 0), seed.at(4, 10, 0), seed.at(4, 15, 0)
    week = [seed.WEEK_START + i * seed.MIN for i in range(7 * 24 * 60)]
    readings = [Reading("up", 0.0 if down <= ts < up else 1.0, switch, ts) for ts in week]
    readings += [Reading("config_changed", 0.0, firewall, ts) for ts in week[::10] if ts != change]
    readings.append(Reading("config_changed", 1.0, changed, change))
    alerts = []
    for labels, rule, start, end, clause in ((switch, "device_down", down, up, "《分院机房管理办法》第3条"),
                                             (changed, "config_changed", change, change + 600, "")):
        base = {"rule": rule, "labels": labels, "severity": Severity.CRITICAL, "value": 0.0,
                "active_at": start, "summary": f"{labels['device']} {rule}", "clause": clause}
        alerts += [Alert(state=AlertState.FIRING, fired_at=start, **base),
                   Alert(state=AlertState.RESOLVED, fired_at=start, resolved_at=end, **base)]
    return readings, alerts


def both_sites(seed: ModuleType) -> tuple[list[Reading], list[Alert]]:
    """The seeded week as the head office's, and the branch's week."""
    branch, branch_alerts = branch_week(seed)
    hq_alerts = [dataclasses.replace(a, labels={**a.labels, "site": HQ}) for a in seed.alerts()]
    return [*labelled(seed.readings(), HQ), *branch], hq_alerts + branch_alerts


@pytest.fixture(scope="module")
def shared(seed: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(SQLite file, URL of a VictoriaMetrics), both holding both sites, each written by
    roomwatch's own writer (the SQLite store, the InfluxDB output)."""
    home = tmp_path_factory.mktemp("shared")
    vm = VictoriaMetrics(home / "vm")
    vm.start()
    try:
        readings, alerts = both_sites(seed)
        store = seed.open_store(home / "both.db")
        out = InfluxOutput(settings(vm.url), home / "queue.db")
        for start in range(0, len(readings), 20000):
            store.write(readings[start:start + 20000])
            out.write(readings[start:start + 20000])
        store.write_alerts(alerts)
        store.close()
        out.write_alerts(alerts)
        out.close()
        assert out.stats()["queued"] == 0 and out.stats()["rejected"] == 0, out.stats()
        vm.export()  # forces what it buffered to storage
        yield home / "both.db", vm.url
    finally:
        vm.stop()


@pytest.fixture(scope="module")
def influx1(seed: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an InfluxDB 1.6 holding both sites. It has no v2 write API, so roomwatch's own
    line encoder's lines go to its v1 /write (the encoding is what the InfluxDB output sends)."""
    server = InfluxDB1(tmp_path_factory.mktemp("influx1") / "db")
    server.start()
    try:
        readings, alerts = both_sites(seed)
        encoder = LineEncoder("ms")
        lines = encoder.readings(readings) + encoder.alerts(alerts) + alert_text_lines(alerts)
        for start in range(0, len(lines), 20000):
            server.write(lines[start:start + 20000])
        yield server.url
    finally:
        server.stop()


def settings(url: str) -> InfluxSettings:
    return InfluxSettings.model_validate({"url": url, "bucket": "roomwatch", "flush_interval": "50ms",
                                          "timeout": "10s"})


def report(tmp_path: Path, seed: ModuleType, db: Path, url: str, *extra: str,
           fmt: str = "json", code: int = 0) -> Any:
    """The report of 2026-W47 as `roomwatch report` writes it: JSON parsed, else the text."""
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    config = tmp_path / "roomwatch.toml"
    config.write_text(f'state_dir = "{state}"\ndevices = []\n'
                      f'[store.sqlite]\npath = "{db}"\nretention = "3650d"\nrollup_retention = "3650d"\n'
                      f'[store.influxdb]\nurl = "{url}"\nbucket = "roomwatch"\n'
                      '[report]\ntimezone = "Asia/Shanghai"\nreviewer = "张主任"\n', encoding="utf-8")
    out = tmp_path / f"report{len(list(tmp_path.glob('report*')))}.{fmt}"
    args = parser().parse_args(["report", "--config", str(config), "--week", "2026-W47",
                                "--format", fmt, "--out", str(out), *extra])
    assert args.handler(args, now=seed.NOW) == code
    if code:
        return None
    text = out.read_text(encoding="utf-8")
    return json.loads(text) if fmt == "json" else text


def digits(doc: Any, significant: int = 11) -> Any:
    """``doc`` with every float cut to ``significant`` digits: VictoriaMetrics keeps about 12
    (62.40277777777778 comes back as 62.4027777778)."""
    if isinstance(doc, float):
        return float(f"{doc:.{significant}g}")
    if isinstance(doc, dict):
        return {k: digits(v, significant) for k, v in doc.items()}
    if isinstance(doc, list):
        return [digits(v, significant) for v in doc]
    return doc


SCOPES = {"hq": ["--site", HQ], "branch": ["--site", BRANCH], "all": ["--all-sites"]}


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("source", ["victoriametrics", "influxdb"])
def test_report_from_the_shared_store_equals_the_sqlite_report(
        shared: tuple[Path, str], influx1: str, seed: ModuleType, tmp_path: Path, source: str,
        scope: str) -> None:
    db, vm_url = shared
    url = vm_url if source == "victoriametrics" else influx1
    where = SCOPES[scope]
    local = report(tmp_path, seed, db, url, *where)
    remote = report(tmp_path, seed, db, url, "--source", source, *where)
    assert local["has_data"] and local["incidents"]
    if source == "influxdb":
        assert remote == local  # InfluxDB keeps float64: not a digit lost
    else:
        assert digits(remote) == digits(local)
    for lang in ("zh", "en"):  # what people read is the same to the character
        assert report(tmp_path, seed, db, url, "--source", source, *where, "--lang", lang, fmt="md") \
            == report(tmp_path, seed, db, url, *where, "--lang", lang, fmt="md")


def test_site_narrows_the_report(shared: tuple[Path, str], seed: ModuleType, tmp_path: Path) -> None:
    db, url = shared
    hq = report(tmp_path, seed, db, url, "--source", "victoriametrics", "--site", HQ)
    branch = report(tmp_path, seed, db, url, "--source", "victoriametrics", "--site", BRANCH)
    every = report(tmp_path, seed, db, url, "--source", "victoriametrics", "--all-sites")
    assert [(i["device"], i["rule"]) for i in branch["incidents"]] == [
        ("sw-branch", "device_down"), ("fw-branch", "config_changed")]
    assert "branch" not in json.dumps(hq) and "sw-core" not in json.dumps(branch)
    assert {i["device"] for i in every["incidents"]} == {
        "th-a101", "ups-1", "sw-core", "fw-1", "sw-branch", "fw-branch"}
    # The empty `window` label came back from the alert_text point: the clause and summary too.
    [change] = [i for i in branch["incidents"] if i["rule"] == "config_changed"]
    assert change["summary"] == "fw-branch config_changed" and change["clause"] == ""


def test_a_shared_source_needs_a_site_choice(shared: tuple[Path, str], seed: ModuleType, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    db, url = shared
    with pytest.raises(SystemExit):
        parser().parse_args(["report", "--site", HQ, "--all-sites"])
    report(tmp_path, seed, db, url, "--source", "victoriametrics", code=2)
    assert "--site SITE) or --all-sites" in capsys.readouterr().err


def test_an_unreachable_store_fails_the_run_and_says_where(
        seed: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    report(tmp_path, seed, tmp_path / "none.db", url, "--source", "victoriametrics", "--all-sites", code=1)
    assert f"report not written: victoriametrics {url}/api/v1/query_range" in capsys.readouterr().err
    assert not list(tmp_path.glob("report*.json"))


def test_sqlite_store_is_the_default(seed: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    SQLiteStore(path).close()
    assert report(tmp_path, seed, path, "http://127.0.0.1:9")["has_data"] is False
