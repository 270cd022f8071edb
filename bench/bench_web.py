"""Web console latency with 1,000 devices and 200 firing alerts, against Prometheus Alertmanager.

roomwatch's console (uvicorn on loopback, its own event loop standing in for the daemon's) over
real parts: the overview page and ``GET /api/v2/alerts``, p50/p99 of sequential requests (goal:
p99 ≤ 100 ms). The peer is Alertmanager's own ``GET /api/v2/alerts`` holding the same 200
alerts, measured in the same run; and the same two with a fresh build on every request (the
console keeps a one-second snapshot of both for everyone). Then the polling cycle: a stand-in
of the scheduler (1,000 devices, one poll every 10 ms) on the console's loop, its lateness
p50/p99 with 20 clients (a process of their own) refreshing the overview and /api/v2/alerts once
a second (two 10 s spells) against the same without clients (three spells around them), in the
same run, as a ratio.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
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
POLL_EVERY = 10.0
"""Seconds between two polls of one device in the scheduler's stand-in (100 polls a second)."""
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
        # The default notifier logs the 200 alerts (through logging's last-resort handler: stderr).
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            src, settings = build(tmp)
        with socket_port() as port:
            pass
        settings.web.listen = f"127.0.0.1:{port}"  # type: ignore[attr-defined]
        loop, stop = asyncio.new_event_loop(), asyncio.Event()
        polls = Polls(src.latest)  # type: ignore[attr-defined]

        async def run() -> None:
            scheduler = asyncio.create_task(polls.run(stop))
            await server.serve(app_mod.build(src, https=False), settings.web, stop)  # type: ignore[arg-type, attr-defined]
            await scheduler

        thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": "Basic " + base64.b64encode(f"bench:{PASSWORD}".encode()).decode()}
        try:
            _wait_ready(f"{base}/login")
            cookie = login(base)
            overview = percentiles([timed_get(f"{base}/", cookie) for _ in range(RUNS)])
            api_alerts = percentiles([timed_get(f"{base}/api/v2/alerts", auth) for _ in range(RUNS)])
            # Every request a fresh build (no snapshot): what one refresh a second costs.
            cold = {path: percentiles([_cold(src, f"{base}{path}", headers) for _ in range(COLD_RUNS)])
                    for path, headers in (("/", cookie), ("/api/v2/alerts", auth))}
            assert len(json.loads(urllib.request.urlopen(urllib.request.Request(
                f"{base}/api/v2/alerts", headers=auth), timeout=10).read())) == ALERTS
            # Poll lateness in spells without and with the clients, alternating (the box's load
            # drifts): quiet, busy, quiet, busy, quiet; each side's polls pooled.
            quiet, busy, rounds = polls.measure(lambda: time.sleep(LOAD_SECONDS)), [], []
            for _ in range(2):
                busy += polls.measure(lambda: rounds.append(clients(base, cookie, auth)))
                quiet += polls.measure(lambda: time.sleep(LOAD_SECONDS))
            loaded = {k: sum(r[k] for r in rounds) for k in ("requests", "errors")}
            loaded |= {"p50": statistics.median(r["p50"] for r in rounds),
                       "p99": max(r["p99"] for r in rounds)}
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
    print(f"{CLIENTS} clients (own process) refreshing the overview and /api/v2/alerts every second, "
          f"2 x {LOAD_SECONDS:.0f} s: {loaded['requests']:.0f} answers, {loaded['errors']:.0f} errors, "
          f"p50 {loaded['p50']:.1f} ms, p99 (worse spell) {loaded['p99']:.1f} ms")
    (q50, q99), (b50, b99) = percentiles(quiet), percentiles(busy)
    print(f"poll lateness ({DEVICES} devices every {POLL_EVERY:.0f} s on the console's loop): without "
          f"clients ({len(quiet)} polls) p50 {q50:.2f} ms, p99 {q99:.2f} ms; with {CLIENTS} clients "
          f"({len(busy)} polls) p50 {b50:.2f} ms, p99 {b99:.2f} ms, max {max(busy) * 1000:.1f} ms")
    print(f"ratio poll lateness with/without clients: p50 {b50 / max(q50, 0.001):.2f}x, "
          f"p99 {b99 / max(q99, 0.001):.2f}x, p99 {b99 - q99:+.2f} ms "
          "(goal: p99 ≤ 1.2x, or within a few ms)")


class Polls:
    """The daemon's scheduler as the console's loop feels it: one task per device, each sleeping
    to its next due time (``POLL_EVERY`` apart, spread over the interval, as monitor.scheduler
    does), then handing three readings to the sink's ``Latest`` (which the overview shows).
    Lateness: how long after its due time a poll starts."""

    def __init__(self, latest: Latest) -> None:
        self.latest = latest
        self.lateness: list[float] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(self._device(i, stop)) for i in range(DEVICES)]
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _device(self, i: int, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        labels = {"device": f"th-{i:04d}", "kind": "sensor", "level": "2", "room": f"机房{i // 100}"}
        sensor = {**labels, "sensor": "s"}
        due = loop.time() + POLL_EVERY * i / DEVICES
        while not stop.is_set():
            await asyncio.sleep(max(0.0, due - loop.time()))
            if self.lateness is not None:
                self.lateness.append(loop.time() - due)
            now = time.time()
            self.latest.update([Reading("up", 1.0, labels, now),
                                Reading("temperature_celsius", 35.0 if i < ALERTS else 22.0, sensor, now),
                                Reading("humidity_percent", 50.0, sensor, now)])
            due += POLL_EVERY

    def measure(self, during: Callable[[], object]) -> list[float]:
        """The lateness of every poll that started while ``during()`` ran."""
        self.lateness = []
        try:
            during()
            return self.lateness
        finally:
            self.lateness = None


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


def clients(base: str, cookie: dict[str, str], auth: dict[str, str]) -> dict[str, float]:
    """``CLIENTS`` browsers in a process of their own (as real ones are: their HTTP parsing must
    not share the daemon's interpreter), each GETting the overview and /api/v2/alerts once a second."""
    job = json.dumps({"base": base, "cookie": cookie, "auth": auth})
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    done = subprocess.run([sys.executable, __file__, "--clients"], input=job, capture_output=True,
                          text=True, timeout=LOAD_SECONDS + 60, check=True, env=env)
    found: dict[str, float] = json.loads(done.stdout)
    return found


def _clients_main() -> None:
    """The client process: where and how to log in from stdin; load; figures as JSON on stdout."""
    # Real browsers run on other machines: here they share the daemon's two cores, so they
    # yield the CPU to it (the daemon's poll lateness is what is measured, not the box's).
    os.nice(10)
    job = json.loads(sys.stdin.read())
    base, cookie, auth = job["base"], job["cookie"], job["auth"]
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def client(k: int) -> None:
        deadline = time.monotonic() + LOAD_SECONDS
        next_at = time.monotonic() + k / CLIENTS  # spread over the second, as real browsers are
        while next_at < deadline:
            time.sleep(max(0.0, next_at - time.monotonic()))
            for url, headers in ((f"{base}/", cookie), (f"{base}/api/v2/alerts", auth)):
                try:
                    took = timed_get(url, headers)
                except OSError:
                    with lock:
                        errors[0] += 1
                    continue
                with lock:
                    samples.append(took)
            next_at += 1.0

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(client, range(CLIENTS)))
    p50, p99 = percentiles(samples)
    print(json.dumps({"requests": len(samples), "errors": errors[0], "p50": p50, "p99": p99}))


if __name__ == "__main__":
    _clients_main() if sys.argv[1:] == ["--clients"] else main()
