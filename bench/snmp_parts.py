"""The parts of the SNMP bench (bench_snmp.py): simulated switches, both clients' configs, and
each client run in its own process with its CPU time measured."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PORTS, ROUNDS, CONCURRENCY, MAX_REPETITIONS = 52, 2, 16, 25
SWITCH_PORTS = 48
EXPORTER = "/usr/bin/prometheus-snmp-exporter"


@dataclass(frozen=True, kw_only=True)
class V3:
    """The v3 user both clients poll as (authPriv, as 等保 audits ask); context = community."""

    user: str = "bench"
    auth: str = "SHA"
    auth_key: str = "bench-auth-key-1"
    priv: str = "AES"
    priv_key: str = "bench-priv-key-1"


SYSTEM = {"1.3.6.1.2.1.1.1.0": (4, "Cisco IOS Software, C3560 Software (C3560-IPSERVICESK9-M), 15.0(2)SE"),
          "1.3.6.1.2.1.1.2.0": (6, "1.3.6.1.4.1.9.1.1024"), "1.3.6.1.2.1.1.3.0": (67, "123456789"),
          "1.3.6.1.2.1.1.5.0": (4, "sw")}


def recording(n: int) -> str:
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


def columns() -> tuple[list[str], list[str]]:
    """The scalars roomwatch GETs and the columns it walks on such a device."""
    from collectors.snmp import interfaces
    from collectors.snmp.collector import SYSTEM as SYSTEM_OIDS
    from collectors.snmp.profiles import load_profiles

    profile = load_profiles()["cisco"]
    walks = list(dict.fromkeys([*interfaces.COLUMNS, *profile.columns()]))
    return list(SYSTEM_OIDS) + profile.scalars(), walks


def exporter_yaml(communities: list[str], gets: list[str], walks: list[str], timeout: float = 10.0,
                  retries: int = 1, v3: V3 | None = None) -> str:
    """One module per community (0.21: auth lives in the module), metrics by numeric OID; with
    ``v3`` the module polls as that user with the community as its context."""
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
        out += [f"  version: {3 if v3 else 2}", f"  max_repetitions: {MAX_REPETITIONS}",
                f"  retries: {retries}", f"  timeout: {int(timeout * 1000)}ms", "  auth:"]
        if v3:
            out += [f"    username: {v3.user}", "    security_level: authPriv",
                    f"    password: {v3.auth_key}", f"    auth_protocol: {v3.auth}",
                    f"    priv_protocol: {v3.priv}",
                    f"    priv_password: {v3.priv_key}", f"    context_name: {community}"]
        else:
            out += [f"    community: {community}"]
        out += ["  metrics:", body]
    return "\n".join(out) + "\n"


def roomwatch_toml(communities: list[str], port: int, state: Path, timeout: float = 10.0,
                   retries: int = 1, v3: V3 | None = None) -> str:
    """The daemon's config for the same devices (v3: the same user, community as context)."""
    out = [f'state_dir = "{state}"\n[snmp]\nmax_concurrent = {CONCURRENCY}\n']
    for c in communities:
        auth = (f'version = "3", user = "{v3.user}", auth_protocol = "{v3.auth}", '
                f'auth_key = "{v3.auth_key}", priv_protocol = "{v3.priv}", priv_key = "{v3.priv_key}", '
                f'context = "{c}"'
                if v3 else f'community = "{c}"')
        out.append(f'[[devices]]\nname = "{c}"\nkind = "switch"\naddress = "127.0.0.1"\nport = {port}\n'
                   # long enough that a loaded snmpsim is measured, not cut off by the deadline
                   f'timeout = "300s"\ninterval = "300s"\n'
                   f'snmp = {{ {auth}, timeout = "{int(timeout * 1000)}ms", retries = {retries}, '
                   f'max_repetitions = {MAX_REPETITIONS} }}\n')
    return "\n".join(out)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_up(check: object, deadline: float, proc: subprocess.Popen[bytes]) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}")  # type: ignore[index]
        try:
            check()  # type: ignore[operator]
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{proc.args[0]} did not come up")  # type: ignore[index]


