"""``install-systemd`` installs what the hardened unit can run and read, prints every file on
--dry-run, and writes a minimal config (issue 13 item 8)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from monitor import config
from monitor.units import render

ROOT = Path(__file__).parents[2]


def _install(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", "install-systemd", "--root", str(root),
                           *args], capture_output=True, text=True, cwd=ROOT, timeout=60)


def _exe(root: Path, interpreter: str) -> str:
    """A console script at /opt/roomwatch/bin/roomwatch below ``root`` running on ``interpreter``."""
    exe = root / "opt/roomwatch/bin/roomwatch"
    exe.parent.mkdir(parents=True)
    exe.write_text(f"#!{interpreter}\n")
    exe.chmod(0o755)
    return "/opt/roomwatch/bin/roomwatch"


def test_install_writes_units_a_readable_minimal_config_and_keeps_an_existing_one(tmp_path: Path) -> None:
    exe = _exe(tmp_path, "/bin/sh")
    done = _install(tmp_path, "--exe", exe)
    assert done.returncode == 0, done.stderr
    unit = tmp_path / "etc/systemd/system/roomwatch.service"
    assert unit.read_text() == render(exe)["roomwatch.service"] and f"ExecStart={exe} run" in unit.read_text()
    installed = tmp_path / "etc/roomwatch/roomwatch.toml"
    # The dynamic user can read it (no secret in it: those go to the credentials directory).
    assert installed.stat().st_mode & 0o777 == 0o644 and unit.stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "etc/roomwatch/credentials").stat().st_mode & 0o777 == 0o700
    settings, _ = config.load(installed)
    [dev] = settings.devices
    assert dev.transport == "local"
    assert installed.read_text().count("\n# [[devices]]") == 3  # the examples, commented out
    installed.write_text("# mine\n")
    installed.chmod(0o640)
    again = _install(tmp_path, "--exe", exe)
    assert again.returncode == 0 and installed.read_text() == "# mine\n"
    assert "not readable by the service" in again.stdout
    assert "systemctl enable --now roomwatch.service" in again.stdout


def test_install_refuses_a_roomwatch_the_hardened_unit_cannot_see(tmp_path: Path) -> None:
    exe = _exe(tmp_path, "/home/alice/roomwatch/.venv/bin/python")
    done = _install(tmp_path, "--exe", exe)
    assert done.returncode == 2 and not (tmp_path / "etc").exists()
    assert done.stderr.startswith("install-systemd: /home/alice/roomwatch/.venv/bin/python is below /home, "
                                  "which the service cannot see (ProtectHome=, PrivateTmp=)")
    hidden_python = _install(tmp_path, "--python", "/tmp/py/bin/python3", "--dry-run")
    assert hidden_python.returncode == 2 and "/tmp/py/bin/python3 is below /tmp" in hidden_python.stderr


def test_dry_run_prints_every_file_and_the_venv_under_opt(tmp_path: Path) -> None:
    done = _install(tmp_path, "--dry-run", "--python", "/usr/bin/python3")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"would run: /usr/bin/python3 -m venv {tmp_path}/opt/roomwatch\n" in out
    assert f"would run: {tmp_path}/opt/roomwatch/bin/pip install --no-warn-script-location {ROOT}\n" in out
    for name, text in render("/opt/roomwatch/bin/roomwatch").items():
        assert f"would write {tmp_path}/etc/systemd/system/{name} (mode 0644)\n{text.rstrip()}\n" in out
    assert "UMask=0077" in out and "MemoryMax=1G" in out and "StateDirectoryMode=0700" in out
    assert f"would write {tmp_path}/etc/roomwatch/roomwatch.toml (mode 0644)\n" in out and "local = {}" in out
    assert not os.listdir(tmp_path)
