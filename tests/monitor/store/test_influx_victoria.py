"""The InfluxDB output against a real VictoriaMetrics (InfluxDB v2 write API) on loopback."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.core.model import Alert, AlertState, Reading, Severity
from monitor.store.influx import InfluxOutput
from monitor.store.settings import InfluxSettings
from monitor.store.spool import Spool

from .servers import VictoriaMetrics

BASE = 1_700_000_000.0


@pytest.fixture
def vm(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    server = VictoriaMetrics(tmp_path / "vm")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def settings(url: str, **kw: object) -> InfluxSettings:
    return InfluxSettings.model_validate({"url": url, "bucket": "roomwatch", "flush_interval": "50ms",
                                          "timeout": "2s", **kw})


def wait_drained(out: InfluxOutput, deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while out.stats()["queued"] and time.monotonic() < end:
        time.sleep(0.02)
    assert out.stats()["queued"] == 0, out.stats()


def batch(i: int, devices: int = 20) -> list[Reading]:
    """Poll ``i`` of a small room: one reading per device and two interfaces, distinct timestamps."""
    out = []
    for d in range(devices):
        labels = {"device": f"sw-{d:02d}", "kind": "switch", "site": "总部", "room": "A 机房",
                  "level": "core"}
        ts = BASE + i * 60 + d / 1000
        out.append(Reading("up", 1.0, labels, ts))
        for port in ("Gi0/0/1", "Gi0/0/2"):
            out.append(Reading("if_in_bps", i * 1000.0 + d, {**labels, "ifname": port}, ts))
    return out


def expected(batches: range) -> dict[tuple[str, tuple[tuple[str, str], ...], int], list[float]]:
    want: dict[tuple[str, tuple[tuple[str, str], ...], int], list[float]] = {}
    for i in batches:
        for r in batch(i):
            want[(f"{r.metric}_value", tuple(sorted(r.labels.items())), round(r.ts * 1000))] = [r.value]
    return want


def test_points_read_back_exactly_as_written(vm: VictoriaMetrics, tmp_path: Path) -> None:
    out = InfluxOutput(settings(vm.url), tmp_path / "queue.db")
    readings = [Reading("temperature_celsius", 23.25, {"device": "th 1", "room": "A,B", "sensor": "s=1",
                                                       "site": "总部"}, BASE),
                Reading("config_changed", 1.0, {"device": "core", "in_window": "0", "diff": "- a\n+ b",
                                                "version": "7"}, BASE + 1)]
    alert = Alert(rule="room_temperature_high", labels={"device": "th 1", "room": "A,B"},
                  state=AlertState.FIRING, severity=Severity.CRITICAL, value=29.5, active_at=BASE,
                  fired_at=BASE + 300, summary="机房温度 29.5 °C", clause="003")
    out.write(readings)
    out.write_alerts([alert])
    out.close()
    # The alert is two points: `alerts` and the `alert_text` that carries its strings as tags.
    assert out.stats() == {"sent": 4, "rejected": 0, "queued": 0, "dropped": 0}
    got = vm.samples()
    assert got[("temperature_celsius_value",
                (("device", "th 1"), ("room", "A,B"), ("sensor", "s=1"), ("site", "总部")),
                round(BASE * 1000))] == [23.25]
    # Free text travels as string fields, which never become series: no `diff` label anywhere.
    changed = ("config_changed_value", (("device", "core"), ("in_window", "0")), round((BASE + 1) * 1000))
    assert got[changed] == [1.0]
    alert_tags = (("device", "th 1"), ("room", "A,B"), ("rule", "room_temperature_high"),
                  ("severity", "critical"), ("state", "firing"))
    assert got[("alerts_firing", alert_tags, round((BASE + 300) * 1000))] == [1.0]
    assert got[("alerts_value", alert_tags, round((BASE + 300) * 1000))] == [29.5]
    assert not any("diff" in dict(labels) for _, labels, _ in got)
    text_tags = (("clause", "003"), ("fingerprint", alert.fingerprint), ("state", "firing"),
                 ("summary", "机房温度 29.5 °C"))
    assert got[("alert_text_fired_at", text_tags, round((BASE + 300) * 1000))] == [BASE + 300]


def test_server_stopped_mid_stream_and_daemon_restarted_every_point_arrives_once(
        vm: VictoriaMetrics, tmp_path: Path) -> None:
    queue = tmp_path / "queue.db"
    out = InfluxOutput(settings(vm.url, batch_size=50), queue)
    for i in range(0, 10):
        out.write(batch(i))
    wait_drained(out)
    vm.stop()  # the server goes away while roomwatch keeps writing
    for i in range(10, 25):
        out.write(batch(i))
    out.close()  # and roomwatch restarts while it is still away: the queue is on disk
    assert out.stats()["queued"] == 15 * 60 and out.stats()["dropped"] == 0

    out = InfluxOutput(settings(vm.url, batch_size=50), queue)
    assert out.stats()["queued"] == 15 * 60
    writer = threading.Thread(target=lambda: [out.write(batch(i)) for i in range(25, 40)])
    writer.start()
    vm.start()
    writer.join()
    for i in range(40, 45):
        out.write(batch(i))
    wait_drained(out)
    out.close()
    got = vm.samples()
    assert got == expected(range(45))  # every point, each exactly once, nothing else


def test_queue_replays_in_the_order_points_were_written(vm: VictoriaMetrics, tmp_path: Path) -> None:
    queue = tmp_path / "queue.db"
    vm.stop()
    out = InfluxOutput(settings(vm.url, batch_size=20), queue)
    for i in range(6):
        out.write(batch(i, devices=5))
        out.flush()
    out.close()
    spool = Spool(queue, max_points=10**6)
    bodies = []
    while (b := spool.peek()) is not None:
        bodies.extend(gzip.decompress(b.body).decode().splitlines())
        spool.pop(b)
    spool.close()
    stamps = [int(line.rsplit(" ", 1)[1]) for line in bodies]
    assert len(stamps) == 6 * 15 and stamps == sorted(stamps)
