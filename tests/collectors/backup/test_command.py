"""``roomwatch backup restore-test``: a real restic restore recorded in the append-only log, a
manual record, a failed restore (exit 1), an unknown job (exit 2); the record lists jobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.backup import LOG_NAME, restore
from monitor.cli import main

from .conftest import NOW, PASSWORD, daily, make_repo


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    repo = make_repo("restic", tmp_path, daily(NOW))
    monkeypatch.setenv("RW_TEST_RESTIC_PW", PASSWORD)
    path = tmp_path / "roomwatch.toml"
    path.write_text(
        f'state_dir = "{tmp_path}/state"\n'
        '[[backups]]\nname = "his-db"\nsource = "restic"\n'
        f'repository = "{repo.path}"\npassword = "env:RW_TEST_RESTIC_PW"\n'
        f'restore_paths = ["{repo.data}/db/his.dump"]\n'
        '[[backups]]\nname = "gone"\nsource = "restic"\n'
        f'repository = "{tmp_path}/no-such-repo"\npassword = "env:RW_TEST_RESTIC_PW"\n')
    return path


def test_restore_test_runs_and_records(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", "restore-test", "his-db", "--config", str(config), "--by", "王工"]) == 0
    out = capsys.readouterr().out
    assert "his-db ok by 王工" in out and "his.dump" in out and PASSWORD not in out
    assert main(["backup", "restore-test", "his-db", "--config", str(config), "--manual", "--by", "李工",
                 "--result", "failed", "--what", "HIS 库恢复到测试机", "--comment", "表结构不一致"]) == 1
    log = config.parent / "state" / LOG_NAME
    first, second = restore.records(log)
    assert (first.by, first.result, first.manual) == ("王工", "ok", False)
    assert (second.by, second.result, second.manual) == ("李工", "failed", True)
    assert second.detail == "表结构不一致"
    assert PASSWORD not in log.read_text()


def test_a_failed_restore_exits_1_and_is_recorded(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", "restore-test", "gone", "--config", str(config)]) == 1
    captured = capsys.readouterr()
    assert "gone failed" in captured.out and PASSWORD not in captured.out + captured.err
    [record] = restore.records(config.parent / "state" / LOG_NAME)
    assert record.result == "failed" and "no repository there" in record.detail


def test_usage_errors(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backup", "restore-test", "nope", "--config", str(config)]) == 2
    assert "jobs: gone, his-db" in capsys.readouterr().err
    assert main(["backup", "restore-test", "his-db", "--config", str(config), "--manual"]) == 2
