"""Modbus-TCP polling: roomwatch's Modbus collector against pymodbus's own synchronous client.

pymodbus's own server runs in a child process on loopback (so its CPU is not counted) as
``GATEWAYS`` gateways (ports), each answering ``N_DEVICES / GATEWAYS`` unit ids of ``REGISTERS``
holding registers — the 动环 layout of several RS-485 devices behind one serial gateway. Every
client reads every device ``ROUNDS`` times over one kept-open connection per gateway:

- roomwatch in this process, the daemon's code path: a ``[[devices]]`` config with a
  ``modbus`` table of ten registers → ``monitor.wiring.build_jobs`` → ``collect_once``
  (collector → pymodbus asyncio client → decoded readings with device labels and ``up``),
  ``CONCURRENCY`` devices in flight;
- the peer: ``pymodbus.client.ModbusTcpClient`` (synchronous), one read_holding_registers of
  the same ten registers per device poll, raw registers and nothing more;
- pymodbus's asyncio client alone (the transport roomwatch uses), gateways in parallel and
  units one after another, to show what roomwatch's own code adds.

The figure that counts is each client's CPU time (``time.process_time`` around the polling
phase): registers per CPU-second, CPU per device poll, and from that the number of
ten-register devices one core polls every 10 s (goal ≥ 1,000). Ratios are roomwatch / peer
(below 1 = roomwatch cheaper per register); each client's best of ``TRIES`` interleaved runs.
Run: ``python bench/run.py modbus``; about 30 s.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
N_DEVICES, GATEWAYS, REGISTERS, ROUNDS, CONCURRENCY = 200, 20, 10, 5, 50
CYCLE_S, GOAL_DEVICES, TRIES = 10.0, 1000, 3

SERVER = """
import contextlib, sys
sys.path.insert(0, {root!r})
from tests.collectors.modbus.server import modbus_server
values = {{"holding": {{a: 200 + a for a in range({registers})}}}}
with contextlib.ExitStack() as stack:
    for port in {ports!r}:  # unit 0: every unit id gets these registers
        stack.enter_context(modbus_server(values, unit=0, port=port))
    print("ready", flush=True)
    sys.stdin.read()
"""


def _gateway(n: int) -> tuple[int, int]:
    """Device n's gateway (index) and unit id behind it."""
    per = N_DEVICES // GATEWAYS
    return n // per, n % per + 1


def _start_server(ports: list[int]) -> subprocess.Popen[str]:
    code = SERVER.format(root=str(ROOT), registers=REGISTERS, ports=ports)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError("modbus bench server did not start")
    return proc


def _config(tmp: Path, ports: list[int]) -> Path:
    regs = ", ".join(f'{{ metric = "temperature_celsius", address = {a}, type = "int16", scale = 0.1, '
                     f'labels = {{ sensor = "s{a}" }} }}' for a in range(REGISTERS))
    devices = "".join(f'[[devices]]\nname = "dev{n:04d}"\nkind = "sensor"\naddress = "127.0.0.1"\n'
                      f'port = {ports[_gateway(n)[0]]}\nmodbus = {{ unit_id = {_gateway(n)[1]}, '
                      f'timeout = "5s", retries = 0, registers = [{regs}] }}\n' for n in range(N_DEVICES))
    path = tmp / "roomwatch.toml"
    path.write_text(f'state_dir = "{tmp}/state"\n{devices}', encoding="utf-8")
    return path


def _run_roomwatch(tmp: Path, ports: list[int]) -> dict[str, Any]:
    from monitor import config as config_mod
    from monitor.scheduler import collect_once
    from monitor.wiring import build_jobs

    settings, _ = config_mod.load(_config(tmp, ports))
    jobs = build_jobs(settings)

    async def poll() -> dict[str, Any]:
        sem = asyncio.Semaphore(CONCURRENCY)
        readings = failed = 0

        async def one(job: Any, now: float) -> None:
            nonlocal readings, failed
            async with sem:
                out = await collect_once(job, now)
            up = [r.value for r in out if r.metric == "up"]
            failed += up != [1.0]
            readings += sum(1 for r in out if r.metric == "temperature_celsius")

        await asyncio.gather(*(one(job, 0.0) for job in jobs))  # connect outside the timing
        readings = failed = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for r in range(ROUNDS):
            await asyncio.gather(*(one(job, float(r)) for job in jobs))
        result = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                  "registers": readings, "polls": ROUNDS * len(jobs), "failed": failed}
        for job in jobs:
            await job.collector.close()
        return result

    return asyncio.run(poll())


