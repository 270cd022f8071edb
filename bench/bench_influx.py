"""Points per second written to VictoriaMetrics (InfluxDB v2 write API) by roomwatch's InfluxDB
output, against a plain HTTP client posting the same line protocol, built beforehand.

Both sides use the same batch size and two kept-alive connections with a request in flight on
each. The plain client does no encoding: the bodies are built before its clock starts, so it
is the practical limit of this server on this machine. roomwatch does everything the daemon
does, on the clock: encode readings (from Reading objects), batch, post, read each answer in
order, ready to queue a failure on disk. Each side runs with plain bodies (roomwatch's default)
and with gzip level 1 (``gzip = true``; the plain client's bodies are compressed beforehand).
They alternate, twice each, in one process; the best of each counts.
Goal (issue 24): roomwatch >= 0.8 x the plain client, same compression.
"""

from __future__ import annotations

import gzip
import http.client
import itertools
import sys
import tempfile
import threading
import time
from pathlib import Path

DEVICES = 500
PORTS = 20
ROUNDS = 100  # 500 switches x 20 ports x 100 polls = 1,000,000 points
BATCH = 5000
T0 = 1_700_000_000.0
WRITE = "/api/v2/write?bucket=roomwatch&precision=ms"


def readings(run: int) -> list:  # type: ignore[type-arg]
    """One million interface readings shaped as the scheduler emits them (a labels dict each)."""
    from monitor.core.model import Reading

    out = []
    for r in range(ROUNDS):
        ts = T0 + run * 86_400 + r * 60.0
        for d in range(DEVICES):
            base = {"device": f"sw{d:03d}", "kind": "switch", "site": "总部", "room": "A", "level": "access"}
            out.extend(Reading("if_in_bps", float(r * p + d), {**base, "ifname": f"GigabitEthernet0/0/{p}"},
                               ts) for p in range(PORTS))
    return out


def run_roomwatch(url: str, tmp: Path, points: list, compress: bool) -> float:  # type: ignore[type-arg]
    from monitor.store.influx import InfluxOutput
    from monitor.store.settings import InfluxSettings

    settings = InfluxSettings.model_validate({"url": url, "batch_size": BATCH, "flush_interval": "50ms",
                                              "gzip": compress})
    out = InfluxOutput(settings, tmp / f"queue-{time.monotonic_ns()}.db")
    start = time.perf_counter()
    for i in range(0, len(points), PORTS * DEVICES):  # one write per poll round, as the daemon does
        out.write(points[i:i + PORTS * DEVICES])
    out.flush()
    deadline = time.monotonic() + 120
    while out.stats()["sent"] < len(points) and time.monotonic() < deadline:
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    stats = out.stats()
    out.close()
    assert stats["sent"] == len(points) and stats["queued"] == 0, stats
    return elapsed


def plain_bodies(points: list, compress: bool) -> list[bytes]:  # type: ignore[type-arg]
    """The request bodies the plain client posts, built off the clock."""
    from monitor.store.influx_lines import LineEncoder

    lines = LineEncoder("ms").wire(points)
    bodies = [b"\n".join(lines[i:i + BATCH]) for i in range(0, len(lines), BATCH)]
    return [gzip.compress(body, 1) for body in bodies] if compress else bodies


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


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.monitor.store.servers import VictoriaMetrics

    n = DEVICES * PORTS * ROUNDS
    best: dict[tuple[str, bool], float] = {}
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        vm = VictoriaMetrics(tmp / "vm")
        vm.start()
        try:
            day = itertools.count()  # each run writes its own day: none rewrites points another stored
            for _attempt in range(2):
                for compress in (False, True):
                    ours = readings(next(day))
                    took = run_roomwatch(vm.url, tmp, ours, compress)
                    best[("roomwatch", compress)] = min(best.get(("roomwatch", compress), took), took)
                    del ours
                    bodies = plain_bodies(readings(next(day)), compress)
                    took = run_plain(vm.port, bodies, compress)
                    best[("plain", compress)] = min(best.get(("plain", compress), took), took)
                    del bodies
        finally:
            vm.stop()
    print(f"{n:,} points, batches of {BATCH}, 2 connections each, VictoriaMetrics on loopback (best of 2)")
    print("  roomwatch: encode Readings + post + read answers; plain: http.client posting prebuilt bodies")
    for compress in (False, True):
        ours, plain = n / best[("roomwatch", compress)], n / best[("plain", compress)]
        what = "gzip level 1" if compress else "plain bodies"
        print(f"  {what:13s} roomwatch {ours:>10,.0f} points/s   plain client {plain:>10,.0f} points/s   "
              f"ratio {ours / plain:.2f}x (goal >= 0.8)")


if __name__ == "__main__":
    main()
