"""A cluster of real Alertmanagers (Debian's prometheus-alertmanager, scripts/apt.d/scale.txt) on
loopback, notifying the tests' recording receiver (tests/conftest.py), for the HA tests."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tests.monitor.store.servers import Server
from tests.procs import free_port

if TYPE_CHECKING:
    from tests.conftest import Receiver

BINARY = "prometheus-alertmanager"
# Short timings so a test takes seconds: Alertmanager's defaults are 30 s / 5 m / 15 s.
CONFIG = """\
route:
  receiver: hook
  group_by: ['alertname', 'device']
  group_wait: 1s
  group_interval: 4s
  repeat_interval: 1h
receivers:
- name: hook
  webhook_configs:
  - url: {hook}
    send_resolved: true
"""


def told(receiver: Receiver, alertname: str) -> list[tuple[str, str]]:
    """(status, device) of every alert named ``alertname`` in every notification so far."""
    return [(a["status"], a["labels"].get("device", "")) for body in receiver.bodies()
            for a in body.get("alerts", []) if a["labels"].get("alertname") == alertname]


def wait(check: Callable[[], bool], timeout: float = 45.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` passes (real servers keep real time)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return check()


class Alertmanager(Server):
    """One member of a loopback cluster; ``stop`` then ``start`` keeps its storage (nflog)."""

    binary_name = BINARY
    ready_path = "/-/ready"

    def __init__(self, home: Path, hook: str) -> None:
        super().__init__(home)
        self.cluster_port = free_port()
        self.peers: list[Alertmanager] = []
        home.mkdir(parents=True, exist_ok=True)
        (home / "am.yml").write_text(CONFIG.format(hook=hook), encoding="utf-8")

    def command(self) -> list[str]:
        cluster = f"127.0.0.1:{self.cluster_port}"
        return [self.binary, f"--config.file={self.home / 'am.yml'}",
                f"--storage.path={self.home / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}",
                f"--cluster.listen-address={cluster}", f"--cluster.advertise-address={cluster}",
                "--cluster.peer-timeout=2s", "--cluster.gossip-interval=100ms",
                "--cluster.pushpull-interval=1s", "--log.level=warn",
                *(f"--cluster.peer=127.0.0.1:{p.cluster_port}" for p in self.peers)]

    def new_ports(self) -> None:
        super().new_ports()
        self.cluster_port = free_port()  # peers started later read it from here

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