def _run_peer(ports: list[int]) -> dict[str, Any]:
    from pymodbus.client import ModbusTcpClient

    clients = [ModbusTcpClient("127.0.0.1", port=port, timeout=5, retries=0) for port in ports]
    for c in clients:
        c.connect()
    registers = failed = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(ROUNDS):
        for n in range(N_DEVICES):
            gateway, unit = _gateway(n)
            answer = clients[gateway].read_holding_registers(0, count=REGISTERS, device_id=unit)
            if answer.isError() or len(answer.registers) != REGISTERS:
                failed += 1
            else:
                registers += len(answer.registers)
    result = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
              "registers": registers, "polls": ROUNDS * N_DEVICES, "failed": failed}
    for c in clients:
        c.close()
    return result


def _run_peer_async(ports: list[int]) -> dict[str, Any]:
    """pymodbus's asyncio client alone, same reads: what the transport costs before roomwatch
    decodes anything."""
    from pymodbus.client import AsyncModbusTcpClient

    async def poll() -> dict[str, Any]:
        clients = [AsyncModbusTcpClient("127.0.0.1", port=port, timeout=5, retries=0, reconnect_delay=0)
                   for port in ports]
        for c in clients:
            await c.connect()
        counts = {"registers": 0, "failed": 0}

        async def gateway(g: int) -> None:  # units behind one gateway one after another
            for n in range(N_DEVICES):
                if _gateway(n)[0] != g:
                    continue
                answer = await clients[g].read_holding_registers(0, count=REGISTERS, device_id=_gateway(n)[1])
                if answer.isError() or len(answer.registers) != REGISTERS:
                    counts["failed"] += 1
                else:
                    counts["registers"] += len(answer.registers)

        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(ROUNDS):
            await asyncio.gather(*(gateway(g) for g in range(GATEWAYS)))
        result = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                  "polls": ROUNDS * N_DEVICES, **counts}
        for c in clients:
            c.close()
        return result

    return asyncio.run(poll())


def _line(name: str, r: dict[str, Any]) -> str:
    per_poll = r["cpu"] / r["polls"]
    return (f"{name:<10} {r['polls']:>6} {r['failed']:>6} {r['registers']:>9} "
            f"{r['registers'] / r['cpu']:>12,.0f} {per_poll * 1000:>11.3f} {CYCLE_S / per_poll:>14,.0f}")


def main() -> None:
    """Poll the simulated devices with both clients; print the table and the ratios."""
    sys.path.insert(0, str(ROOT))
    from tests.procs import free_port, stop

    ports = [free_port() for _ in range(GATEWAYS)]
    server = _start_server(ports)
    try:
        # Best of TRIES for each client, interleaved: the box is shared, and the quietest run of
        # each is the nearest to what the code itself costs.
        runs: dict[str, list[dict[str, Any]]] = {"rw": [], "peer": [], "async": []}
        for _ in range(TRIES):
            with tempfile.TemporaryDirectory() as tmpdir:
                runs["rw"].append(_run_roomwatch(Path(tmpdir), ports))
            runs["peer"].append(_run_peer(ports))
            runs["async"].append(_run_peer_async(ports))
        rw, peer, peer_async = (min(runs[k], key=lambda r: r["cpu"]) for k in ("rw", "peer", "async"))
    finally:
        if server.stdin:
            server.stdin.close()
        stop(server)  # type: ignore[arg-type]
    print(f"{N_DEVICES} devices × {REGISTERS} holding registers behind {GATEWAYS} gateways (pymodbus "
          f"server, loopback, own process), {ROUNDS} rounds; roomwatch {CONCURRENCY} jobs in flight, "
          "peer sequential")
    print(f"{'client':<10} {'polls':>6} {'failed':>6} {'registers':>9} {'regs/CPU-s':>12} "
          f"{'CPU-ms/poll':>11} {'devices/10s/core':>14}")
    print(_line("roomwatch", rw))
    print(_line("pymodbus", peer) + "   (the peer: synchronous client)")
    print(_line("pm-async", peer_async) + "   (pymodbus asyncio client alone, roomwatch's transport)")
    rw_reg, peer_reg = rw["cpu"] / max(rw["registers"], 1), peer["cpu"] / max(peer["registers"], 1)
    print(f"ratio roomwatch/pymodbus sync: CPU per register {rw_reg / peer_reg:.2f}x, "
          f"wall {rw['wall'] / peer['wall']:.2f}x (roomwatch decodes, labels and adds up; the peer only "
          "reads)")
    async_reg = peer_async["cpu"] / max(peer_async["registers"], 1)
    print(f"ratio roomwatch/pymodbus asyncio client: CPU per register {rw_reg / async_reg:.2f}x "
          "(what roomwatch's own code adds over its transport)")
    devices = CYCLE_S / (rw["cpu"] / rw["polls"])
    print(f"roomwatch: ~{devices:,.0f} ten-register devices every {CYCLE_S:.0f} s on one core "
          f"(goal {GOAL_DEVICES:,}: {'met' if devices >= GOAL_DEVICES else 'NOT met'})")
