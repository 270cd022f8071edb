"""Web console latency with 1,000 devices and 200 firing alerts, against Prometheus Alertmanager.

roomwatch's console (uvicorn on loopback, its own event loop standing in for the daemon's) over
real parts: the overview page and ``GET /api/v2/alerts``, p50/p99 of sequential requests (goal:
p99 ≤ 100 ms). The peer is Alertmanager's own ``GET /api/v2/alerts`` holding the same 200
alerts, measured in the same run; and the same two with a fresh build on every request (the
console keeps a one-second snapshot of both for everyone). Then 20 clients refresh the overview
and /api/v2/alerts once a second for 10 s, while a 50 ms ticker on the console's loop measures
how late it runs (what the daemon's polling would feel), compared with the same ticker idle.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_notify import _post, _wait_ready, socket_port

from monitor import config as config_mod
from monitor import wiring
from monitor.core.model import Reading
from monitor.web import app as app_mod
from monitor.web import server
from monitor.web.accounts import Role
from monitor.web.console import sources_of
from monitor.web.latest import Latest

DEVICES, ALERTS, RUNS, COLD_RUNS, CLIENTS, LOAD_SECONDS = 1000, 200, 300, 50, 20, 10.0
PASSWORD = "bench-password-1"


def build(tmp: Path) -> tuple[object, object]:
    """Real parts over 1,000 sensors (SNMP, never polled), 200 of them breaching room temperature."""
    lines = [f'state_dir = "{tmp / "state"}"', "[web]", "enabled = true"]
    for i in range(DEVICES):
        lines += ["[[devices]]", f'name = "th-{i:04d}"', 'kind = "sensor"', f'room = "机房{i // 100}"',
                  f'address = "192.0.2.{i % 250 + 1}"', f"port = {10000 + i}",
                  'snmp = { community = "bench-community" }']
    path = tmp / "bench.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings, _ = config_mod.load(path)
    parts = wiring.build(settings, path.name)
    src = sources_of(lambda: settings, parts, Latest())
    src.accounts.add("bench", Role.VIEWER, PASSWORD, now=time.time(), by="bench")
    now = time.time()
    readings = []
    for i in range(DEVICES):
        labels = {"device": f"th-{i:04d}", "kind": "sensor", "level": "2", "room": f"机房{i // 100}"}
        sensor = {**labels, "sensor": "s"}
        readings += [Reading("up", 1.0, dict(labels), now),
                     Reading("temperature_celsius", 35.0 if i < ALERTS else 22.0, sensor, now),
                     Reading("humidity_percent", 50.0, dict(sensor), now)]
    parts.engine.ingest(readings)
    src.latest.update(readings)
    changes = parts.engine.evaluate(now, ignore_for=True)
    parts.dispatcher.submit(changes, now)
    assert sum(1 for a in changes if a.state.value == "firing") == ALERTS
    return src, settings


def timed_get(url: str, headers: dict[str, str]) -> float:
    t0 = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as answer:
        answer.read()
    return time.perf_counter() - t0


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return statistics.median(samples) * 1000, cuts[98] * 1000


def alertmanager_p99(tmp: Path) -> tuple[float, float] | None:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        return None
    (tmp / "am.yml").write_text("route:\n  receiver: none\nreceivers:\n  - name: none\n", encoding="utf-8")
    with socket_port() as port:
        pass
    proc = subprocess.Popen([binary, f"--config.file={tmp / 'am.yml'}", f"--storage.path={tmp / 'am'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/-/ready")
        api = f"http://127.0.0.1:{port}/api/v2/alerts"
        starts = dt.datetime.now(dt.UTC).isoformat()
        notes = {"summary": "机房温度 35 °C", "clause": "《信息中心机房管理制度》四、环境管理制度 第5条"}
        _post(api, [{"labels": {"alertname": "room_temperature", "device": f"th-{i:04d}",
                                "severity": "warning"}, "annotations": notes, "startsAt": starts}
                    for i in range(ALERTS)])
        for _ in range(20):
            timed_get(api, {})
        return percentiles([timed_get(api, {}) for _ in range(RUNS)])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        src, settings = build(tmp)
        with socket_port() as port:
            pass
        settings.web.listen = f"127.0.0.1:{port}"  # type: ignore[attr-defined]
        loop, stop = asyncio.new_event_loop(), asyncio.Event()
        lateness: list[float] = []
        measuring = threading.Event()

        async def ticker() -> None:  # stands in for the daemon's scheduler on the same loop
            while not stop.is_set():
                t0 = time.perf_counter()
                await asyncio.sleep(0.05)
                if measuring.is_set():
                    lateness.append(time.perf_counter() - t0 - 0.05)

        async def run() -> None:
            tick = asyncio.create_task(ticker())
            await server.serve(app_mod.build(src, https=False), settings.web, stop)  # type: ignore[arg-type, attr-defined]
            await tick

        thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": "Basic " + base64.b64encode(f"bench:{PASSWORD}".encode()).decode()}
        try:
            _wait_ready(f"{base}/login")
            measuring.set()
            time.sleep(3.0)
            measuring.clear()
            idle = sorted(lateness)
            lateness.clear()
            cookie = login(base)
            overview = percentiles([timed_get(f"{base}/", cookie) for _ in range(RUNS)])
            api_alerts = percentiles([timed_get(f"{base}/api/v2/alerts", auth) for _ in range(RUNS)])
            # Every request a fresh build (no snapshot): what one refresh a second costs.
            cold = {path: percentiles([_cold(src, f"{base}{path}", headers) for _ in range(COLD_RUNS)])
                    for path, headers in (("/", cookie), ("/api/v2/alerts", auth))}
            assert len(json.loads(urllib.request.urlopen(urllib.request.Request(
                f"{base}/api/v2/alerts", headers=auth), timeout=10).read())) == ALERTS
            measuring.set()
            loaded = under_load(base, cookie, auth)
            measuring.clear()
            busy = sorted(lateness)
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join(timeout=20)
        peer = alertmanager_p99(tmp)
    print(f"roomwatch overview page ({DEVICES} devices, {ALERTS} alerts): p50 {overview[0]:.1f} ms, "
          f"p99 {overview[1]:.1f} ms (goal ≤ 100 ms)")
    print(f"roomwatch GET /api/v2/alerts: p50 {api_alerts[0]:.1f} ms, p99 {api_alerts[1]:.1f} ms "
          "(goal ≤ 100 ms)")
    print(f"fresh build every request (no snapshot): overview p50 {cold['/'][0]:.1f} ms, "
          f"p99 {cold['/'][1]:.1f} ms; /api/v2/alerts p50 {cold['/api/v2/alerts'][0]:.1f} ms, "
          f"p99 {cold['/api/v2/alerts'][1]:.1f} ms")
    if peer is None:
        print("alertmanager: not installed (apt-get install prometheus-alertmanager); no ratio")
    else:
        print(f"alertmanager GET /api/v2/alerts ({ALERTS} alerts): p50 {peer[0]:.1f} ms, "
              f"p99 {peer[1]:.1f} ms")
        print(f"ratio roomwatch/alertmanager p99: /api/v2/alerts {api_alerts[1] / peer[1]:.2f}x, "
              f"overview page {overview[1] / peer[1]:.2f}x")
    print(f"{CLIENTS} clients refreshing every second for {LOAD_SECONDS:.0f} s: {loaded[0]} requests, "
          f"p99 {loaded[1]:.1f} ms")
    print(f"loop lateness of a 50 ms ticker (the daemon's polling): idle p99 {_p99(idle):.1f} ms, "
          f"under load p99 {_p99(busy):.1f} ms, max {busy[-1] * 1000:.1f} ms")


def _cold(src: object, url: str, headers: dict[str, str]) -> float:
    src.snapshots.clear()  # type: ignore[attr-defined]
    return timed_get(url, headers)


def login(base: str) -> dict[str, str]:
    """A logged-in session cookie, through the login form (CSRF token and all)."""
    import http.cookiejar
    import re

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = urllib.parse.urlencode({"name": "bench", "password": PASSWORD, "csrf": token}).encode()
    opener.open(urllib.request.Request(f"{base}/login", data=form), timeout=10).read()
    return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in jar)}


def under_load(base: str, cookie: dict[str, str], auth: dict[str, str]) -> tuple[int, float]:
    """CLIENTS threads, each GETting the overview and /api/v2/alerts once a second."""
    samples: list[float] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        deadline = time.monotonic() + LOAD_SECONDS
        next_at = time.monotonic() + k / CLIENTS  # spread over the second, as real browsers are
        while next_at < deadline:
            time.sleep(max(0.0, next_at - time.monotonic()))
            got = [timed_get(f"{base}/", cookie), timed_get(f"{base}/api/v2/alerts", auth)]
            with lock:
                samples.extend(got)
            next_at += 1.0

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    return len(samples), percentiles(samples)[1]


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[98] * 1000 if len(samples) > 1 else 0.0


if __name__ == "__main__":
    main()
