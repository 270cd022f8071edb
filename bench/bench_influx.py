"""Points per second written to VictoriaMetrics (InfluxDB v2 write API) by roomwatch's InfluxDB
output, against a plain HTTP client posting the same line protocol, built beforehand.

Both sides use the same batch size and two kept-alive connections with a request in flight on
each. The plain client does no encoding: the bodies are built before its clock starts, so it
is the practical limit of this server on this machine. roomwatch does everything the daemon
does, on the clock: take one write per device poll (100 readings, as the daemon's sink
gives them), encode readings (Reading objects carrying their series, as the scheduler makes
them), batch, post, read each answer in order, ready to queue a failure on disk. Each
side first writes one warm-up round off the clock (a running daemon's output has met its series
before; the server has too). Each side runs with plain bodies (roomwatch's default) and with
gzip level 1 (``gzip = true``; the plain client's bodies are compressed beforehand). They
alternate, seven times each, in one process; the median of each counts (the server's own CPU
per point varies by a third from run to run, which moves single runs more than anything here,
and a best-of picks the luckiest outlier of the noisier side).
CPU time per point of each side (this process, all threads) and of the server is printed
beside: both share this machine's cores, so it says where the time goes better than wall time.
Goal (issue 24): roomwatch >= 0.8 x the plain client, same compression.
"""

from __future__ import annotations

import gzip
import http.client
import itertools
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

DEVICES = 100
PORTS = 20
METRICS = ("if_in_bps", "if_out_bps", "if_oper_up", "if_utilization_percent", "if_in_errors_per_second")
POLL = PORTS * len(METRICS)  # one switch's poll: what the daemon's sink writes at once
ROUNDS = 50  # 100 switches x 100 readings x 50 polls = 500,000 points a run
ATTEMPTS = 7
BATCH = 5000
T0 = 1_700_000_000.0
WRITE = "/api/v2/write?bucket=roomwatch&precision=ms"


def readings(run: int) -> list:  # type: ignore[type-arg]
    """Half a million interface readings made as the scheduler makes them: each device's
    collector reports new label dicts every poll, and the job's ``SeriesTable`` gives every
    reading its series' shared labels and ``Series`` (monitor.scheduler.collect_once). A poll
    is five interface metrics of 20 ports, in the order collectors/snmp/interfaces.py gives them."""
    from monitor.core.model import SeriesTable

    out = []
    tables = [SeriesTable({"device": f"sw{d:03d}", "kind": "switch", "site": "总部", "room": "A",
                           "level": "access"}) for d in range(DEVICES)]
    for r in range(ROUNDS + 1):  # the first is the warm-up round, off the clock
        ts = T0 + run * 86_400 + r * 60.0
        for d, table in enumerate(tables):
            out.extend(table.reading(metric, float(r * p + d), {"ifname": f"GigabitEthernet0/0/{p}"}, ts)
                       for p in range(PORTS) for metric in METRICS)
    return out


Sample = tuple[float, float, float]
"""Wall seconds, this process' CPU seconds, the server's CPU seconds."""


def snapshot(server: int) -> Sample:
    return time.perf_counter(), cpu_seconds(), cpu_seconds(server)


def since(start: Sample, server: int) -> Sample:
    now = snapshot(server)
    return now[0] - start[0], now[1] - start[1], now[2] - start[2]


def run_roomwatch(url: str, tmp: Path, points: list, compress: bool, server: int) -> Sample:  # type: ignore[type-arg]
    from monitor.store.influx import InfluxOutput
    from monitor.store.settings import InfluxSettings

    settings = InfluxSettings.model_validate({"url": url, "batch_size": BATCH, "flush_interval": "50ms",
                                              "gzip": compress})
    out = InfluxOutput(settings, tmp / f"queue-{time.monotonic_ns()}.db")
    deadline = time.monotonic() + 120
    per_round = POLL * DEVICES
    out.write(points[:per_round])  # the warm-up round: a daemon's output has met its series before
    out.flush()
    while out.stats()["sent"] < per_round and time.monotonic() < deadline:
        time.sleep(0.001)
    start = snapshot(server)
    for i in range(per_round, len(points), POLL):  # one write per device poll, as the daemon's sink does
        out.write(points[i:i + POLL])
    # Closing sends everything the server takes and waits for the last answer; the caller then
    # sleeps in join() as the plain client's does, instead of waking to poll a counter.
    out.close()
    elapsed = since(start, server)
    stats = out.stats()
    assert stats["sent"] == len(points) and stats["queued"] == 0, stats
    return elapsed


