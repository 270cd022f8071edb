"""``roomwatch demo --duration 60s`` end to end: real snmpsim and pymodbus devices on loopback, the
real daemon, the sink; the scenario's alerts arrive with their clauses, the records are written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.demo import agents, scenario
from monitor.demo import arp as demo_arp

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
    # As root (the suite here) the unknown MAC comes too; otherwise the demo says why not.
    arp = demo_arp.why_not() is None
    expected = scenario.EXPECTED_RULES + ((scenario.ARP_RULE,) if arp else ())
    if not arp:
        assert "ARP step skipped: " in done.stdout
    for rule in expected:
        told = [b for b in boxes if f"规则: {rule}" in b]
        assert any("[告警]" in b for b in told), (rule, done.stdout[-4000:])
        assert any("[恢复]" in b for b in told), (rule, done.stdout[-4000:])
        assert all(re.search(r"依据: 《[^》]+》", b) for b in told), told
    # The configuration change came from the core switch's own syslog, naming who saved it.
    saved = [b for b in boxes if "规则: config_saved_outside_window" in b and "[告警]" in b]
    assert any("core-sw-1" in b and scenario.OPERATOR in b for b in saved), saved
    if arp:
        unknown = [b for b in boxes if f"规则: {scenario.ARP_RULE}" in b and "[告警]" in b]
        assert any(demo_arp.ROGUE_MAC in b and demo_arp.ROGUE_IP in b for b in unknown), unknown
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


ROGUE = """
import json, os, socket
from monitor.demo import arp
arp.isolate()
try:
    with arp.rogue_host() as send:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
        s.bind((arp.IFACE, 0))
        s.settimeout(10)
        send()
        frame = s.recv(100)
        raise KeyboardInterrupt  # as Ctrl-C in the middle of the demo
except KeyboardInterrupt:
    pass
children = [c for t in os.listdir("/proc/self/task")
            for c in open(f"/proc/self/task/{t}/children").read().split()]
print(json.dumps({"sender": frame[6:12].hex(":"), "arp_sender": frame[22:28].hex(":"),
                  "links": [line.split(":")[0].strip() for line in open("/proc/net/dev").readlines()[2:]],
                  "children": children}))
"""


@pytest.mark.timeout(60)
def test_the_rogue_host_sends_real_arp_on_the_demos_veth_and_is_gone_after_ctrl_c() -> None:
    if demo_arp.why_not():
        pytest.skip(f"the ARP step cannot run here: {demo_arp.why_not()}")
    # In a child process: isolate() moves the process into its own network namespace.
    done = subprocess.run([sys.executable, "-c", ROGUE], cwd=ROOT, capture_output=True, text=True, timeout=50)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["sender"] == seen["arp_sender"] == demo_arp.ROGUE_MAC
    # After the interrupt: the simulated host has exited and the veth pair is gone.
    assert seen["children"] == [] and demo_arp.IFACE not in seen["links"], seen


BROKEN = """
from monitor.demo import arp
arp.isolate()
# A simulated host that cannot start: says why on stderr, then waits to be told to go.
arp.HOST = "import sys; sys.stderr.write('no raw socket here\\\\n'); print('', flush=True); sys.stdin.read()"
try:
    with arp.rogue_host():
        pass
except RuntimeError as e:
    print(e)
"""


@pytest.mark.timeout(60)
def test_a_simulated_host_that_does_not_start_says_why() -> None:
    if demo_arp.why_not():
        pytest.skip(f"the ARP step cannot run here: {demo_arp.why_not()}")
    done = subprocess.run([sys.executable, "-c", BROKEN], cwd=ROOT, capture_output=True, text=True,
                          timeout=50)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "did not start" in done.stdout and "no raw socket here" in done.stdout, done.stdout
