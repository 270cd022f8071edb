"""``roomwatch snmp probe`` against snmpsim: the profile and readings, an unreachable device, bad options."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.collectors.snmp.conftest import Agent


def probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", "snmp", "probe", *args],
                          capture_output=True, text=True, timeout=60)


def test_probe_shows_profile_and_readings(snmpsim: Agent) -> None:
    out = probe("127.0.0.1", "--port", str(snmpsim.port), "--community", "huawei-gse200m", "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["profile"] == "huawei-ups" and got["sys_object_id"] == "1.3.6.1.4.1.8072.3.2.10"
    assert {"metric": "ups_battery_runtime_minutes", "labels": {}, "value": 468.0} in got["readings"]
    table = probe("127.0.0.1", "--port", str(snmpsim.port), "--community", "phoenixtec-power")
    assert "profile:     phoenixtec" in table.stdout
    assert "temperature_celsius{sensor=battery} 31.5" in table.stdout


def test_probe_unreachable_and_bad_options(silent_port: int) -> None:
    secret = "Planted-Probe-Community"
    out = probe("127.0.0.1", "--port", str(silent_port), "--community", secret, "--timeout", "1s",
                "--retries", "0")
    assert out.returncode == 3 and "no answer" in out.stdout
    assert secret not in out.stdout + out.stderr
    bad = probe("127.0.0.1", "--version", "3")
    assert bad.returncode == 2 and "version 3 needs user" in bad.stdout
