"""SNMP polling: roomwatch's SNMP collector against Debian's prometheus-snmp-exporter 0.21.

snmpsim serves ``N_DEVICES`` simulated 52-port Cisco switches on loopback (one generated
recording per community: system group, IF-MIB ifTable/ifXTable, CISCO-PROCESS/MEMORY-POOL/
ENVMON rows). Both clients poll the same set ``ROUNDS`` times with the same concurrency,
max-repetitions and columns:

- roomwatch in its own process, the daemon's code path: a TOML config with ``[[devices]]`` →
  ``monitor.wiring.build_jobs`` → ``monitor.scheduler.collect_once`` (collector → ezsnmp client
  → readings with device labels and ``up``);
- snmp_exporter with a hand-written module per community (0.21 keeps auth in the module;
  Debian's snmp.yml is an empty placeholder) walking, by numeric OID, the same columns
  roomwatch walks, with the ifName lookup label of the stock if_mib module; scraped over HTTP
  by this process as Prometheus would.

snmpsim is slow, so wall time says more about it than about the clients: the figure that
counts is each client's own CPU time (its process's utime+stime over the polling phase, from
/proc/PID/stat), per 100,000 varbinds and per device poll. Ratios are roomwatch / exporter
(below 1 = roomwatch cheaper). roomwatch is also run through ezsnmp (net-snmp), the path v3
devices take, which was the only path before the BER fast path: the ratio shows what it saves.

The slow-agent case puts a proxy in front of snmpsim that answers ``SLOW_S_PER_VARBIND`` late
per varbind (an agent with a slow CPU: a 12-column GETBULK of 25 rows takes longer than the
``SLOW_TIMEOUT`` while a one-column walk does not) and polls ``SLOW_DEVICES`` switches with
both clients, same timeout and retries: what each gets in one cycle, and roomwatch's second
cycle, which starts from the request size it learned.
Run: ``python bench/run.py snmp``; about 2 minutes.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
N_DEVICES, PORTS, ROUNDS, CONCURRENCY = 60, 52, 2, 16
MAX_REPETITIONS = 25
CYCLE_S, SWITCH_PORTS, GOAL_DEVICES = 60.0, 48, 5000
EXPORTER = "/usr/bin/prometheus-snmp-exporter"
SLOW_DEVICES, SLOW_S_PER_VARBIND, SLOW_TIMEOUT, SLOW_RETRIES = 4, 0.005, 0.5, 1

SYSTEM = {"1.3.6.1.2.1.1.1.0": (4, "Cisco IOS Software, C3560 Software (C3560-IPSERVICESK9-M), 15.0(2)SE"),
          "1.3.6.1.2.1.1.2.0": (6, "1.3.6.1.4.1.9.1.1024"), "1.3.6.1.2.1.1.3.0": (67, "123456789"),
          "1.3.6.1.2.1.1.5.0": (4, "sw")}


def _recording(n: int) -> str:
    """A switch with ``PORTS`` interfaces and Cisco health tables, as snmprec lines."""
    rows: dict[str, tuple[int, object]] = dict(SYSTEM)
    rows["1.3.6.1.2.1.1.5.0"] = (4, f"sw{n:04d}")
    for i in range(1, PORTS + 1):
        name = f"GigabitEthernet0/{i}" if i <= SWITCH_PORTS else f"TenGigabitEthernet0/{i - SWITCH_PORTS}"
        ten = i > SWITCH_PORTS
        up = 1 if i % 3 else 2
        for col, val in (("2.2.1.2", (4, name)), ("2.2.1.5", (66, 4294967295 if ten else 1000000000)),
                         ("2.2.1.7", (2, 1)), ("2.2.1.8", (2, up)), ("2.2.1.10", (65, 1000 * i + n)),
                         ("2.2.1.14", (65, i % 5)), ("2.2.1.16", (65, 2000 * i + n)), ("2.2.1.20", (65, 0)),
                         ("31.1.1.1.1", (4, name.replace("igabitEthernet", "i"))),
                         ("31.1.1.1.6", (70, 10**9 * i + n)), ("31.1.1.1.10", (70, 2 * 10**9 * i + n)),
                         ("31.1.1.1.15", (66, 10000 if ten else 1000))):
            rows[f"1.3.6.1.2.1.{col}.{i}"] = val
    cisco = "1.3.6.1.4.1.9.9."
    rows[cisco + "109.1.1.1.1.8.1"] = (66, 7)
    for idx, pool, used, free in ((1, "Processor", 40_000_000, 60_000_000), (2, "I/O", 5_000_000, 9_000_000)):
        rows[f"{cisco}48.1.1.1.2.{idx}"] = (4, pool)
        rows[f"{cisco}48.1.1.1.5.{idx}"] = (66, used)
        rows[f"{cisco}48.1.1.1.6.{idx}"] = (66, free)
    rows[cisco + "13.1.3.1.2.1006"] = (4, "SW#1, Sensor#1, Status is GREEN")
    rows[cisco + "13.1.3.1.3.1006"] = (66, 38)
    for idx in (1, 2):
        rows[f"{cisco}13.1.4.1.2.{1000 + idx}"] = (4, f"Switch#1, Fan#{idx}")
        rows[f"{cisco}13.1.4.1.3.{1000 + idx}"] = (2, 1)
    rows[cisco + "13.1.5.1.2.1003"] = (4, "Sw1, PSA Normal")
    rows[cisco + "13.1.5.1.3.1003"] = (2, 1)
    ordered = sorted(rows, key=lambda oid: tuple(int(p) for p in oid.split(".")))
    return "".join(f"{oid}|{rows[oid][0]}|{rows[oid][1]}\n" for oid in ordered)


def _columns() -> tuple[list[str], list[str]]:
    """The scalars roomwatch GETs and the columns it walks on such a device."""
    from collectors.snmp import interfaces
    from collectors.snmp.collector import SYSTEM as SYSTEM_OIDS
    from collectors.snmp.profiles import load_profiles

    profile = load_profiles()["cisco"]
    walks = list(dict.fromkeys([*interfaces.COLUMNS, *profile.columns()]))
    return list(SYSTEM_OIDS) + profile.scalars(), walks


def _exporter_yaml(communities: list[str], gets: list[str], walks: list[str], timeout: float = 10.0,
                   retries: int = 1) -> str:
    """One module per community (0.21: auth lives in the module), metrics by numeric OID."""
    from collectors.snmp import interfaces

    if_cols = set(interfaces.COLUMNS)
    metric_lines = []
    for oid in gets:
        kind = "gauge" if oid == "1.3.6.1.2.1.1.3.0" else "DisplayString"
        metric_lines += [f"  - name: s{oid.replace('.', '_')}", f"    oid: {oid}", f"    type: {kind}"]
    for oid in walks:
        kind = "DisplayString" if oid in (interfaces.IF_DESCR, interfaces.IF_NAME) else "gauge"
        metric_lines += [f"  - name: c{oid.replace('.', '_')}", f"    oid: {oid}", f"    type: {kind}",
                         "    indexes:", "    - labelname: index", "      type: gauge"]
        if oid in if_cols:  # the stock if_mib module labels every interface metric by ifName
            metric_lines += ["    lookups:", "    - labels: [index]", "      labelname: ifName",
                             f"      oid: {interfaces.IF_NAME}", "      type: DisplayString"]
    body = "\n".join("  " + line for line in metric_lines)
    out: list[str] = []  # 0.21's snmp.yml is a map of modules at the top (no "modules:" key)
    for community in communities:
        out += [f"{community}:", "  walk:"] + [f"  - {oid}" for oid in walks]
        out += ["  get:"] + [f"  - {oid}" for oid in gets]
        out += ["  version: 2", f"  max_repetitions: {MAX_REPETITIONS}", f"  retries: {retries}",
                f"  timeout: {int(timeout * 1000)}ms", "  auth:", f"    community: {community}", "  metrics:",
                body]
    return "\n".join(out) + "\n"


def _roomwatch_toml(communities: list[str], port: int, state: Path, timeout: float = 10.0,
                    retries: int = 1) -> str:
    out = [f'state_dir = "{state}"\n[snmp]\nmax_concurrent = {CONCURRENCY}\n']
    for c in communities:
        out.append(f'[[devices]]\nname = "{c}"\nkind = "switch"\naddress = "127.0.0.1"\nport = {port}\n'
                   # long enough that a loaded snmpsim is measured, not cut off by the deadline
                   f'timeout = "300s"\ninterval = "300s"\n'
                   f'snmp = {{ community = "{c}", timeout = "{int(timeout * 1000)}ms", retries = {retries}, '
                   f'max_repetitions = {MAX_REPETITIONS} }}\n')
    return "\n".join(out)


def _cpu(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait(check: object, deadline: float, proc: subprocess.Popen[bytes]) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")  # type: ignore[index]
        try:
            check()  # type: ignore[operator]
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{proc.args[0]} did not come up")  # type: ignore[index]


def _start_snmpsim(tmp: Path, communities: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    from tests.procs import free_port

    data = tmp / "data"
    data.mkdir()
    for n, c in enumerate(communities):
        (data / f"{c}.snmprec").write_text(_recording(n))
    port = free_port(socket.SOCK_DGRAM)
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "snmpsim-command-responder"), f"--data-dir={data}",
         f"--cache-dir={tmp / 'cache'}", "--logging-method=null", f"--agent-udpv4-endpoint=127.0.0.1:{port}"],
        env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)

    def answers() -> None:
        from ezsnmp import Session
        Session(hostname="127.0.0.1", port_number=str(port), community=communities[-1], version="2c",
                timeout="1", retries="0").get(["1.3.6.1.2.1.1.3.0"])

    _wait(answers, time.monotonic() + 120, proc)
    return proc, port


def _run_roomwatch(tmp: Path, communities: list[str], port: int, path: str, rounds: int = ROUNDS,
                   timeout: float = 10.0, retries: int = 1) -> dict[str, Any]:
    conf = tmp / f"roomwatch-{path}-{port}.toml"
    conf.write_text(_roomwatch_toml(communities, port, tmp / f"state-{path}-{port}", timeout, retries))
    done = subprocess.run([sys.executable, __file__, "--roomwatch", str(conf), str(rounds), path], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode:
        raise RuntimeError(f"roomwatch side failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _run_exporter(tmp: Path, communities: list[str], port: int, gets: list[str], walks: list[str],
                  rounds: int = ROUNDS, timeout: float = 10.0, retries: int = 1) -> dict[str, float]:
    from tests.procs import free_port, stop

    conf = tmp / f"snmp-{port}.yml"
    conf.write_text(_exporter_yaml(communities, gets, walks, timeout, retries))
    web = free_port(socket.SOCK_STREAM)
    proc = subprocess.Popen([EXPORTER, f"--config.file={conf}", f"--web.listen-address=127.0.0.1:{web}",
                             "--log.level=error"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{web}"

    def scrape(community: str) -> tuple[float, bool]:
        url = f"{base}/snmp?target=127.0.0.1:{port}&module={community}"
        try:
            with urllib.request.urlopen(url, timeout=120) as resp:
                text = resp.read().decode()
        except urllib.error.HTTPError:  # the exporter answers 500 when a walk fails
            return 0.0, False
        pdus = [float(line.split()[-1]) for line in text.splitlines()
                if line.startswith("snmp_scrape_pdus_returned")]
        return (pdus[0] if pdus else 0.0), "sysUpTime" in text or "s1_3_6_1_2_1_1_3_0" in text

    try:
        _wait(lambda: urllib.request.urlopen(base + "/", timeout=2).read(), time.monotonic() + 20, proc)
        cpu0, wall0 = _cpu(proc.pid), time.perf_counter()
        varbinds, failed = 0.0, 0
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            for _ in range(rounds):
                for pdus, ok in pool.map(scrape, communities):
                    varbinds += pdus
                    failed += 0 if ok else 1
        wall, cpu = time.perf_counter() - wall0, _cpu(proc.pid) - cpu0
    finally:
        stop(proc)
    return {"cpu": cpu, "wall": wall, "varbinds": varbinds, "polls": rounds * len(communities),
            "failed": failed}


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
        rw = _run_roomwatch(tmp, slow, proxy, "ber", 2, SLOW_TIMEOUT, SLOW_RETRIES)
        ex = _run_exporter(tmp, slow, proxy, gets, walks, 1, SLOW_TIMEOUT, SLOW_RETRIES)
    print(f"\nslow agent: {SLOW_S_PER_VARBIND * 1000:g} ms per answered varbind, timeout {SLOW_TIMEOUT:g} s, "
          f"retries {SLOW_RETRIES}, GETBULK x{MAX_REPETITIONS}, {len(slow)} switches")
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


def main() -> None:
    """Poll the simulated switches with both clients; print the table and the ratios."""
    snmpsim = Path(sys.executable).parent / "snmpsim-command-responder"
    if not Path(EXPORTER).exists() or not snmpsim.exists():
        print("skipped: needs prometheus-snmp-exporter (scripts/apt.d/snmp.txt) and snmpsim (pip .[test])")
        return
    sys.path.insert(0, str(ROOT))
    from tests.procs import stop

    gets, walks = _columns()
    communities = [f"sw{n:04d}" for n in range(N_DEVICES)]
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        agent, port = _start_snmpsim(tmp, communities)
        try:
            rw = _run_roomwatch(tmp, communities, port, "ber")
            rw_ez = _run_roomwatch(tmp, communities, port, "ezsnmp")
            ex = _run_exporter(tmp, communities, port, gets, walks)
            slow_report = _capture(lambda: _slow_case(tmp, communities, port, gets, walks))
        finally:
            stop(agent)
    print(f"{N_DEVICES} simulated {PORTS}-port switches (snmpsim), {ROUNDS} rounds, {CONCURRENCY} in flight, "
          f"GETBULK x{MAX_REPETITIONS}; {len(gets)} scalars + {len(walks)} columns each")
    print(f"{'client':<10} {'polls':>6} {'failed':>6} {'varbinds':>9} {'vb/s wall':>9} {'vb/CPU-s':>10} "
          f"{'CPU-s/100k':>9} {'CPU-ms/poll':>9}")
    print(_line("roomwatch", rw))
    print(_line("exporter", ex))
    print(_line("rw-ezsnmp", rw_ez) + "   (roomwatch through ezsnmp, its v3 path)")
    rw_vb, ex_vb = rw["cpu"] / rw["varbinds"], ex["cpu"] / ex["varbinds"]
    rw_poll, ex_poll = rw["cpu"] / rw["polls"], ex["cpu"] / ex["polls"]
    wall = rw["varbinds"] / rw["wall"] / (ex["varbinds"] / ex["wall"])
    print(f"ratio roomwatch/exporter: CPU per varbind {rw_vb / ex_vb:.2f}x, CPU per device poll "
          f"{rw_poll / ex_poll:.2f}x, wall varbinds/s {wall:.2f}x (wall is snmpsim-bound)")
    ez_poll = rw_ez["cpu"] / rw_ez["polls"]
    print(f"ratio roomwatch via ezsnmp/exporter: CPU per device poll {ez_poll / ex_poll:.2f}x; "
          f"BER path/ezsnmp path {rw_poll / ez_poll:.2f}x")
    scale = SWITCH_PORTS / PORTS  # a 48-port switch: per-poll work scales with interface rows
    for name, per_poll in (("roomwatch", rw_poll), ("exporter", ex_poll)):
        devices = CYCLE_S / (per_poll * scale)
        print(f"{name}: ~{devices:,.0f} {SWITCH_PORTS}-port switches per {CYCLE_S:.0f} s cycle on one core "
              f"(goal {GOAL_DEVICES:,}: {'met' if devices >= GOAL_DEVICES else 'NOT met'})")
    print(slow_report, end="")


def _capture(func: Any) -> str:
    """What ``func`` prints, to print after the main table."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        func()
    return out.getvalue()


