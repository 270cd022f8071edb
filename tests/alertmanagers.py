"""A cluster of real Alertmanagers (Debian's prometheus-alertmanager) on loopback, and the
webhook receiver they notify, for the HA tests (scripts/apt.d/scale.txt)."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.procs import free_port, serving, stop

BINARY = "prometheus-alertmanager"
# Short timings so a test takes seconds: Alertmanager's defaults are 30 s / 5 m / 15 s.
CONFIG = """\
route:
  receiver: hook
  group_by: ['alertname', 'device']
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
- name: hook
  webhook_configs:
  - url: {hook}
    send_resolved: true
"""


class Receiver:
    """What the webhook got: every notification (Alertmanager's webhook JSON), in order."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def told(self, alertname: str) -> list[tuple[str, str]]:
        """(status, device) of every alert named ``alertname`` in every notification so far."""
        with self.lock:
            return [(a["status"], a["labels"].get("device", "")) for m in self.messages
                    for a in m["alerts"] if a["labels"].get("alertname") == alertname]

    def wait(self, check: Callable[[], bool], timeout: float = 45.0) -> bool:
        """Poll ``check`` until it holds or ``timeout`` passes (real servers keep real time)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if check():
                return True
            time.sleep(0.1)
        return check()


@contextmanager
def webhook() -> Iterator[tuple[str, Receiver]]:
    """A receiver on a free loopback port: its URL and what it got."""
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with got.lock:
                got.messages.append({**json.loads(body), "received": time.time()})
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}/", got


class Alertmanager:
    """One member of a loopback cluster; ``stop`` then ``start`` keeps its storage (nflog)."""

    def __init__(self, home: Path, hook: str) -> None:
        binary = shutil.which(BINARY)
        if binary is None:
            pytest.skip(f"{BINARY} is not installed (scripts/apt.d/scale.txt)")
        self.binary = binary
        self.home = home
        self.port, self.cluster_port = free_port(), free_port()
        self.peers: list[Alertmanager] = []
        self.proc: subprocess.Popen[bytes] | None = None
        home.mkdir(parents=True, exist_ok=True)
        (home / "am.yml").write_text(CONFIG.format(hook=hook), encoding="utf-8")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cluster = f"127.0.0.1:{self.cluster_port}"
        command = [self.binary, f"--config.file={self.home / 'am.yml'}",
                   f"--storage.path={self.home / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}",
                   f"--cluster.listen-address={cluster}", f"--cluster.advertise-address={cluster}",
                   "--cluster.peer-timeout=2s", "--cluster.gossip-interval=100ms",
                   "--cluster.pushpull-interval=1s", "--log.level=warn"]
        command += [f"--cluster.peer=127.0.0.1:{p.cluster_port}" for p in self.peers]
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{BINARY} exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as answer:
                    if answer.status < 300:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{BINARY} did not become ready within 30 s")

    def stop(self) -> None:
        stop(self.proc, timeout=10)
        self.proc = None

    def members(self) -> int:
        """Cluster members this one sees."""
        with urllib.request.urlopen(f"{self.url}/api/v2/status", timeout=5) as answer:
            return len(json.load(answer)["cluster"].get("peers") or [])


@contextmanager
def cluster(home: Path, hook: str, size: int = 2) -> Iterator[list[Alertmanager]]:
    """``size`` Alertmanagers gossiping on loopback, all notifying ``hook``."""
    members = [Alertmanager(home / f"am-{i}", hook) for i in range(size)]
    for member in members:
        member.peers = [m for m in members if m is not member]
    try:
        start(members)
        yield members
    finally:
        for member in members:
            member.stop()


def start(members: list[Alertmanager]) -> None:
    """Start (again) every member and wait until each sees all the others: before that, each one
    thinks it is alone and first in line, and pages by itself."""
    for member in members:
        member.start()
    end = time.monotonic() + 30
    while time.monotonic() < end and any(m.members() < len(members) for m in members):
        time.sleep(0.1)
