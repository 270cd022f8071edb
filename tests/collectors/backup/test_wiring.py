"""[[backups]] in the config: jobs built with the device's labels and SSH target, passwords in
the redaction list, every problem reported with its place."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.backup.runner import LocalRunner, SshRunner
from monitor import config, wiring
from monitor import jobs as jobs_mod
from monitor.core.errors import ConfigError

CONFIG = """
state_dir = "{state}"
[[devices]]
name = "db-01"
kind = "server"
address = "127.0.0.1"
level = 1
ssh = {{ device_type = "linux", username = "rw", password = "ssh-pw-1" }}
[[devices]]
name = "sw-1"
kind = "switch"
address = "127.0.0.1"
snmp = {{ community = "c" }}
[[backups]]
name = "his-db"
source = "restic"
repository = "/srv/restic/his"
password = "env:RW_TEST_BACKUP_PW"
device = "db-01"
level = 1
[[backups]]
name = "oa-dump"
source = "files"
path = "/var/backups/oa"
"""


def test_jobs_are_built_with_labels_and_targets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RW_TEST_BACKUP_PW", "restic-pw-123")
    path = tmp_path / "roomwatch.toml"
    path.write_text(CONFIG.format(state=tmp_path / "state"))
    settings, _ = config.load(path)
    his, oa = jobs_mod.build_backup_jobs(settings)
    assert his.device == "backup:his-db" and his.heartbeat == "backup_readable"
    assert his.labels == {"device": "db-01", "kind": "server", "level": "1", "job": "his-db"}
    assert isinstance(his.collector.runner, SshRunner)  # type: ignore[attr-defined]
    assert isinstance(oa.collector.runner, LocalRunner)  # type: ignore[attr-defined]
    assert oa.labels["job"] == "oa-dump" and oa.labels["level"] == "2"
    assert "restic-pw-123" in wiring.secrets_of(settings)
    assert "restic-pw-123" not in repr(settings)


def test_problems_name_their_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RW_TEST_BACKUP_PW", "x")
    path = tmp_path / "roomwatch.toml"
    text = CONFIG.format(state=tmp_path / "state").replace('device = "db-01"', 'device = "sw-1"')
    path.write_text(text + '[[backups]]\nname = "oa-dump"\nsource = "files"\npath = "/x"\ndevice = "nope"\n')
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert err.value.problems == [
        "roomwatch.toml: backups[0].device: 'sw-1' has no ssh table; backups are checked over SSH",
        "roomwatch.toml: backups[2].name: 'oa-dump' is used twice",
        "roomwatch.toml: backups[2].device: no [[devices]] entry named 'nope'"]