def plain_bodies(points: list, compress: bool) -> list[bytes]:  # type: ignore[type-arg]
    """The request bodies the plain client posts, built off the clock."""
    from monitor.store.influx_lines import LineEncoder

    encoder = LineEncoder("ms")
    bodies = [encoder.body(points[i:i + BATCH])[0] for i in range(0, len(points), BATCH)]
    return [gzip.compress(body, 1) for body in bodies] if compress else bodies


def run_plain_warm(port: int, bodies: list[bytes], compress: bool, server: int) -> Sample:
    """The plain client's run after its warm-up round (posted off the clock, as roomwatch's is)."""
    warm = DEVICES * POLL // BATCH
    run_plain(port, bodies[:warm], compress)
    start = snapshot(server)
    run_plain(port, bodies[warm:], compress)
    return since(start, server)


def run_plain(port: int, bodies: list[bytes], compress: bool) -> float:
    """Post the bodies on IN_FLIGHT kept-alive connections, one thread each."""
    from monitor.store.influx import IN_FLIGHT

    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if compress:
        headers["Content-Encoding"] = "gzip"
    turn = itertools.count()
    failed: list[int] = []

    def post() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while (i := next(turn)) < len(bodies):
            conn.request("POST", WRITE, body=bodies[i], headers=headers)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 204:
                failed.append(resp.status)
        conn.close()

    threads = [threading.Thread(target=post) for _ in range(IN_FLIGHT)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    assert not failed, failed
    return elapsed


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) of this process, all threads, or of process ``pid``."""
    if pid is None:
        use = resource.getrusage(resource.RUSAGE_SELF)
        return use.ru_utime + use.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.monitor.store.servers import VictoriaMetrics

    n = DEVICES * POLL * ROUNDS
    runs: dict[tuple[str, bool], list[Sample]] = {}

    def keep(side: str, compress: bool, run: Callable[[int], Sample], server: int) -> None:
        runs.setdefault((side, compress), []).append(run(server))

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        vm = VictoriaMetrics(tmp / "vm")
        vm.start()
        assert vm.proc is not None
        try:
            day = itertools.count()  # each run writes its own day: none rewrites points another stored
            for _attempt in range(ATTEMPTS):
                for compress in (False, True):
                    run = partial(run_roomwatch, vm.url, tmp, readings(next(day)), compress)
                    keep("roomwatch", compress, run, vm.proc.pid)
                    bodies = plain_bodies(readings(next(day)), compress)
                    run = partial(run_plain_warm, vm.port, bodies, compress)
                    keep("plain", compress, run, vm.proc.pid)
                    del run, bodies
        finally:
            vm.stop()
    print(f"{n:,} points, batches of {BATCH}, 2 connections each, VictoriaMetrics on loopback "
          f"(median of {ATTEMPTS}, alternating)")
    print("  roomwatch: encodes Readings, posts, reads answers in order; plain: http.client posting "
          "bodies built beforehand")
    for compress in (False, True):
        mine, theirs = runs[("roomwatch", compress)], runs[("plain", compress)]
        ours, our_cpu, vm_ours = (statistics.median(s[i] for s in mine) for i in range(3))
        plain, plain_cpu, vm_plain = (statistics.median(s[i] for s in theirs) for i in range(3))
        pairs = sorted(p[0] / o[0] for o, p in zip(mine, theirs, strict=True))
        what = "gzip level 1" if compress else "plain bodies"
        print(f"  {what}: roomwatch {n / ours:>9,.0f} points/s, plain client {n / plain:>9,.0f} points/s: "
              f"ratio {plain / ours:.2f}x (goal >= 0.8); attempt by attempt {pairs[0]:.2f}-{pairs[-1]:.2f}x")
        print(f"    CPU us/point: roomwatch {our_cpu / n * 1e6:.2f} + server {vm_ours / n * 1e6:.2f}; "
              f"plain client {plain_cpu / n * 1e6:.2f} + server {vm_plain / n * 1e6:.2f}")


if __name__ == "__main__":
    main()
