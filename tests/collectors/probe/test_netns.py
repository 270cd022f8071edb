"""ICMP and TCP probes inside a network namespace the test creates (loopback only inside it):
deterministic loss from nftables, a silent address, and each kind of ICMP socket.

nft drops every second echo request to 127.0.0.2 (exactly 50 % loss over an even count) and
everything to 127.0.0.3 (an unreachable target: every attempt times out). The probes run in a
subprocess under ``ip netns exec``; ``net.ipv4.ping_group_range`` (per namespace) picks the
unprivileged or the raw socket, and ``setpriv`` drops CAP_NET_RAW to show the error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[3]
HELPER = Path(__file__).with_name("netns_probe.py")
RULES = """\
table inet rwprobe {
    chain input {
        type filter hook input priority 0; policy accept;
        ip daddr 127.0.0.2 icmp type echo-request numgen inc mod 2 1 drop
        ip daddr 127.0.0.3 drop
    }
}
"""


def _run(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=check)


@pytest.fixture(scope="module")
def netns() -> Iterator[str]:
    if os.geteuid() != 0 or not (shutil.which("ip") and shutil.which("nft")):
        pytest.skip("needs root, ip (iproute2) and nft (nftables; scripts/apt.d/probe.txt)")
    name = f"rwprobe-{os.getpid()}"
    made = _run("ip", "netns", "add", name, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot create a network namespace here: {made.stderr.strip()}")
    try:
        _run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        subprocess.run(["ip", "netns", "exec", name, "nft", "-f", "-"], input=RULES, text=True,
                       capture_output=True, timeout=30, check=True)
        yield name
    finally:
        _run("ip", "netns", "del", name, check=False)


def _probe(ns: str, links: list[dict[str, Any]], *, ping_group: str,
           drop_raw: bool = False) -> dict[str, Any]:
    _run("ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"net.ipv4.ping_group_range={ping_group}")
    prefix = ["setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw", "--"] if drop_raw else []
    done = subprocess.run(
        ["ip", "netns", "exec", ns, *prefix, sys.executable, str(HELPER), json.dumps(links)],
        capture_output=True, text=True, timeout=30, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _icmp(name: str, target: str, count: int = 4, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "icmp", "target": target, "count": count, "spacing": 0,
            "timeout": "300ms", **extra}


def test_unprivileged_icmp_loss_and_unreachable(netns: str) -> None:
    got = _probe(netns, [
        _icmp("ok", "127.0.0.1"), _icmp("ok6", "::1"), _icmp("half", "127.0.0.2"),
        _icmp("gone", "127.0.0.3", count=2),
        {"name": "tcp-gone", "kind": "tcp", "target": "127.0.0.3:80", "count": 2, "spacing": 0,
         "timeout": "300ms"},
    ], ping_group="0 2147483647")
    assert got["ok"]["privileged"] is False and got["ok"]["readings"]["link_loss_percent"] == 0.0
    assert got["ok"]["readings"]["link_rtt_ms"] > 0
    assert got["ok6"]["readings"]["link_loss_percent"] == 0.0
    assert got["half"]["readings"]["link_loss_percent"] == 50.0
    assert got["half"]["readings"]["link_rtt_ms"] > 0
    assert got["gone"]["readings"] == {"link_loss_percent": 100.0}
    assert got["tcp-gone"]["readings"] == {"link_loss_percent": 100.0}


def test_raw_socket_when_unprivileged_icmp_is_off(netns: str) -> None:
    got = _probe(netns, [_icmp("ok", "127.0.0.1"), _icmp("half", "127.0.0.2")], ping_group="1 0")
    assert got["ok"]["privileged"] is True and got["ok"]["readings"]["link_loss_percent"] == 0.0
    assert got["half"]["readings"]["link_loss_percent"] == 50.0


def test_clear_error_when_no_icmp_socket_is_allowed(netns: str) -> None:
    if not shutil.which("setpriv"):
        pytest.skip("needs setpriv (util-linux) to drop CAP_NET_RAW")
    got = _probe(netns, [_icmp("ok", "127.0.0.1")], ping_group="1 0", drop_raw=True)
    error = got["ok"]["error"]
    assert "cannot open an ICMP socket" in error
    assert "net.ipv4.ping_group_range" in error and "CAP_NET_RAW" in error
