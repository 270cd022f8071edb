"""Points per second written to VictoriaMetrics (InfluxDB v2 write API) by roomwatch's InfluxDB
output, against posting the same line protocol, built beforehand, with a plain HTTP client.

The plain client is the practical limit of this server on this machine: it does no encoding and
no compression, only HTTP. roomwatch does everything the daemon does: encode readings, gzip,
post, read the answer. Both run in the same process, one after the other, twice each,
alternating; the best of each counts. Goal (issue 6): >= 200,000 points/s and >= 0.8 of the limit.
"""

from __future__ import annotations

import gzip
import http.client
import sys
import tempfile
import time
from pathlib import Path

DEVICES = 500
PORTS = 20
ROUNDS = 100  # 500 switches x 20 ports x 100 polls = 1,000,000 points
BATCH = 5000
T0 = 1_700_000_000.0


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


def run_roomwatch(url: str, tmp: Path, points: list) -> float:  # type: ignore[type-arg]
    from monitor.store.influx import InfluxOutput
    from monitor.store.settings import InfluxSettings

    settings = InfluxSettings.model_validate({"url": url, "batch_size": BATCH, "flush_interval": "50ms"})
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


def run_plain(port: int, bodies: list[bytes], gzipped: bool) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    start = time.perf_counter()
    for body in bodies:
        conn.request("POST", "/api/v2/write?bucket=roomwatch&precision=ms", body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 204, resp.status
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from monitor.store.influx_lines import reading_lines
    from tests.monitor.store.servers import VictoriaMetrics

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        vm = VictoriaMetrics(tmp / "vm")
        vm.start()
        try:
            best = {"roomwatch": float("inf"), "plain": float("inf"), "plain+gzip(prebuilt)": float("inf")}
            n = DEVICES * PORTS * ROUNDS
            for attempt in range(2):
                # Each run writes its own day, so no run rewrites points another already stored.
                ours = readings(attempt * 3)
                best["roomwatch"] = min(best["roomwatch"], run_roomwatch(vm.url, tmp, ours))
                del ours
                lines = reading_lines(readings(attempt * 3 + 1))
                bodies = ["\n".join(lines[i:i + BATCH]).encode() for i in range(0, n, BATCH)]
                best["plain"] = min(best["plain"], run_plain(vm.port, bodies, gzipped=False))
                lines = reading_lines(readings(attempt * 3 + 2))
                zipped = [gzip.compress("\n".join(lines[i:i + BATCH]).encode(), 1)
                          for i in range(0, n, BATCH)]
                best["plain+gzip(prebuilt)"] = min(best["plain+gzip(prebuilt)"],
                                                   run_plain(vm.port, zipped, gzipped=True))
        finally:
            vm.stop()
    rates = {name: n / secs for name, secs in best.items()}
    limit = max(rates["plain"], rates["plain+gzip(prebuilt)"])
    print(f"{n:,} points, batches of {BATCH}, VictoriaMetrics on loopback (best of 2)")
    for name, rate in rates.items():
        print(f"  {name:22s} {rate:>10,.0f} points/s")
    print(f"  roomwatch / plain-HTTP limit: {rates['roomwatch'] / limit:.2f}x "
          f"(goal >= 0.8); roomwatch / 200k goal: {rates['roomwatch'] / 200_000:.2f}x")


if __name__ == "__main__":
    main()
