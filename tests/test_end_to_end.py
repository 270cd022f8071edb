"""End to end through the real CLI: exec readings → rules → violations; the daemon under kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.daemons import daemon_head

ROOT = Path(__file__).parents[1]


def roomwatch(*args: str, env: dict[str, str] | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], cwd=ROOT, text=True,
                          capture_output=True, timeout=timeout, env=env)


def sensor(name: str, lines: str, **extra: str) -> str:
    cmd = json.dumps([sys.executable, "-c", f"print({lines!r})"])
    fields = "".join(f'{k} = "{v}"\n' for k, v in extra.items())
    return f'[[devices]]\nname = "{name}"\nkind = "sensor"\n{fields}exec = {{ command = {cmd} }}\n'


EDGES = [  # (metric, value, breaks the rule?)  003: 18–28 °C and 35–75 %, inclusive
    ("temperature_celsius", 17.9, True), ("temperature_celsius", 18.0, False),
    ("temperature_celsius", 28.0, False), ("temperature_celsius", 28.1, True),
    ("humidity_percent", 34.9, True), ("humidity_percent", 35.0, False),
    ("humidity_percent", 75.0, False), ("humidity_percent", 75.1, True),
]


def test_threshold_edges_through_exec_and_check(tmp_path: Path) -> None:
    config = tmp_path / "roomwatch.toml"
    config.write_text(f'state_dir = "{tmp_path}/state"\n' + "".join(
        sensor(f"th-{i}", f"{metric},sensor=s1 value={value}", room="一号机房")
        for i, (metric, value, _) in enumerate(EDGES)), encoding="utf-8")
    result = roomwatch("check", "--config", str(config), "--json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    violating = {v["labels"]["device"] for v in doc["violations"]}
    assert violating == {f"th-{i}" for i, (_, _, bad) in enumerate(EDGES) if bad}
    for v in doc["violations"]:
        assert set(v) == {"rule", "severity", "labels", "value", "summary", "clause"}
        assert v["clause"].startswith("《")
        assert v["labels"]["room"] == "一号机房"
    readings = {(r["metric"], r["labels"]["device"]): r["value"] for r in doc["readings"]}
    assert readings[("temperature_celsius", "th-3")] == 28.1
    assert readings[("up", "th-0")] == 1.0

    table = roomwatch("check", "--config", str(config))
    assert table.returncode == 1 and "违规 (4)" in table.stdout and "依据条款" in table.stdout
    english = roomwatch("check", "--config", str(config), "--lang", "en")
    assert "Violations (4)" in english.stdout
    # The rules' own English summaries, not the zh-CN ones.
    assert "room temperature 28.1 °C, outside 18–28 °C" in english.stdout
    assert "机房温度" not in english.stdout


def test_check_is_clean_when_everything_is_normal(tmp_path: Path) -> None:
    config = tmp_path / "ok.toml"
    config.write_text(f'state_dir = "{tmp_path}/state"\n'
                      + sensor("th", "temperature_celsius,sensor=a value=23\nhumidity_percent value=50"))
    result = roomwatch("check", "--config", str(config), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["violations"] == []


def test_a_device_that_fails_is_up_zero_and_others_still_read(tmp_path: Path) -> None:
    config = tmp_path / "r.toml"
    hang = json.dumps([sys.executable, "-c", "import time; time.sleep(60)"])
    config.write_text(
        f'state_dir = "{tmp_path}/state"\n'
        + sensor("good", "temperature_celsius value=22")
        + f'[[devices]]\nname = "hung"\nkind = "sensor"\nexec = {{ command = {hang}, timeout = "1s" }}\n'
        + sensor("garbage", "<html>502</html>"))
    start = time.monotonic()
    result = roomwatch("check", "--config", str(config), "--json")
    assert time.monotonic() - start < 20
    doc = json.loads(result.stdout)
    ups = {r["labels"]["device"]: r["value"] for r in doc["readings"] if r["metric"] == "up"}
    assert ups == {"good": 1.0, "hung": 0.0, "garbage": 0.0}
    assert {v["rule"] for v in doc["violations"] if v["labels"]["device"] != "good"} == {"device_down"}
    assert "did not finish within 1s" in result.stderr
    assert "not line protocol" in result.stderr


def test_exit_codes_and_help(tmp_path: Path) -> None:
    for args in (["--help"], ["run", "--help"], ["check", "--help"], ["config", "--help"],
                 ["config", "validate", "--help"], ["config", "sample", "--help"]):
        assert roomwatch(*args).returncode == 0, args
    assert roomwatch("no-such-command").returncode == 2
    bad = ROOT / "tests/monitor/data/configs/one_mistake.toml"
    result = roomwatch("config", "validate", str(bad))
    assert result.returncode == 2
    assert "devices[1].kind: 'swtich' is not one of switch" in result.stderr
    assert roomwatch("check", "--config", str(bad)).returncode == 2
    sample = roomwatch("config", "sample")
    assert sample.returncode == 0 and "[[devices]]" in sample.stdout
    path = tmp_path / "sample.toml"
    path.write_text(sample.stdout, encoding="utf-8")
    env = {**os.environ, "ROOMWATCH_DUTY_URL": "json://127.0.0.1:1/",
           "ROOMWATCH_WINRM_PASSWORD": "sample-only"}  # the winrm sample's password
    ok = subprocess.run([sys.executable, "-m", "monitor.cli", "config", "validate", str(path)],
                        cwd=ROOT, text=True, capture_output=True, env=env)
    assert ok.returncode == 0, ok.stderr


# --- the daemon, killed with SIGKILL while an alert fires ---------------------------------


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


class Daemon:
    def __init__(self, tmp_path: Path, url: str) -> None:
        self.value_file = tmp_path / "value.lp"
        self.config = tmp_path / "roomwatch.toml"
        self.log = tmp_path / "daemon.log"
        cmd = json.dumps(["cat", str(self.value_file)])
        self.config.write_text(daemon_head(tmp_path, url, "200ms") + f'''
[[devices]]
name = "room1-th"
kind = "sensor"
room = "一号机房"
exec = {{ command = {cmd} }}
''', encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None

    def set(self, celsius: float) -> None:
        tmp = self.value_file.with_suffix(".tmp")
        tmp.write_text(f"temperature_celsius,sensor=north value={celsius}\n")
        tmp.replace(self.value_file)

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor.cli", "run", "--config", str(self.config)],
            cwd=ROOT, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)

    def kill(self, sig: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=15)


@pytest.fixture
def daemon(tmp_path: Path, receiver):  # type: ignore[no-untyped-def]
    d = Daemon(tmp_path, receiver.url)
    yield d
    if d.proc and d.proc.poll() is None:
        d.proc.kill()
        d.proc.wait()


def _states(receiver) -> list[str]:  # type: ignore[no-untyped-def]
    return [b["type"] for b in receiver.bodies()]


def test_kill_9_while_firing_neither_repeats_nor_loses_the_resolve(daemon, receiver) -> None:  # type: ignore[no-untyped-def]
    daemon.set(30.0)
    daemon.start()
    wait_for(lambda: _states(receiver) == ["failure"])
    # Kill once the outbox has recorded the delivery: a kill between the receiver's 200 and
    # that record re-sends on restart (at-least-once; no channel here acknowledges idempotently).
    wait_for(lambda: "notified id=" in daemon.log.read_text(errors="replace"))
    assert daemon.kill(signal.SIGKILL) == -signal.SIGKILL
    daemon.start()
    time.sleep(2.0)  # ten evaluation cycles of the restarted daemon, the alert still breached
    assert _states(receiver) == ["failure"]
    daemon.set(24.0)
    wait_for(lambda: _states(receiver) == ["failure", "success"])
    assert daemon.kill(signal.SIGTERM) == 0
    fired, _resolved = receiver.bodies()
    assert "room1-th" in fired["title"] and "30" in fired["message"]
    assert "《信息中心机房管理制度》" in fired["message"]


def test_kill_9_before_delivery_delivers_once_after_restart(daemon, receiver) -> None:  # type: ignore[no-untyped-def]
    receiver.status = 500
    daemon.set(35.0)
    daemon.start()
    wait_for(lambda: len(receiver.requests) >= 2)  # decided and tried, but refused
    daemon.kill(signal.SIGKILL)
    receiver.status = 200
    daemon.start()
    wait_for(lambda: _states(receiver) == ["failure"])
    time.sleep(1.0)
    assert _states(receiver) == ["failure"]
    assert daemon.kill(signal.SIGTERM) == 0
