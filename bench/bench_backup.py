"""Backup checks: what checking a restic repository of 100 snapshots costs the checked host.

A repository in a temporary directory gets 100 daily snapshots (dated with ``--time``) of
~20 MB of random data with a small file changing each day. Measured on this host (where the
check runs; over SSH the same restic processes run on the device): wall time and CPU seconds
(user + system of the restic processes, plus roomwatch's own) of

- roomwatch's every-poll read (``restic snapshots --json --no-lock --no-cache``, plus the one
  size walk of a new newest snapshot),
- roomwatch's daily integrity check (``restic check``; and with ``read_data_subset = "5%"``),
- the peer: a full verification by hand, ``restic check --read-data``.

Ratios are roomwatch's / the peer's. ``python bench/run.py backup``.
"""

from __future__ import annotations

import asyncio
import os
import resource
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

N_SNAPSHOTS = 100
PASSWORD = "bench-repository-password"
NOW = 1_796_126_400.0  # 2026-12-01 12:00 UTC; snapshots one a day before it


def _cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    me = resource.getrusage(resource.RUSAGE_SELF)
    return kids.ru_utime + kids.ru_stime + me.ru_utime + me.ru_stime


def _measure(label: str, action) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    cpu, wall = _cpu(), time.perf_counter()
    action()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    print(f"   {label:<52} {wall:7.2f} s wall {cpu:7.2f} s CPU", flush=True)
    return wall, cpu


def _repository(root: Path) -> Path:
    env = {**os.environ, "RESTIC_PASSWORD": PASSWORD}
    data, repo = root / "data", root / "repo"
    data.mkdir()
    for i in range(20):
        (data / f"table-{i:02d}.bin").write_bytes(os.urandom(1024 * 1024))
    subprocess.run(["restic", "init", "-r", str(repo), "-q"], env=env, check=True, capture_output=True)
    start = time.perf_counter()
    for day in range(N_SNAPSHOTS):
        (data / "journal.log").write_text(f"day {day}\n" * 1000)
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(NOW - (N_SNAPSHOTS - day) * 86400 + 7200))
        subprocess.run(["restic", "-r", str(repo), "backup", str(data), "--no-cache", "-q", "--time", when],
                       env=env, check=True, capture_output=True)
    print(f"   made {N_SNAPSHOTS} snapshots in {time.perf_counter() - start:.0f} s", flush=True)
    return repo


def main() -> None:
    """Build the repository, then time the poll, the checks and the peer."""
    if shutil.which("restic") is None:
        print("   restic is not installed (scripts/apt.d/backup.txt); skipped")
        return
    from collectors.backup import Backup, build

    root = Path(tempfile.mkdtemp(prefix="rw-bench-backup-"))
    try:
        repo = _repository(root)
        os.environ["RW_BENCH_RESTIC_PW"] = PASSWORD
        job = Backup.model_validate({"name": "bench", "source": "restic", "repository": str(repo),
                                     "password": "env:RW_BENCH_RESTIC_PW", "check_interval": "1d"})
        collector = build(job, state_dir=root)
        first = _measure("roomwatch first poll (list + size + check)",
                         lambda: asyncio.run(collector.collect(NOW)))
        poll = _measure("roomwatch every-poll read (list)",
                        lambda: asyncio.run(collector.collect(NOW + 3600)))
        subset = job.model_copy(update={"read_data_subset": "5%"})
        checked = _measure("roomwatch daily check, read_data_subset 5%",
                           lambda: asyncio.run(build(subset, state_dir=root).collect(NOW)))
        env = {**os.environ, "RESTIC_PASSWORD": PASSWORD}
        peer = _measure("peer: restic check --read-data (by hand)", lambda: subprocess.run(
            ["restic", "-r", str(repo), "check", "--read-data", "--no-cache"], env=env, check=True,
            capture_output=True))
        for label, (wall, cpu) in (("every-poll read", poll), ("first poll with check", first),
                                   ("check with 5% of the data", checked)):
            print(f"   ratio {label} / peer: {wall / peer[0]:.3f} wall, {cpu / max(peer[1], 1e-9):.3f} CPU")
    finally:
        shutil.rmtree(root, ignore_errors=True)