def _roomwatch(conf: str, rounds: int, path: str) -> None:
    """Client side, in its own process: the daemon's jobs, polled ``rounds`` times; prints JSON.
    ``path`` ezsnmp sends v2c through the ezsnmp worker threads that v3 uses, for comparison."""
    from collectors.snmp.client import Client
    from monitor import config
    from monitor.scheduler import collect_once
    from monitor.wiring import build_jobs

    if path == "ezsnmp":
        async def through_ezsnmp(self: Client, what: str, method: str, oids: list[str], reps: int = 0,
                                 retries: int | None = None) -> list:
            tries = self.options.retries if retries is None else retries
            size = min(reps or self.options.max_repetitions, self._reps)
            return await self.shared.run(lambda: self._call_netsnmp(what, method, oids, size, tries))
        Client._call = through_ezsnmp  # type: ignore[method-assign]
    settings, _ = config.load(Path(conf))
    jobs = build_jobs(settings)

    per_round: list[dict[str, float]] = []

    def answered() -> int:
        return sum(job.collector.client.varbinds for job in jobs)  # type: ignore[attr-defined]

    async def run() -> tuple[int, int]:
        failed = readings = 0
        for _ in range(rounds):
            now, start, before = time.time(), time.perf_counter(), answered()
            up = 0
            for out in await asyncio.gather(*(collect_once(job, now) for job in jobs)):
                readings += len(out)
                failed += sum(1 for r in out if r.metric == "up" and r.value == 0)
                up += sum(1 for r in out if r.metric == "up" and r.value == 1)
            per_round.append({"up": up, "varbinds": answered() - before, "wall": time.perf_counter() - start})
        return failed, readings

    cpu0, wall0 = time.process_time(), time.perf_counter()
    failed, readings = asyncio.run(run())
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    varbinds = sum(job.collector.client.varbinds for job in jobs)  # type: ignore[attr-defined]
    print(json.dumps({"cpu": cpu, "wall": wall, "varbinds": varbinds, "polls": rounds * len(jobs),
                      "failed": failed, "readings": readings, "rounds": per_round}))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--roomwatch":
        _roomwatch(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main()
