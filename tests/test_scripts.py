"""scripts/venv skips the reinstall when nothing it depends on changed (so scripts/run starts
fast), and reinstalls when pyproject.toml, the extras or the package's file list change.

Run on a throw-away copy whose ``.venv/bin/python`` only records how it was called."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).parents[1]


def venv(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(tree / "scripts" / "venv"), *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "CALLS": str(tree / "calls")})


def installs(tree: Path) -> int:
    calls = tree / "calls"
    return calls.read_text().count("pip install") if calls.exists() else 0


def test_reinstall_only_when_pyproject_extras_or_files_change(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "venv", tmp_path / "scripts" / "venv")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in ("monitor", "collectors", "rules", "alerts"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text('"""x."""\n')
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text('#!/bin/sh\necho "$@" >> "$CALLS"\n')
    (bin_dir / "roomwatch").write_text("#!/bin/sh\n")
    for exe in bin_dir.iterdir():
        exe.chmod(0o755)

    assert venv(tmp_path, "test").returncode == 0 and installs(tmp_path) == 1
    assert venv(tmp_path, "--status", "test").stdout.strip() == "current"
    assert venv(tmp_path, "test").returncode == 0 and installs(tmp_path) == 1  # nothing changed
    # scripts/run asks for no extra: the test extra installed already is enough (no reinstall).
    assert venv(tmp_path, "--status").stdout.strip() == "current"
    assert venv(tmp_path).returncode == 0 and installs(tmp_path) == 1
    (tmp_path / "monitor" / "__init__.py").write_text('"""edited: an editable install needs nothing."""\n')
    assert venv(tmp_path, "test").returncode == 0 and installs(tmp_path) == 1
    # A different set of extras, a new module, a changed pyproject.toml: each installs once.
    stale = venv(tmp_path, "--status", "test", "demo")
    assert (stale.returncode, stale.stdout.strip()) == (1, "stale")
    assert venv(tmp_path, "test", "demo").returncode == 0 and installs(tmp_path) == 2
    (tmp_path / "monitor" / "new.py").write_text('"""new."""\n')
    assert venv(tmp_path, "test", "demo").returncode == 0 and installs(tmp_path) == 3
    with (tmp_path / "pyproject.toml").open("a") as f:
        f.write("\n# a new dependency\n")
    assert venv(tmp_path, "test", "demo").returncode == 0 and installs(tmp_path) == 4
    assert venv(tmp_path, "test", "demo").returncode == 0 and installs(tmp_path) == 4
    # A reinstall for a changed tree keeps the extras installed before, asked for now or not.
    (tmp_path / "monitor" / "newer.py").write_text('"""newer."""\n')
    assert venv(tmp_path).returncode == 0 and installs(tmp_path) == 5
    assert (tmp_path / "calls").read_text().splitlines()[-1].endswith("-e .[demo,test]")
    assert venv(tmp_path, "--status", "demo").stdout.strip() == "current"
    # A stamp in the older "extras=[…] HASH" form: one reinstall, keeping its extras.
    (tmp_path / ".venv" / ".roomwatch-install-stamp").write_text("extras=[demo] 0000\n")
    assert venv(tmp_path).returncode == 0 and installs(tmp_path) == 6
    assert (tmp_path / "calls").read_text().splitlines()[-1].endswith("-e .[demo]")
