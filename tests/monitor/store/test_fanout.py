"""Both stores at once: the daemon writes SQLite (the store of record) and InfluxDB together."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

from monitor import config as config_mod
from monitor import daemon, wiring
from monitor.core.model import Reading
from monitor.store.fanout import FanOut
from monitor.store.sqlite import SQLiteStore
from tests.procs import free_port

from .servers import VictoriaMetrics


def run_daemon_until(config: Path, done: Callable[[], bool], deadline: float = 20.0) -> wiring.Parts:
    settings, _ = config_mod.load(config)
    parts = wiring.build(settings, str(config))
    d = daemon.Daemon(settings, parts, config_path=config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(d.run(signals=False),), daemon=True)
    thread.start()
    try:
        end = time.monotonic() + deadline
        while not done():
            assert time.monotonic() < end, "daemon did not get there in time"
            time.sleep(0.05)
    finally:
        loop.call_soon_threadsafe(d.stop.set)
        thread.join(timeout=20)
        loop.close()
    return parts


def write_config(tmp_path: Path, influx_url: str) -> Path:
    config = tmp_path / "r.toml"
    config.write_text(f'state_dir = "{tmp_path}/state"\n'
                      f'[store.influxdb]\nurl = "{influx_url}"\nflush_interval = "100ms"\ntimeout = "1s"\n'
                      '[store.sqlite]\nflush_interval = "100ms"\n'
                      '[[devices]]\nname = "nms"\nkind = "server"\ninterval = "60s"\nsite = "总部"\n'
                      'local = {}\n')
    return config


def sqlite_ups(tmp_path: Path) -> list[Reading]:
    with SQLiteStore(tmp_path / "state" / "roomwatch.db") as store:
        return store.query("up", 0, time.time() + 60, {"device": "nms"})


def test_daemon_writes_every_reading_to_both_stores(tmp_path: Path) -> None:
    vm = VictoriaMetrics(tmp_path / "vm")
    vm.start()
    try:
        def in_influx() -> bool:
            return any(name == "up_value" for name, _, _ in vm.samples())

        parts = run_daemon_until(write_config(tmp_path, vm.url), in_influx)
        assert isinstance(parts.store, FanOut) and len(parts.store.outputs) == 1
        influx = {(name, labels): values for (name, labels, _), values in vm.samples().items()}
    finally:
        vm.stop()
    [up] = sqlite_ups(tmp_path)
    assert up.value == 1.0 and up.labels["site"] == "总部"
    assert influx[("up_value", tuple(sorted((k, v) for k, v in up.labels.items() if v)))] == [1.0]
    # Everything the local collector read went to both, metric by metric.
    local = {r.metric for r in _all_sqlite(tmp_path)}
    assert {name.removesuffix("_value") for name, _ in influx} >= local


def backlog(tmp_path: Path) -> list[Reading]:
    with SQLiteStore(tmp_path / "state" / "roomwatch.db") as store:
        return [r for r in store.query("output_queued_points", 0, time.time() + 60) if r.value > 0]


def test_an_unreachable_influxdb_never_holds_sqlite_back_and_its_backlog_is_a_reading(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    parts = run_daemon_until(write_config(tmp_path, down),
                             lambda: bool(sqlite_ups(tmp_path)) and bool(backlog(tmp_path)))
    assert isinstance(parts.store, FanOut)
    assert backlog(tmp_path)[-1].labels["output"] == "influxdb"  # rule output_backlog reads this
    [influx] = parts.store.outputs
    stats = influx.stats()  # type: ignore[attr-defined]
    assert stats["sent"] == 0 and stats["queued"] > 0 and stats["dropped"] == 0
    assert (tmp_path / "state" / "influx-queue.db").exists()  # kept for the next start


def _all_sqlite(tmp_path: Path) -> list[Reading]:
    with SQLiteStore(tmp_path / "state" / "roomwatch.db") as store:
        return [r for metric, _ in store.series() for r in store.query(metric, 0, time.time() + 60)]
