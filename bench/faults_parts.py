"""Parts of the fault runs (bench_faults.py): a receiver that can go down, the kill -9 run of the
real daemon, and the dead-devices run of the real scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def wait_until(done: Callable[[], bool], limit: float) -> float:
    """Seconds until ``done()`` held (polled every 50 ms); raises after ``limit`` seconds."""
    start = time.monotonic()
    while not done():
        if time.monotonic() - start > limit:
            raise TimeoutError(f"not done within {limit:g}s")
        time.sleep(0.05)
    return time.monotonic() - start


class Receiver:
    """An apprise ``json://`` receiver on loopback; ``stop`` closes its port (connection refused),
    ``start`` opens the same port again."""

    def __init__(self) -> None:
        self._bodies: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        me = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with me._lock:
                    me._bodies.append(json.loads(raw))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._bodies)


def kill_9_flapping(tmp: Path, *, seconds: float = 120.0, flap: float = 2.5) -> None:
    """The real daemon, killed with SIGKILL every 2-5 s and started again at once, while its
    sensor goes from 32 °C to 22 °C and back every ``flap`` seconds."""
    receiver = Receiver()
    value = tmp / "value"
    value.write_text("temperature_celsius,sensor=t value=22\n")
    config = tmp / "roomwatch.toml"
    config.write_text(
        f'state_dir = "{tmp}/state"\n[defaults]\ninterval = "250ms"\njitter = "0s"\n'
        '[rules]\nevaluate_interval = "250ms"\n'
        '[log]\nreadings = false\n'
        f'[notify]\nlang = "en"\n[[notify.receivers]]\nname = "duty"\nurls = ["{receiver.url}"]\n'
        '[[notify.routes]]\nreceiver = "duty"\ngroup_wait = "0s"\ngroup_interval = "0s"\n'
        'repeat_interval = "24h"\n'
        f'[[devices]]\nname = "th-1"\nkind = "sensor"\nexec = {{ command = ["/bin/cat", "{value}"] }}\n')
    log_path = tmp / "daemon.log"
    log = log_path.open("ab")
    rng = random.Random(13)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "monitor.cli", "run", "--config", str(config)],
                                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    read_to, ups = 0, 0

    def came_up() -> bool:
        """Whether another start finished since we looked (its "started:" line)."""
        nonlocal read_to, ups
        with log_path.open("rb") as fh:
            fh.seek(read_to)
            new = fh.read()
        read_to += len(new)
        ups += new.count(b"monitor.daemon: started:")
        return ups > kills

    # Killed 2-5 s after each start has finished (a start alone takes seconds on a busy box, and
    # a daemon killed while importing tells nothing).
    proc, kills, hot, hot_spells = start(), 0, False, 0
    begin = time.monotonic()
    next_flap, next_kill = begin + flap, float("inf")
    while time.monotonic() - begin < seconds:
        now = time.monotonic()
        if now >= next_flap:
            hot = not hot
            hot_spells += hot
            value.write_text(f"temperature_celsius,sensor=t value={32 if hot else 22}\n")
            next_flap += flap
        if next_kill == float("inf") and came_up():
            next_kill = now + rng.uniform(2, 5)
        if now >= next_kill:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            proc, next_kill = start(), float("inf")
        time.sleep(0.02)
    value.write_text("temperature_celsius,sensor=t value=22\n")  # cool for good: every resolve is owed

    def settled() -> bool:
        fired, resolved = _episodes(receiver.bodies())
        return bool(fired) and set(fired) <= set(resolved)

    with contextlib.suppress(TimeoutError):  # counted below as resolves lost
        wait_until(settled, 60)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    receiver.stop()
    fired, resolved = _episodes(receiver.bodies())
    pages_twice = sum(n - 1 for n in fired.values())
    resolves_twice = sum(n - 1 for n in resolved.values())
    lost = len(set(fired) - set(resolved))
    print(f"  kill -9 x{kills} in {seconds:.0f}s while the sensor flapped ({hot_spells} hot spells): "
          f"{len(fired)} firing episode(s) paged; pages duplicated {pages_twice}, resolves lost {lost}, "
          f"resolves duplicated {resolves_twice}")


def _episodes(bodies: list[dict[str, Any]]) -> tuple[dict[str, int], dict[str, int]]:
    """Messages per firing episode (by its ``Since:`` time): firing pages, resolve messages."""
    fired: dict[str, int] = {}
    resolved: dict[str, int] = {}
    for body in bodies:
        since = re.search(r"Since: (\S+ \S+)", body.get("message", ""))
        if since is None:
            continue
        target = fired if body.get("type") == "failure" else resolved
        target[since.group(1)] = target.get(since.group(1), 0) + 1
    return fired, resolved


def half_dead(tmp: Path, *, devices: int = 40, seconds: float = 12.0) -> None:
    """The healthy devices' gap between collections with half the devices hanging until their
    timeout, against the same run with every device healthy."""
    gaps = {name: _cycle_gaps(tmp / name, devices, dead, seconds)
            for name, dead in (("all-healthy", 0), ("half-dead", devices // 2))}
    peer, mine = gaps["all-healthy"], gaps["half-dead"]
    print(f"  half of {devices} devices dead (interval 1 s, timeout 2 s, {seconds:.0f}s): healthy "
          f"devices' gap mean {statistics.mean(mine):.3f}s p95 {_p95(mine):.3f}s vs all-healthy "
          f"mean {statistics.mean(peer):.3f}s p95 {_p95(peer):.3f}s: delay ratio (p95) "
          f"{_p95(mine) / _p95(peer):.2f}x")


def _cycle_gaps(tmp: Path, devices: int, dead: int, seconds: float) -> list[float]:
    from monitor import config as config_mod
    from monitor.scheduler import Scheduler
    from monitor.wiring import build_jobs

    tmp.mkdir()
    text = f'state_dir = "{tmp}/state"\n[defaults]\ninterval = "1s"\ntimeout = "2s"\njitter = "1s"\n'
    for i in range(devices):
        command = '["/bin/sleep", "30"]' if i < dead else '["/bin/echo", "bench_up value=1"]'
        text += f'[[devices]]\nname = "d{i:02d}"\nkind = "sensor"\nexec = {{ command = {command} }}\n'
    (tmp / "r.toml").write_text(text)
    settings, _ = config_mod.load(tmp / "r.toml")
    seen: dict[str, list[float]] = {}

    def sink(readings: list[Any]) -> None:
        for r in readings:
            if r.metric == "bench_up":
                seen.setdefault(r.labels["device"], []).append(time.monotonic())

    async def run() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(Scheduler(build_jobs(settings), sink, jitter=1.0).run(stop))
        await asyncio.sleep(seconds)
        stop.set()
        await task

    asyncio.run(run())
    return [b - a for times in seen.values() for a, b in itertools.pairwise(times[2:])]


def _p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]
