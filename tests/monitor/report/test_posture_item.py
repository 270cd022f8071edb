"""Row 9 服务器安全: a posture check that could not run makes the row 无法检查 (never 正常),
an abnormal value makes it 异常, and posture alerts land in this row."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from monitor.core.model import Reading
from monitor.report.items import POSTURE, Status, item_for_alert

from .test_judge import T0, TABLE, run

SRV = {"device": "db-01", "kind": "server", "level": "1"}


def polls(metric: str, value: float, **labels: str) -> list[Reading]:
    return [Reading(metric, value, {**SRV, **labels}, T0 + m * 600) for m in range(12)]


def test_all_checks_ran_and_passed_is_normal(seed: ModuleType, tmp_path: Path) -> None:
    readings = (polls("av_installed", 1) + polls("password_min_length", 10)
                + polls("posture_check_unavailable", 0, check="antivirus"))
    assert run(seed, tmp_path, readings)["posture"].status is Status.NORMAL


def test_a_check_that_could_not_run_is_unavailable_not_normal(seed: ModuleType, tmp_path: Path) -> None:
    readings = (polls("password_min_length", 10) + polls("posture_check_unavailable", 0, check="antivirus")
                + polls("posture_check_unavailable", 1, check="software",
                        reason="no approved software baseline"))
    row = run(seed, tmp_path, readings)["posture"]
    assert row.status is Status.UNAVAILABLE
    assert row.findings[0].labels["reason"] == "no approved software baseline"


def test_abnormal_wins_over_unavailable(seed: ModuleType, tmp_path: Path) -> None:
    readings = (polls("password_min_length", 6)
                + polls("posture_check_unavailable", 1, check="software", reason="no baseline"))
    row = run(seed, tmp_path, readings)["posture"]
    assert row.status is Status.ABNORMAL
    assert {f.metric for f in row.findings} == {"password_min_length", "posture_check_unavailable"}


def test_no_posture_data_is_no_data(seed: ModuleType, tmp_path: Path) -> None:
    assert run(seed, tmp_path, polls("up", 1))["posture"].status is Status.NO_DATA


def test_posture_rules_route_to_the_row() -> None:
    from rules.loader import load_pack

    for rule in load_pack("posture"):
        assert item_for_alert(rule.name, SRV, TABLE) is POSTURE, rule.name


def test_weekly_section_per_server_and_check(seed: ModuleType, tmp_path: Path) -> None:
    from monitor.report.judge import load
    from monitor.report.posture import CHECK_METRICS, rows

    other = {**SRV, "device": "app-01"}
    readings = (polls("password_min_length", 6) + polls("av_installed", 1)
                + polls("posture_check_unavailable", 1, check="software", reason="no baseline")
                + [Reading("egress_public_connections", 0, other, T0 + 60)])
    store = seed.open_store(tmp_path / "w.db")
    store.write(readings)
    store.flush()
    try:
        found = rows(load(store, T0, T0 + 7 * 86400, ["posture_check_unavailable",
                                                      *[m for ms in CHECK_METRICS.values() for m in ms]]),
                     POSTURE, T0, T0 + 7 * 86400)
    finally:
        store.close()
    assert [r["device"] for r in found] == ["app-01", "db-01"]
    db = found[1]["checks"]
    assert db["password_policy"] == "abnormal" and db["antivirus"] == "normal"
    assert db["software"] == "unavailable" and db["egress"] == "no_data"
    assert found[0]["checks"]["egress"] == "normal"
