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
