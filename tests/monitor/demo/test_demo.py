"""``roomwatch demo --duration 60s`` end to end: real snmpsim and pymodbus devices on loopback, the
real daemon, the sink; the scenario's alerts arrive with their clauses, the records are written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.demo import agents, scenario

ROOT = Path(__file__).parents[3]


@pytest.mark.timeout(600)
def test_demo_plays_the_scenario_and_writes_the_record_and_the_report(tmp_path: Path) -> None:
    if agents.missing():
        pytest.skip(f"{agents.missing()} is not installed (pip install .[demo])")
    done = subprocess.run([sys.executable, "-m", "monitor.cli", "demo", "--duration", "60s", "--dir",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=580)
    log = (tmp_path / "roomwatch.log").read_text(errors="replace")[-3000:] if (
        tmp_path / "roomwatch.log").exists() else ""
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:], log)
    # Each phone message: a box from "┌─ 📱" to "└─"; every rule of the scenario fired in one,
    # with its clause as document title and article, and was told resolved in another.
    boxes = re.findall(r"┌─ 📱 duty[^\n]*\n(.*?)\n└─", done.stdout, re.S)
    for rule in scenario.EXPECTED_RULES:
        told = [b for b in boxes if f"规则: {rule}" in b]
        assert any("[告警]" in b for b in told), (rule, done.stdout[-4000:])
        assert any("[恢复]" in b for b in told), (rule, done.stdout[-4000:])
        assert all(re.search(r"依据: 《[^》]+》", b) for b in told), told
    # The configuration change came from the core switch's own syslog, naming who saved it.
    saved = [b for b in boxes if "规则: config_saved_outside_window" in b and "[告警]" in b]
    assert any("core-sw-1" in b and scenario.OPERATOR in b for b in saved), saved
    assert "still firing: none" in done.stdout
    files = {Path(p) for p in re.findall(r"^(?:inspect|report): (\S+)$", done.stdout, re.M)}
    suffixes = sorted(p.suffix for p in files)
    assert suffixes == [".html", ".md", ".pdf"], done.stdout[-2000:]
    for path in files:
        assert path.is_file() and path.stat().st_size > 0 and tmp_path in path.parents
        text = _text(path)
        for device in ("th-1", "ups-1", "core-sw-1"):
            assert device in text, (path, device)


def _text(path: Path) -> str:
    if path.suffix != ".pdf":
        return path.read_text(encoding="utf-8")
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext missing: apt-get install poppler-utils (scripts/apt.d/report.txt)")
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
