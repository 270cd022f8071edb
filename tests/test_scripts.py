"""scripts/venv skips the reinstall when nothing it depends on changed (scripts/run starts fast)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
STAMP = ROOT / ".venv" / ".roomwatch-install-stamp"


def status(*extras: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "scripts" / "venv"), "--status", *extras], capture_output=True,
                          text=True, timeout=60)


def test_an_unchanged_install_is_current_and_other_extras_are_stale() -> None:
    if not STAMP.exists():
        pytest.skip("this .venv was not made by scripts/venv (no install stamp)")
    extras = STAMP.read_text().split()[0].removeprefix("extras=").strip("[]")
    names = [e for e in extras.split(",") if e]
    current = status(*names)
    assert (current.returncode, current.stdout.strip()) == (0, "current"), current.stderr
    stale = status(*names, "another-extra")
    assert (stale.returncode, stale.stdout.strip()) == (1, "stale")
