"""The units pass systemd-analyze verify with no warning and score ≤ 2.0 on security."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.units import DEFAULT_EXE, render

ROOT = Path(__file__).parents[2]
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze not installed (Debian systemd)")


def _exe() -> str:
    found = shutil.which("roomwatch") or str(Path(sys.executable).parent / "roomwatch")
    if not Path(found).exists():
        pytest.skip("roomwatch console script not installed (run scripts/test)")
    return found


@pytest.fixture
def units(tmp_path: Path) -> Path:
    for name, text in render(_exe()).items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_shipped_units_are_the_rendered_ones() -> None:
    for name, text in render(DEFAULT_EXE).items():
        path = ROOT / "systemd" / name
        if os.environ.get("UPDATE_GOLDEN"):
            path.write_text(text)
        assert path.read_text() == text, f"systemd/{name} is stale: UPDATE_GOLDEN=1 pytest"


def test_every_unit_verifies_without_a_single_warning(units: Path) -> None:
    for unit in sorted(units.iterdir()):
        result = subprocess.run([ANALYZE, "verify", str(unit)], capture_output=True, text=True,
                                cwd=units, timeout=60)
        output = (result.stdout + result.stderr).strip()
        assert result.returncode == 0 and output == "", f"{unit.name}: {output}"


@pytest.mark.parametrize("name", ["roomwatch.service", "roomwatch-inspect.service",
                                  "roomwatch-report.service"])
def test_exposure_score_is_ok(units: Path, name: str) -> None:
    result = subprocess.run([ANALYZE, "security", "--offline=true", "--no-pager", str(units / name)],
                            capture_output=True, text=True, timeout=60)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout[-500:] + result.stderr
    assert float(match.group(1)) <= 2.0


def test_install_writes_units_and_keeps_an_existing_config(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "monitor.cli", "install-systemd", "--root", str(tmp_path),
           "--exe", _exe()]
    dry = subprocess.run([*cmd, "--dry-run"], capture_output=True, text=True, cwd=ROOT)
    assert dry.returncode == 0 and "would write" in dry.stdout and not (tmp_path / "etc").exists()
    config = tmp_path / "etc/roomwatch/roomwatch.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# mine\n")
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert config.read_text() == "# mine\n"
    assert f"ExecStart={_exe()} run" in (tmp_path / "etc/systemd/system/roomwatch.service").read_text()
    assert (tmp_path / "etc/roomwatch/credentials").stat().st_mode & 0o777 == 0o700
    assert "systemctl enable --now roomwatch.service" in done.stdout
