"""Server posture (issue #18): 100 server polls over a real sshd on loopback; goal ≤ 50 ms of
daemon CPU per server poll. Also the server side's CPU per poll (sshd and the script it runs).

Each poll is one SSH session running the batched script (every per-poll check). The peer is the
same script run on this host through ``/bin/sh`` (no SSH): the ratio is what SSH adds on the
daemon side. The slow run (package inventory) is measured once on its own.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

POLLS = 100
CONCURRENT = 4  # [ssh] max_concurrent default
GOAL_MS = 50.0
NOW = 1_796_000_000.0


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its reaped children (sshd reaps each session's processes)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12, 13, 14)) / ticks


def _settled_cpu(pid: int) -> float:
    """``_tree_cpu`` once sshd has reaped the sessions just closed (bounded wait)."""
    last, end = _tree_cpu(pid), time.monotonic() + 5
    while time.monotonic() < end:
        time.sleep(0.2)
        now = _tree_cpu(pid)
        if now == last:
            return now
        last = now
    return last


async def _polls(collectors: list, cap: int) -> None:
    gate = asyncio.Semaphore(cap)

    async def one(i: int, col: object) -> None:
        async with gate:
            await col.collect(NOW + i)  # type: ignore[attr-defined]

    await asyncio.gather(*(one(i, c) for i, c in enumerate(collectors)))


def main() -> None:
    from collectors.posture.collector import PostureCollector
    from collectors.posture.options import CHECKS, PostureOptions
    from tests.collectors.posture.conftest import trusted
    from tests.collectors.ssh.conftest import running_sshd

    per_poll = PostureOptions(checks=[c for c in CHECKS if c not in ("patches", "software")])
    with tempfile.TemporaryDirectory(prefix="rw-bench-posture-") as tmp, running_sshd() as sshd:
        state = Path(tmp)
        target = trusted(sshd, state / "known_hosts")
        sshd_pid = int((sshd.public_dir / "sshd.pid").read_text())
        remote = [PostureCollector(f"srv-{i:03d}", per_poll, state_dir=state, target=target)
                  for i in range(POLLS)]
        local = [PostureCollector(f"loc-{i:03d}", per_poll, state_dir=state) for i in range(POLLS)]

        cpu0, srv0, wall0 = time.process_time(), _settled_cpu(sshd_pid), time.perf_counter()
        asyncio.run(_polls(remote, CONCURRENT))
        cpu1, wall1 = time.process_time(), time.perf_counter()
        srv1 = _settled_cpu(sshd_pid)
        asyncio.run(_polls(local, CONCURRENT))
        cpu2, wall2 = time.process_time(), time.perf_counter()
        srv2 = _settled_cpu(sshd_pid)

        slow = PostureCollector("srv-slow", PostureOptions(checks=["software"]), state_dir=state,
                                target=target)
        cpu3 = time.process_time()
        packages = asyncio.run(slow.read_inventory()) or {}
        cpu4 = time.process_time()
        srv4 = _settled_cpu(sshd_pid)

    ssh_ms = (cpu1 - cpu0) / POLLS * 1000
    local_ms = (cpu2 - cpu1) / POLLS * 1000
    server_ms = (srv1 - srv0) / POLLS * 1000
    print(f"{POLLS} server polls over sshd on loopback, {CONCURRENT} at once, "
          f"checks: {', '.join(per_poll.checks)}")
    print(f"  daemon CPU per server poll  {ssh_ms:7.1f} ms   goal {GOAL_MS:.0f} ms   "
          f"ratio {ssh_ms / GOAL_MS:.2f}")
    print(f"  peer: same script via /bin/sh on this host  {local_ms:7.1f} ms   ssh/local ratio "
          f"{ssh_ms / max(local_ms, 1e-6):.2f}")
    print(f"  server CPU per poll (sshd + script)  {server_ms:7.1f} ms   server/daemon ratio "
          f"{server_ms / max(ssh_ms, 1e-6):.2f}")
    print(f"  wall: ssh {wall1 - wall0:.1f} s, local {wall2 - wall1:.1f} s for {POLLS} polls")
    print(f"  slow run (package inventory, {len(packages)} packages): daemon CPU "
          f"{(cpu4 - cpu3) * 1000:.1f} ms, server CPU {(srv4 - srv2) * 1000:.1f} ms")
