"""Notification pipeline throughput and latency, against Prometheus Alertmanager in the same run.

1,000 active alerts, 20 routes (one per team), group_by device, group_wait 0, all delivered
to a local HTTP receiver. Measures: alerts/s from submit to the receiver's last request, the
decision part alone (submit + flush into the outbox), and the latency of one new critical
alert from evaluation to the HTTP request while the 1,000 are active (goal < 1 s).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from alerts.config import NotifySettings
from alerts.dispatch import Dispatcher
from alerts.notifiers.apprise import from_settings
from alerts.outbox import Outbox
from monitor.core.model import Alert, AlertState, Severity

ALERTS, ROUTES, LATENCY_RUNS = 1000, 20, 10


class Sink:
    """A local HTTP receiver counting requests and their arrival times."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with sink.lock:
                    sink.times.append(time.perf_counter())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self.lock:
            return len(self.times)

    def wait(self, n: int, timeout: float = 120.0) -> float:
        deadline = time.perf_counter() + timeout
        while self.count() < n:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"receiver got {self.count()} of {n}")
            time.sleep(0.001)
        with self.lock:
            return self.times[n - 1]


def _alert(i: int, now: float, severity: Severity = Severity.WARNING) -> Alert:
    return Alert(rule="room_temperature", labels={"device": f"dev-{i}", "team": f"t{i % ROUTES}"},
                 state=AlertState.FIRING, severity=severity, value=30.0, active_at=now, fired_at=now,
                 summary="机房温度 30 °C", clause="003")


def bench_roomwatch(sink: Sink, tmp: Path) -> dict[str, float]:
    url = f"json://127.0.0.1:{sink.port}"
    settings = NotifySettings.model_validate({
        "receivers": [{"name": f"r{i}", "urls": [f"{url}/r{i}"]} for i in range(ROUTES)],
        "routes": [{"receiver": f"r{i}", "matchers": [f"team=t{i}"], "group_by": ["device"],
                    "group_wait": "0s", "group_interval": "5m"} for i in range(ROUTES)]})
    d = Dispatcher(Outbox(tmp / "alerts.db"), from_settings(settings), settings=settings)
    now = time.time()
    alerts = [_alert(i, now) for i in range(ALERTS)]
    start = time.perf_counter()
    d.submit(alerts, now)
    decided = time.perf_counter()
    while sink.count() < ALERTS:
        asyncio.run(d.deliver(time.time()))
    last = sink.wait(ALERTS)
    latencies = []
    for k in range(LATENCY_RUNS):
        before = sink.count()
        t0 = time.perf_counter()
        d.submit([_alert(ALERTS + k, time.time(), Severity.CRITICAL)], time.time())
        asyncio.run(d.deliver(time.time()))
        latencies.append(sink.wait(before + 1) - t0)
    d.outbox.close()
    return {"decide_per_s": ALERTS / (decided - start), "end_to_end_per_s": ALERTS / (last - start),
            "latency_s": statistics.median(latencies)}


def bench_alertmanager(sink: Sink, tmp: Path) -> dict[str, float] | None:
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        return None
    routes = "\n".join(
        f"    - matchers: ['team=\"t{i}\"']\n      receiver: r{i}" for i in range(ROUTES))
    receivers = "\n".join(
        f"  - name: r{i}\n    webhook_configs:\n      - url: http://127.0.0.1:{sink.port}/r{i}"
        for i in range(ROUTES))
    (tmp / "am.yml").write_text(
        "route:\n  receiver: r0\n  group_by: [device]\n  group_wait: 0s\n  group_interval: 5m\n"
        f"  routes:\n{routes}\nreceivers:\n{receivers}\n", encoding="utf-8")
    with socket_port() as port:
        pass
    proc = subprocess.Popen([binary, f"--config.file={tmp / 'am.yml'}", f"--storage.path={tmp / 'am'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = f"http://127.0.0.1:{port}/api/v2/alerts"
    try:
        _wait_ready(f"http://127.0.0.1:{port}/-/ready")
        now = dt.datetime.now(dt.UTC).isoformat()
        # Latency first, while nothing else is in flight (a backlog's arrivals would be miscounted).
        latencies = []
        for k in range(LATENCY_RUNS):
            before = sink.count()
            t0 = time.perf_counter()
            _post(api, [{"labels": {"alertname": "x", "device": f"new-{k}", "team": "t1"}, "startsAt": now}])
            latencies.append(sink.wait(before + 1) - t0)
        base = sink.count()
        docs = [{"labels": {"alertname": "room_temperature", "device": f"dev-{i}", "team": f"t{i % ROUTES}"},
                 "annotations": {"summary": "机房温度 30 °C"}, "startsAt": now} for i in range(ALERTS)]
        start = time.perf_counter()
        for chunk in range(0, ALERTS, 100):
            _post(api, docs[chunk:chunk + 100])
        try:
            last, got = sink.wait(base + ALERTS, timeout=60.0), ALERTS
        except TimeoutError:  # report the rate of what did arrive
            got = sink.count() - base
            with sink.lock:
                last = sink.times[-1]
        return {"end_to_end_per_s": got / (last - start), "latency_s": statistics.median(latencies),
                "arrived": got}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class socket_port:
    """A free loopback port."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


def _post(url: str, doc: object) -> None:
    req = urllib.request.Request(url, data=json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10):
        pass


def _wait_ready(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("alertmanager did not become ready")


def main() -> None:
    """Run both, print figures and ratios."""
    logging.getLogger().setLevel(logging.ERROR)  # one line per alert would swamp the figures
    sink = Sink()
    with tempfile.TemporaryDirectory() as tmp:
        ours = bench_roomwatch(sink, Path(tmp))
        peer = bench_alertmanager(sink, Path(tmp))
    print(f"roomwatch:    decide {ours['decide_per_s']:,.0f} alerts/s; end to end "
          f"{ours['end_to_end_per_s']:,.0f} alerts/s ({ALERTS} alerts, {ROUTES} routes); "
          f"evaluation→HTTP latency {ours['latency_s'] * 1000:.1f} ms (goal < 1000 ms)")
    if peer is None:
        print("alertmanager: not installed (apt-get install prometheus-alertmanager); no ratio")
        return
    print(f"alertmanager: end to end {peer['end_to_end_per_s']:,.0f} alerts/s "
          f"({peer['arrived']:.0f} of {ALERTS} arrived within 60 s); POST→webhook latency "
          f"{peer['latency_s'] * 1000:.1f} ms")
    ratio = ours["end_to_end_per_s"] / peer["end_to_end_per_s"]
    print(f"ratio roomwatch/alertmanager: throughput {ratio:.2f}x, "
          f"latency {ours['latency_s'] / peer['latency_s']:.2f}x (lower is better)")
