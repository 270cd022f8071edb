"""State files are private: umask 077 from the start, state dir 0700, files 0600, and files an
older release made 0644 are tightened (issue 13 item 8)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def _silence(config: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "monitor.cli", "silence", "add", "device=x", "-m", "割接",
                           "--config", str(config)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "r.toml"
    path.write_text(f'state_dir = "{tmp_path}/state"\ndevices = []\n', encoding="utf-8")
    return path


def test_a_new_state_dir_is_0700_and_its_files_0600(tmp_path: Path) -> None:
    _silence(_config(tmp_path))
    state = tmp_path / "state"
    assert state.stat().st_mode & 0o777 == 0o700
    files = sorted(state.iterdir())
    assert "alerts.db" in [f.name for f in files]
    assert {f.name: f.stat().st_mode & 0o777 for f in files} == {f.name: 0o600 for f in files}


def test_files_an_older_release_left_0644_are_tightened_and_others_left_alone(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    for name in ("engine.json", "configs.db", "ssh_known_hosts", "notes.txt"):
        (state / name).write_text("")
        (state / name).chmod(0o644)
    _silence(_config(tmp_path))
    modes = {f.name: f.stat().st_mode & 0o777 for f in state.iterdir()}
    assert modes["engine.json"] == modes["configs.db"] == modes["ssh_known_hosts"] == 0o600
    assert modes["notes.txt"] == 0o644  # not roomwatch's: not ours to change
    assert state.stat().st_mode & 0o777 == 0o755  # a directory we did not make: only reported


def test_the_reason_given_for_the_state_dir_is_true(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from monitor import config

    monkeypatch.delenv("ROOMWATCH_STATE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "set.toml").write_text(f'state_dir = "{tmp_path}/s"\ndevices = []\n', encoding="utf-8")
    settings, _ = config.load(tmp_path / "set.toml")
    assert config.state_dir(settings) == (tmp_path / "s", "configured")
    # Nothing sets it: the default is used, and it is never called "configured" (the directory
    # choice itself is not run here: it would create /var/lib/roomwatch on this machine).
    monkeypatch.setattr(config.statedir, "choose", lambda wanted, origin: (wanted, origin))
    (tmp_path / "unset.toml").write_text("devices = []\n", encoding="utf-8")
    settings, _ = config.load(tmp_path / "unset.toml")
    assert config.state_dir(settings) == (Path("/var/lib/roomwatch"), "default")
    monkeypatch.setenv("ROOMWATCH_STATE_DIR", str(tmp_path / "e"))
    settings, _ = config.load(tmp_path / "unset.toml")
    assert config.state_dir(settings) == (tmp_path / "e", "configured")
