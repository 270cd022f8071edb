"""Row 9 服务器安全: a posture check that could not run makes the row 无法检查 (never 正常),
an abnormal value makes it 异常, and posture alerts land in this row."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from monitor.model import Reading
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
