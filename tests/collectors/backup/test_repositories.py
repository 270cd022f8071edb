"""restic and borg jobs against real repositories on this host: a healthy daily job, one that
stopped two days ago, a repository damaged on disk, a wrong password, restore tests."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from collectors.backup import LOG_NAME, Backup, build, restore
from monitor.core.errors import CollectError
from monitor.core.model import Reading
from rules.engine import Engine
from rules.loader import load_pack

from .conftest import HOUR, NOW, PASSWORD, Repo, daily, make_repo

TOOLS = ["restic", "borg"]


def job(repo: Repo, **extra: object) -> Backup:
    return Backup.model_validate({"name": "his-db", "source": repo.tool, "repository": str(repo.path),
                                  "password": PASSWORD, "level": 1,
                                  "environment": {"BORG_BASE_DIR": str(repo.base)}, **extra})


def collect(backup: Backup, state: Path, now: float = NOW) -> dict[str, float]:
    state.mkdir(exist_ok=True)
    readings = asyncio.run(build(backup, state_dir=state).collect(now))
    return {r.metric: r.value for r in readings}


def fired(values: dict[str, float], now: float = NOW) -> set[str]:
    """Rules of the shipped pack that fire for these readings (held past every `for`);
    ``evaluate`` returns transitions, so those of both steps count."""
    engine = Engine(load_pack("regulation"))
    labels = {"device": "db-1", "job": "his-db", "level": "1"}
    out: set[str] = set()
    for step in (0.0, 3 * HOUR):
        engine.ingest([Reading(m, v, labels, now + step) for m, v in values.items()])
        out |= {a.rule for a in engine.evaluate(now + step) if a.state.value == "firing"}
    return out


@pytest.mark.parametrize("tool", TOOLS)
def test_a_healthy_daily_job(tool: str, tmp_path: Path) -> None:
    repo = make_repo(tool, tmp_path, daily(NOW))
    got = collect(job(repo), tmp_path / "state")
    assert got["backup_age_hours"] == pytest.approx(10.0)  # last night 02:00, now 12:00
    assert got["backup_last_success_timestamp"] == pytest.approx(NOW - 10 * HOUR)
    assert got["backup_verified"] == 1.0 and got["backup_snapshots"] == 3.0
    assert got["backup_size_bytes"] > 4096
    assert got["restore_test_age_days"] == pytest.approx(2 + 10 / 24)  # never tested: since the first
    assert "restore_test_failed" not in got
    assert fired(got) == set()


@pytest.mark.parametrize("tool", TOOLS)
def test_a_job_that_stopped_two_days_ago(tool: str, tmp_path: Path) -> None:
    repo = make_repo(tool, tmp_path, daily(NOW - 2 * 86400))
    got = collect(job(repo), tmp_path / "state")
    assert got["backup_age_hours"] == pytest.approx(58.0)
    assert "backup_stale" in fired(got)
    assert "backup_overdue_monthly" not in fired(got)
    month = collect(job(repo), tmp_path / "state2", NOW + 40 * 86400)
    assert "backup_overdue_monthly" in fired(month, NOW + 40 * 86400)


@pytest.mark.parametrize("tool", TOOLS)
def test_a_repository_damaged_on_disk_fails_its_check(tool: str, tmp_path: Path) -> None:
    repo = make_repo(tool, tmp_path, daily(NOW))
    backup = job(repo, read_data_subset="100%") if tool == "restic" else job(repo)
    collector = build(backup, state_dir=tmp_path)
    first = {r.metric: r.value for r in asyncio.run(collector.collect(NOW))}
    assert first["backup_verified"] == 1.0
    repo.corrupt()
    later = {r.metric: r.value for r in asyncio.run(collector.collect(NOW + HOUR))}
    assert later["backup_verified"] == 1.0  # the check runs at its own cadence, not every poll
    day = {r.metric: r.value for r in asyncio.run(collector.collect(NOW + 86400))}
    assert day["backup_verified"] == 0.0
    assert "backup_not_verified" in fired(day)


@pytest.mark.parametrize("tool", TOOLS)
def test_a_wrong_password_is_a_clear_error_without_the_secret(tool: str, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    repo = make_repo(tool, tmp_path, daily(NOW))
    wrong = "Wr0ng-" + PASSWORD[::-1]
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CollectError) as err:
        collect(job(repo, password=wrong), tmp_path / "state")
    text = str(err.value)
    assert "wrong repository password" in text and str(repo.path) in text
    assert wrong not in text and wrong not in caplog.text and wrong not in repr(job(repo, password=wrong))


@pytest.mark.parametrize("tool", TOOLS)
def test_restore_tests_pass_and_fail_and_are_logged(tool: str, tmp_path: Path) -> None:
    repo = make_repo(tool, tmp_path, daily(NOW))
    state = tmp_path / "state"
    state.mkdir()
    sample = str(repo.data / "db" / "his.dump")
    backup = job(repo, restore_paths=[sample], restore_test_every="7d")
    got = {r.metric: r.value for r in asyncio.run(build(backup, state_dir=state).collect(NOW))}
    assert got["restore_test_age_days"] == 0.0 and got["restore_test_failed"] == 0.0
    [passed] = restore.records(state / LOG_NAME)
    assert (passed.job, passed.result, passed.by.startswith("roomwatch@")) == ("his-db", "ok", True)
    assert "his.dump" in passed.what and "verified" in passed.what

    missing = job(repo, restore_paths=[str(repo.data / "db" / "not-there.dump")])
    from collectors.backup.runner import LocalRunner

    failed = restore.run_test(missing, LocalRunner(environment=missing.environment), now=NOW + 60, by="ops")
    assert failed.result == "failed" and "not-there.dump" in failed.what + failed.detail
    repo.corrupt()
    broken = restore.run_test(backup, LocalRunner(environment=backup.environment), now=NOW + 120, by="ops")
    assert broken.result == "failed" and PASSWORD not in broken.detail
    restore.append(state / LOG_NAME, broken)
    got = {r.metric: r.value for r in asyncio.run(build(job(repo), state_dir=state)
                                                  .collect(NOW + 180))}
    assert got["restore_test_failed"] == 1.0  # the last test failed: an alert
    assert got["restore_test_age_days"] == pytest.approx(180 / 86400)  # since the last good one
    assert "restore_test_failed" in fired(got)
