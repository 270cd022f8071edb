"""SNMP polling: roomwatch's SNMP collector against Debian's prometheus-snmp-exporter 0.21.

snmpsim serves ``N_DEVICES`` simulated 52-port Cisco switches on loopback (one generated
recording per community: system group, IF-MIB ifTable/ifXTable, CISCO-PROCESS/MEMORY-POOL/
ENVMON rows; see snmp_parts.py). Both clients poll the same set ``ROUNDS`` times with the same
concurrency, max-repetitions and columns:

- roomwatch in its own process, the daemon's code path: a TOML config with ``[[devices]]`` →
  ``monitor.wiring.build_jobs`` → ``monitor.scheduler.collect_once`` (collector → BER client
  → readings with device labels and ``up``);
- snmp_exporter with a hand-written module per community (0.21 keeps auth in the module;
  Debian's snmp.yml is an empty placeholder) walking, by numeric OID, the same columns
  roomwatch walks, with the ifName lookup label of the stock if_mib module; scraped over HTTP
  by this process as Prometheus would.

snmpsim is slow, so wall time says more about it than about the clients: the figure that
counts is each client's own CPU time (its process's utime+stime over the polling phase, from
/proc/PID/stat), per 100,000 varbinds and per device poll. Ratios are roomwatch / exporter
(below 1 = roomwatch cheaper).

The v3 case polls ``V3_DEVICES`` of the switches as an SNMPv3 authPriv user (SHA + AES-128,
context = community) with both clients: each message signed and encrypted, engine discovery
included (snmpsim's v3 engine costs it far more than v2c, so fewer devices).

The slow-agent case puts a proxy in front of snmpsim that answers ``SLOW_S_PER_VARBIND`` late
per varbind (an agent with a slow CPU: a 12-column GETBULK of 25 rows takes longer than the
``SLOW_TIMEOUT`` while a one-column walk does not) and polls ``SLOW_DEVICES`` switches with
both clients, same timeout and retries: what each gets in one cycle, and roomwatch's second
cycle, which starts from the request size it learned.
Run: ``python bench/run.py snmp``; about 3 minutes.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import snmp_parts as parts

N_DEVICES, V3_DEVICES = 60, 20
CYCLE_S, GOAL_DEVICES = 60.0, 5000
SLOW_DEVICES, SLOW_S_PER_VARBIND, SLOW_TIMEOUT, SLOW_RETRIES = 4, 0.005, 0.5, 1


@contextmanager
def _slow_agent(port: int) -> Iterator[int]:
    """The slow proxy (tests/collectors/snmp/slow_agent.py) in front of snmpsim, on its own
    event loop thread; yields the port to poll."""
    from tests.collectors.snmp.slow_agent import SlowAgent, per_varbind

    loop = asyncio.new_event_loop()
    ready, box = threading.Event(), {}

    async def serve() -> None:
        stop = asyncio.Event()
        async with SlowAgent(port, per_varbind(SLOW_S_PER_VARBIND), limit=200_000) as proxy:
            box.update(port=proxy.port, stop=stop)
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(serve(),), daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("slow proxy did not start")
    try:
        yield int(box["port"])  # type: ignore[call-overload]
    finally:
        loop.call_soon_threadsafe(box["stop"].set)  # type: ignore[attr-defined]
        thread.join(10)
        loop.close()


def _slow_case(tmp: Path, communities: list[str], port: int, gets: list[str], walks: list[str]) -> None:
    """Both clients against the slow agent: what each gets in one cycle (roomwatch: two)."""
    slow = communities[:SLOW_DEVICES]
    with _slow_agent(port) as proxy:
        rw = parts.run_roomwatch(tmp, slow, proxy, "slow", 2, SLOW_TIMEOUT, SLOW_RETRIES)
        ex = parts.run_exporter(tmp, slow, proxy, gets, walks, 1, SLOW_TIMEOUT, SLOW_RETRIES)
    print(f"\nslow agent: {SLOW_S_PER_VARBIND * 1000:g} ms per answered varbind, timeout {SLOW_TIMEOUT:g} s, "
          f"retries {SLOW_RETRIES}, GETBULK x{parts.MAX_REPETITIONS}, {len(slow)} switches")
    first, second = rw["rounds"]
    for name, r in (("roomwatch cycle 1", first), ("roomwatch cycle 2", second)):
        print(f"{name}: {r['up']:.0f}/{len(slow)} devices polled, {r['varbinds']:.0f} varbinds, "
              f"{r['wall']:.1f} s wall")
    ex_up = ex["polls"] - ex["failed"]
    print(f"exporter cycle 1: {ex_up:.0f}/{len(slow)} devices polled, {ex['varbinds']:.0f} varbinds, "
          f"{ex['wall']:.1f} s wall")
    if ex["varbinds"] and ex_up:
        print(f"ratio roomwatch/exporter in one cycle: varbinds {first['varbinds'] / ex['varbinds']:.2f}x, "
              f"wall {first['wall'] / ex['wall']:.2f}x (cycle 2: {second['wall'] / ex['wall']:.2f}x)")
    else:
        print("ratio roomwatch/exporter: the exporter polled no device in the cycle")


def _line(name: str, r: dict[str, float]) -> str:
    per100k = r["cpu"] / r["varbinds"] * 1e5
    return (f"{name:<10} {r['polls']:>6.0f} {r['failed']:>6.0f} {r['varbinds']:>9.0f} "
            f"{r['varbinds'] / r['wall']:>9.0f} "
            f"{r['varbinds'] / r['cpu']:>10.0f} {per100k:>9.2f} {r['cpu'] / r['polls'] * 1e3:>9.2f}")


def _ratios(label: str, rw: dict[str, float], ex: dict[str, float]) -> tuple[float, float]:
    """Print roomwatch/exporter CPU per varbind and per device poll; return the per-poll CPUs."""
    rw_vb, ex_vb = rw["cpu"] / rw["varbinds"], ex["cpu"] / ex["varbinds"]
    rw_poll, ex_poll = rw["cpu"] / rw["polls"], ex["cpu"] / ex["polls"]
    wall = rw["varbinds"] / rw["wall"] / (ex["varbinds"] / ex["wall"])
    print(f"ratio roomwatch/exporter {label}: CPU per varbind {rw_vb / ex_vb:.2f}x, CPU per device poll "
          f"{rw_poll / ex_poll:.2f}x, wall varbinds/s {wall:.2f}x (wall is snmpsim-bound)")
    return rw_poll, ex_poll


def main() -> None:
    """Poll the simulated switches with both clients (v2c, v3, slow agent); print tables and ratios."""
    snmpsim = Path(sys.executable).parent / "snmpsim-command-responder"
    if not Path(parts.EXPORTER).exists() or not snmpsim.exists():
        print("skipped: needs prometheus-snmp-exporter (scripts/apt.d/snmp.txt) and snmpsim (pip .[test])")
        return
    from tests.procs import stop

    gets, walks = parts.columns()
    communities = [f"sw{n:04d}" for n in range(N_DEVICES)]
    v3, v3_set = parts.V3(), communities[:V3_DEVICES]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        agent, port = parts.start_snmpsim(tmp, communities, v3)
        try:
            rw = parts.run_roomwatch(tmp, communities, port, "v2c")
            ex = parts.run_exporter(tmp, communities, port, gets, walks)
            rw3 = parts.run_roomwatch(tmp, v3_set, port, "v3", v3=v3)
            ex3 = parts.run_exporter(tmp, v3_set, port, gets, walks, v3=v3)
            slow_report = _capture(lambda: _slow_case(tmp, communities, port, gets, walks))
        finally:
            stop(agent)
    print(f"{N_DEVICES} simulated {parts.PORTS}-port switches (snmpsim), {parts.ROUNDS} rounds, "
          f"{parts.CONCURRENCY} in flight, GETBULK x{parts.MAX_REPETITIONS}; {len(gets)} scalars + "
          f"{len(walks)} columns each; v3: {V3_DEVICES} of them, authPriv {v3.auth}/{v3.priv}")
    print(f"{'client':<10} {'polls':>6} {'failed':>6} {'varbinds':>9} {'vb/s wall':>9} {'vb/CPU-s':>10} "
          f"{'CPU-s/100k':>9} {'CPU-ms/poll':>9}")
    for name, result in (("roomwatch", rw), ("exporter", ex), ("rw-v3", rw3), ("exp-v3", ex3)):
        print(_line(name, result))
    rw_poll, ex_poll = _ratios("v2c", rw, ex)
    _ratios("v3 authPriv", rw3, ex3)
    scale = parts.SWITCH_PORTS / parts.PORTS  # a 48-port switch: per-poll work scales with interface rows
    for name, per_poll in (("roomwatch", rw_poll), ("exporter", ex_poll)):
        devices = CYCLE_S / (per_poll * scale)
        print(f"{name}: ~{devices:,.0f} {parts.SWITCH_PORTS}-port switches per {CYCLE_S:.0f} s cycle on one "
              f"core (goal {GOAL_DEVICES:,}: {'met' if devices >= GOAL_DEVICES else 'NOT met'})")
    print(slow_report, end="")


def _capture(func: Any) -> str:
    """What ``func`` prints, to print after the main table."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        func()
    return out.getvalue()
