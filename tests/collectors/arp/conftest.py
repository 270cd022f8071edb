"""A LAN in network namespaces: a bridge namespace (where the sniffer listens on br0) and the
hosts gateway, victim and attacker, each on a veth into the bridge. Real frames, sent by scapy
inside a host namespace; nothing leaves the namespaces. Always torn down, names unique per run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.procs import stop

ROOT = Path(__file__).parents[3]
HOSTS = ("gw", "vic", "att")
HW = {"gw": "02:00:00:00:00:01", "vic": "02:00:00:00:00:10", "att": "02:00:00:00:00:66"}

SENDER = r"""
import json, sys, time
from scapy.config import conf
from scapy.layers.l2 import ARP, Dot1Q, Ether
from scapy.arch.linux import L2Socket
conf.verb = 0
sock = L2Socket(iface="eth0")
frames = json.loads(sys.argv[1])
for f in frames:
    eth = Ether(src=f["hwsrc"], dst=f.get("dst", "ff:ff:ff:ff:ff:ff"))
    arp = ARP(op=f.get("op", 1), hwsrc=f["hwsrc"], psrc=f["psrc"], pdst=f.get("pdst", "192.0.2.1"),
              hwdst=f.get("hwdst", "00:00:00:00:00:00"))
    pkt = eth / Dot1Q(vlan=f["vlan"]) / arp if f.get("vlan") else eth / arp
    raw = bytes(pkt)
    sent = time.time()
    for _ in range(f.get("repeat", 1)):
        sock.send(raw)
    print(json.dumps({"sent": sent, **f}), flush=True)
    time.sleep(f.get("gap", 0.02))
sock.close()
"""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@dataclass
class Lan:
    """Names of the namespaces of one test's LAN, and ways to act inside them."""

    prefix: str
    ns: dict[str, str] = field(default_factory=dict)

    def exec(self, host: str, *argv: str) -> list[str]:
        """The command line that runs ``argv`` inside a namespace."""
        return ["ip", "netns", "exec", self.ns[host], *argv]

    def send(self, host: str, frames: list[dict[str, object]]) -> list[dict[str, object]]:
        """Send ARP frames from ``host`` (scapy in its namespace); each result carries ``sent``."""
        done = subprocess.run(self.exec(host, sys.executable, "-c", SENDER, json.dumps(frames)),
                              capture_output=True, text=True, timeout=60, check=True)
        return [json.loads(line) for line in done.stdout.splitlines()]


@pytest.fixture
def lan() -> Iterator[Lan]:
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("network namespaces need root and iproute2 (scripts/apt.d/arp.txt)")
    net = Lan(prefix=f"rw{uuid.uuid4().hex[:6]}")
    try:
        for name in ("sw", *HOSTS):
            net.ns[name] = f"{net.prefix}-{name}"
            _ip("netns", "add", net.ns[name])
        sw = net.ns["sw"]
        _ip("-n", sw, "link", "add", "br0", "type", "bridge")
        for host in HOSTS:
            _ip("link", "add", "eth0", "netns", net.ns[host], "address", HW[host], "type", "veth",
                "peer", "name", f"p-{host}", "netns", sw)
            _ip("-n", sw, "link", "set", f"p-{host}", "master", "br0", "up")
            _ip("-n", net.ns[host], "link", "set", "eth0", "up")
        _ip("-n", sw, "link", "set", "br0", "promisc", "on", "up")
        yield net
    finally:
        for name in net.ns.values():
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


@dataclass
class Sniffer:
    """The harness process: an ArpListener on br0 printing each reading as a JSON line."""

    proc: subprocess.Popen[bytes]
    readings: list[dict[str, object]] = field(default_factory=list)
    _buf: bytes = b""

    def wait_for(self, pred: object, timeout: float = 5.0) -> list[dict[str, object]]:
        """Read lines until ``pred(readings)`` holds or the deadline passes; returns readings."""
        import select

        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.time() + timeout
        while not pred(self.readings) and time.time() < deadline:  # type: ignore[operator]
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            self._buf += chunk
            *lines, self._buf = self._buf.split(b"\n")
            self.readings += [json.loads(line) for line in lines if line.strip()]
        return self.readings


@pytest.fixture
def sniffer(lan: Lan, tmp_path: Path) -> Iterator[Sniffer]:
    proc = subprocess.Popen(
        lan.exec("sw", sys.executable, str(Path(__file__).parent / "harness.py"), "br0"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    sniff = Sniffer(proc)
    try:
        sniff.wait_for(lambda rs: any(r["metric"] == "arp_capture_up" for r in rs), timeout=15)
        assert any(r["metric"] == "arp_capture_up" and r["value"] == 1 for r in sniff.readings), \
            proc.stderr.read() if proc.poll() is not None and proc.stderr else sniff.readings
        sniff.readings.clear()
        yield sniff
    finally:
        stop(proc)