def start_snmpsim(tmp: Path, communities: list[str], v3: V3) -> tuple[subprocess.Popen[bytes], int]:
    """snmpsim serving one generated switch per community (and per v3 context), on loopback."""
    from tests.procs import free_port

    data = tmp / "data"
    data.mkdir()
    for n, c in enumerate(communities):
        (data / f"{c}.snmprec").write_text(recording(n))
    port = free_port(socket.SOCK_DGRAM)
    # snmpsim reads an engine's options after --v3-engine-id and before its data and endpoint
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "snmpsim-command-responder"), "--logging-method=null",
         "--v3-engine-id=auto", f"--v3-user={v3.user}", f"--v3-auth-key={v3.auth_key}",
         f"--v3-auth-proto={v3.auth}", f"--v3-priv-key={v3.priv_key}", f"--v3-priv-proto={v3.priv}",
         f"--data-dir={data}", f"--cache-dir={tmp / 'cache'}", f"--agent-udpv4-endpoint=127.0.0.1:{port}"],
        env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)

    def answers() -> None:
        from ezsnmp import Session
        Session(hostname="127.0.0.1", port_number=str(port), community=communities[-1], version="2c",
                timeout="1", retries="0").get(["1.3.6.1.2.1.1.3.0"])

    wait_up(answers, time.monotonic() + 120, proc)
    return proc, port


def run_roomwatch(tmp: Path, communities: list[str], port: int, name: str, rounds: int = ROUNDS,
                  timeout: float = 10.0, retries: int = 1, v3: V3 | None = None) -> dict[str, Any]:
    """roomwatch polls in a process of its own (``client_side``); what it measured."""
    conf = tmp / f"roomwatch-{name}-{port}.toml"
    conf.write_text(roomwatch_toml(communities, port, tmp / f"state-{name}-{port}", timeout, retries, v3))
    done = subprocess.run([sys.executable, __file__, str(conf), str(rounds)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode:
        raise RuntimeError(f"roomwatch side failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_exporter(tmp: Path, communities: list[str], port: int, gets: list[str], walks: list[str],
                 rounds: int = ROUNDS, timeout: float = 10.0, retries: int = 1,
                 v3: V3 | None = None) -> dict[str, float]:
    """snmp_exporter scraped over HTTP as Prometheus would; its CPU time and varbinds."""
    from tests.procs import free_port, stop

    conf = tmp / f"snmp-{port}-{'v3' if v3 else 'v2c'}.yml"
    conf.write_text(exporter_yaml(communities, gets, walks, timeout, retries, v3))
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
        wait_up(lambda: urllib.request.urlopen(base + "/", timeout=2).read(), time.monotonic() + 20, proc)
        cpu0, wall0 = cpu_seconds(proc.pid), time.perf_counter()
        varbinds, failed = 0.0, 0
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            for _ in range(rounds):
                for pdus, ok in pool.map(scrape, communities):
                    varbinds += pdus
                    failed += 0 if ok else 1
        wall, cpu = time.perf_counter() - wall0, cpu_seconds(proc.pid) - cpu0
    finally:
        stop(proc)
    return {"cpu": cpu, "wall": wall, "varbinds": varbinds, "polls": rounds * len(communities),
            "failed": failed}


def client_side(conf: str, rounds: int) -> None:
    """roomwatch's side, in its own process: the daemon's jobs (``monitor.wiring.build_jobs`` →
    ``monitor.scheduler.collect_once``), polled ``rounds`` times; prints JSON."""
    from monitor import config
    from monitor.scheduler import collect_once
    from monitor.wiring import build_jobs

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
    client_side(sys.argv[1], int(sys.argv[2]))
