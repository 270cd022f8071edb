"""The daemon as systemd runs it: sd_notify over a real datagram socket, watchdog, SIGHUP
reload with a good and a broken config, SIGTERM under heavy writing."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor import config as config_mod
from monitor import daemon, wiring
from monitor.store.sqlite import SQLiteStore

ROOT = Path(__file__).parents[2]


class NotifySocket:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET; records (time, message)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.1)
        self.messages: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def times(self, field: str) -> list[float]:
        return [t for t, m in list(self.messages) if field in m.split("\n")]

    def wait(self, field: str, timeout: float = 20.0, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.times(field)) >= count:
                return
            time.sleep(0.02)
        raise AssertionError(f"{field} x{count} not received; got {self.messages[-5:]}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[NotifySocket]:
    ns = NotifySocket(tmp_path / "notify.sock")
    yield ns
    ns.close()


def write_config(path: Path, state: Path, devices: list[tuple[str, str]], extra: str = "") -> None:
    text = (f'state_dir = "{state}"\n[defaults]\ninterval = "200ms"\njitter = "0s"\n'
            '[rules]\nevaluate_interval = "200ms"\n[store.sqlite]\nflush_interval = "200ms"\n' + extra)
    for name, lines in devices:
        cmd = json.dumps([sys.executable, "-c", f"print({lines!r})"])
        text += f'[[devices]]\nname = "{name}"\nkind = "sensor"\nexec = {{ command = {cmd} }}\n'
    path.write_text(text)


def start(config: Path, notify: NotifySocket | None, log: Path,
          watchdog_usec: int | None = None) -> subprocess.Popen[bytes]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC")}
    if notify:
        env["NOTIFY_SOCKET"] = str(notify.path)
    if watchdog_usec:
        env["WATCHDOG_USEC"] = str(watchdog_usec)
    return subprocess.Popen([sys.executable, "-m", "monitor.cli", "run", "--config", str(config)],
                            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def wait_log(log: Path, text: str, timeout: float = 20.0, after: int = 0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace")[after:]:
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not logged; log tail:\n{log.read_text()[-2000:]}")


def test_ready_watchdog_and_stopping(tmp_path: Path, notify_socket: NotifySocket) -> None:
    config = tmp_path / "r.toml"
    write_config(config, tmp_path / "state", [("th", "temperature_celsius value=22")])
    proc = start(config, notify_socket, tmp_path / "log", watchdog_usec=400_000)
    try:
        notify_socket.wait("READY=1")
        notify_socket.wait("WATCHDOG=1", count=8)
        pings = notify_socket.times("WATCHDOG=1")
        gaps = [b - a for a, b in itertools.pairwise(pings)]
        assert max(gaps) < 0.4  # at least every WATCHDOG_USEC/2, with slack for a busy machine
        assert any(m.startswith("STATUS=") or "\nSTATUS=" in m for _, m in notify_socket.messages)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        notify_socket.wait("STOPPING=1", timeout=1)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_blocked_main_loop_stops_the_watchdog(tmp_path: Path, notify_socket: NotifySocket,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(notify_socket.path))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")
    config = tmp_path / "r.toml"
    write_config(config, tmp_path / "state", [("th", "temperature_celsius value=22")])
    settings, _ = config_mod.load(config)
    parts = wiring.build(settings, "r.toml")
    d = daemon.Daemon(settings, parts, config_path=config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(d.run(signals=False),), daemon=True)
    thread.start()
    try:
        notify_socket.wait("WATCHDOG=1", count=3)
        loop.call_soon_threadsafe(time.sleep, 1.5)  # the loop itself hangs
        time.sleep(0.3)
        before = len(notify_socket.times("WATCHDOG=1"))
        time.sleep(0.9)
        assert len(notify_socket.times("WATCHDOG=1")) == before  # silence while hung
        notify_socket.wait("WATCHDOG=1", count=before + 2, timeout=5)  # and back after
    finally:
        loop.call_soon_threadsafe(d.stop.set)
        thread.join(timeout=15)
        loop.close()


def test_sighup_reloads_a_good_config_and_refuses_a_broken_one(tmp_path: Path,
                                                               notify_socket: NotifySocket) -> None:
    config = tmp_path / "r.toml"
    log = tmp_path / "log"
    write_config(config, tmp_path / "state", [("th-1", "temperature_celsius value=22")])
    proc = start(config, notify_socket, log)
    try:
        notify_socket.wait("READY=1")
        wait_log(log, "collected device=th-1")
        write_config(config, tmp_path / "state", [("th-1", "temperature_celsius value=22"),
                                                  ("th-2", "humidity_percent value=50")])
        proc.send_signal(signal.SIGHUP)
        wait_log(log, "reload: done, 2 device(s)")
        wait_log(log, "collected device=th-2")
        assert any("RELOADING=1" in m for _, m in notify_socket.messages)
        notify_socket.wait("READY=1", count=2)
        config.write_text(config.read_text() + '[[devices]]\nname = "x"\nkind = "swtich"\n')
        proc.send_signal(signal.SIGHUP)
        wait_log(log, "reload refused: r.toml: devices[2].kind: 'swtich' is not one of")
        wait_log(log, "collected device=th-2", after=len(log.read_text()))  # old config runs on
        assert proc.poll() is None
        # Saved as GBK by a Chinese Windows editor: refused with file and line, the daemon lives.
        config.write_bytes(config.read_bytes() + '[[devices]]\nname = "机房"\n'.encode("gbk"))
        before = len(log.read_text())
        proc.send_signal(signal.SIGHUP)
        wait_log(log, "not UTF-8 (byte 0xbb at column 9); save the file as UTF-8", after=before)
        assert "Traceback" not in log.read_text()
        wait_log(log, "collected device=th-2", after=len(log.read_text()))
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_sigterm_under_heavy_writing_loses_nothing(tmp_path: Path) -> None:
    config = tmp_path / "r.toml"
    per_run = 2000
    lines = "\n".join(f"temperature_celsius,sensor=s{i} value=22" for i in range(per_run))
    write_config(config, tmp_path / "state", [("busy", lines)])
    proc = start(config, None, tmp_path / "log")
    try:
        # Two collections that answered (a loaded box may time some out), then stop mid-write.
        first = tmp_path / "log"
        wait_log(first, "collected device=busy up=1")
        wait_log(first, "collected device=busy up=1", after=first.read_text().index("up=1") + 4)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    store = SQLiteStore(tmp_path / "state" / "roomwatch.db")
    # Only collections that answered count: on a loaded box a run may pass its 0.2 s timeout.
    ups = [u for u in store.query("up", 0, time.time() + 60) if u.value == 1]
    temps = store.query("temperature_celsius", 0, time.time() + 60)
    store.close()
    assert len(ups) >= 2
    assert len(temps) == len(ups) * per_run  # every collection whole, none cut off
