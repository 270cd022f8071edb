"""The demo's unknown MAC (root only): the demo moves into a network namespace of its own, and a
simulated host in a second one, joined to it by a veth pair, sends ARP from a MAC the demo's
registry does not hold. Every frame stays on that veth, between the two namespaces the demo made."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from monitor.demo.agents import stop

log = logging.getLogger(__name__)

IFACE = "rwdemo0"  # the daemon's end of the veth, in the demo's own namespace
ROGUE_MAC, ROGUE_IP = "00:00:5e:00:53:99", "192.0.2.77"  # RFC 7042 / RFC 5737 documentation values
SUBNET = "192.0.2.0/24"
# The registry (资产台账) of the demo's LAN: the rogue host is not in it.
REGISTERED = (("192.0.2.1", "00:00:5e:00:53:01", "gw-1", "网络组"),
              ("192.0.2.10", "00:00:5e:00:53:10", "nms-1", "信息中心"))
_CLONE_NEWNET = 0x40000000

# Runs in the simulated host's namespace: waits for its end of the veth (eth0), brings it up,
# then sends three ARP requests per line read on stdin (the scenario's cue), and ends with stdin.
HOST = r"""
import os, socket, subprocess, sys, time
mac, ip = bytes.fromhex(sys.argv[1].replace(":", "")), socket.inet_aton(sys.argv[2])
gateway = socket.inet_aton(sys.argv[3])
frame = (b"\xff" * 6 + mac + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x01"
         + mac + ip + b"\x00" * 6 + gateway)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
ipv6 = os.path.isdir("/proc/sys/net/ipv6")  # a kernel without IPv6 sends no RS or DAD anyway
deadline = time.monotonic() + 20
while True:
    # eth0 can be found by name a moment before its IPv6 settings exist: retry both together.
    try:
        s.bind(("eth0", 0))
        if ipv6:
            with open("/proc/sys/net/ipv6/conf/eth0/disable_ipv6", "w") as f:
                f.write("1")  # no router solicitations or DAD: only the frames below cross the veth
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.05)
subprocess.run(["ip", "link", "set", "eth0", "up"], check=True, timeout=10)
print("ready", flush=True)
for _ in sys.stdin:
    for _ in range(3):
        s.send(frame)
        time.sleep(0.2)
    print("sent", flush=True)
"""


def why_not() -> str | None:
    """Why the ARP step cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return ("it needs root (a network namespace of its own, a veth pair and a raw socket); "
                "run `sudo roomwatch demo` to see it")
    for tool in ("ip", "unshare"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (iproute2 / util-linux)"
    return None


def isolate() -> None:
    """Move this process, and every process it starts from now on, into a new network namespace
    with only its loopback up: the demo's devices, sink and roomwatch live there."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare(CLONE_NEWNET): {os.strerror(err)}")
    _ip("link", "set", "lo", "up")


def registry(path: Path) -> Path:
    """Write the demo's IP–MAC registry (CSV, as `roomwatch bindings import` keeps it)."""
    rows = ["ip,mac,hostname,owner,department,vlan,switch,port,note"]
    rows += [f"{ip},{mac},{name},,{dept},,,," for ip, mac, name, dept in REGISTERED]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@contextlib.contextmanager
def rogue_host() -> Iterator[Callable[[], None]]:
    """The simulated host in its own namespace on a veth into the demo's; the callable makes it
    send its ARP requests (and returns once they are sent). Both ends go when the block ends."""
    proc = subprocess.Popen(["unshare", "--net", "--", sys.executable, "-c", HOST, ROGUE_MAC, ROGUE_IP,
                             REGISTERED[0][0]], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        _wait_own_namespace(proc, time.monotonic() + 20)
        _ip("link", "add", IFACE, "type", "veth", "peer", "name", "eth0", "netns", str(proc.pid))
        with contextlib.suppress(OSError):
            Path(f"/proc/sys/net/ipv6/conf/{IFACE}/disable_ipv6").write_text("1")
        _ip("link", "set", IFACE, "up")
        if proc.stdout.readline().strip() != "ready":
            proc.stdin.close()
            stop(proc, timeout=5)
            why = " / ".join(proc.stderr.read().strip().splitlines()[-3:])
            raise RuntimeError(f"the simulated host did not start (exit {proc.returncode}): {why}")
        stdin, stdout = proc.stdin, proc.stdout

        def send() -> None:
            stdin.write("arp\n")
            stdin.flush()
            stdout.readline()  # "sent"

        yield send
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
        stop(proc, timeout=5)
        proc.stdout.close()
        proc.stderr.close()
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            _ip("link", "del", IFACE)  # gone with the host's namespace already; this is a backstop


def _wait_own_namespace(proc: subprocess.Popen[str], deadline: float) -> None:
    """Until ``unshare`` has moved the child into its new namespace (the veth's peer goes there)."""
    mine = os.readlink("/proc/self/ns/net")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"unshare --net exited with {proc.returncode}")
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{proc.pid}/ns/net") != mine:
                return
        time.sleep(0.02)
    raise RuntimeError("the simulated host's network namespace did not appear in time")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)
