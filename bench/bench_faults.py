"""Fault runs (issue 13): what is lost or told twice when the parts around roomwatch fail.

1. The InfluxDB-compatible store (VictoriaMetrics) down for 10 minutes of polling at full write
   rate (1,000 devices x 10 metrics every 10 s, written as fast as the output takes them):
   points lost, points duplicated.
2. The notifier (a local HTTP receiver) down for 10 minutes while 120 alerts fire and resolve,
   on the dispatcher's own simulated clock: messages lost, duplicated.
3. ``kill -9`` of the real daemon every 2-5 s for two minutes while a sensor flaps: pages told
   twice, resolves never told.
4. Half the devices dead (their command hangs until the timeout): the healthy devices' cycle,
   against the same run with every device healthy.
Everything runs on loopback; the run takes a few minutes (case 3 is two real minutes).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_700_000_000.0


def influx_down(tmp: Path) -> None:
    from bench.faults_parts import wait_until
    from monitor.config import InfluxSettings
    from monitor.core.model import Reading
    from monitor.store.influx import InfluxOutput
    from tests.monitor.store.servers import VictoriaMetrics

    devices, metrics, step = 1000, 10, 10.0
    before, down, after = 6, 60, 6  # rounds of 10 s: 1 min up, 10 min down, 1 min up

    def round_of(i: int) -> list[Reading]:
        return [Reading(f"bench_m{m}", float(i), {"device": f"d{d:04d}"}, T0 + i * step)
                for d in range(devices) for m in range(metrics)]

    vm = VictoriaMetrics(tmp / "vm")
    vm.start()
    out = InfluxOutput(InfluxSettings.model_validate({"url": vm.url, "flush_interval": "200ms"}),
                       tmp / "influx-queue.db", first_backoff=0.05)
    try:
        for i in range(before):
            out.write(round_of(i))
        out.flush()
        wait_until(lambda: out.stats()["queued"] == 0, 120)
        vm.stop()
        started = time.perf_counter()
        for i in range(before, before + down):
            out.write(round_of(i))
        out.flush()
        written_down = time.perf_counter() - started
        vm.start()
        for i in range(before + down, before + down + after):
            out.write(round_of(i))
        out.flush()
        total = (before + down + after) * devices * metrics
        drained = wait_until(lambda: out.stats()["queued"] == 0 and out.stats()["sent"] >= total, 600)
        stats = out.stats()
    finally:
        out.close()
    expected = {(f"bench_m{m}_value", (("device", f"d{d:04d}"),), round((T0 + i * step) * 1000))
                for i in range(before + down + after) for d in range(devices) for m in range(metrics)}
    try:
        # New series become searchable a little after VictoriaMetrics took them: look again
        # before calling a point lost.
        for _ in range(6):
            samples = vm.samples()
            if not expected - samples.keys():
                break
            time.sleep(5)
    finally:
        vm.stop()
    missing = expected - samples.keys()
    lost = len(missing)
    by_round: dict[int, int] = {}
    for _, _, ts in missing:
        key = int((ts / 1000 - T0) / step)
        by_round[key] = by_round.get(key, 0) + 1
    duplicated = sum(len(v) - 1 for k, v in samples.items() if k in expected)
    print(f"  influx down 10 min: {total:,} points ({down * devices * metrics:,} written while down, "
          f"in {written_down:.1f}s wall, {(down * devices * metrics) / max(written_down, 1e-9):,.0f}/s); "
          f"drained {drained:.1f}s after restart; lost {lost}, duplicated {duplicated}, "
          f"dropped by the queue {stats['dropped']}, rejected {stats['rejected']}"
          + (f"; missing by 10-s round: {sorted(by_round.items())[:12]}" if by_round else ""))


def notifier_down(tmp: Path) -> None:
    from alerts.config import NotifySettings
    from alerts.dispatch import Dispatcher
    from alerts.notifiers.apprise import from_settings
    from alerts.outbox import Outbox
    from bench.faults_parts import Receiver
    from monitor.core.model import Alert, AlertState, Severity

    receiver = Receiver()
    notify = NotifySettings.model_validate({
        "lang": "en", "receivers": [{"name": "duty", "urls": [receiver.url]}],
        "routes": [{"receiver": "duty", "group_by": ["device"], "group_wait": "0s",
                    "group_interval": "0s", "repeat_interval": "24h"}],
        "retry_initial": "5s", "retry_max": "60s"})
    d = Dispatcher(Outbox(tmp / "alerts.db"), from_settings(notify), settings=notify)
    n, down_s = 120, 600
    events: dict[int, list[Alert]] = {}
    for i in range(n):  # one alert every 5 s; each resolves 1-5 min later (some after the outage)
        fire = Alert(rule="room_temperature", labels={"device": f"th-{i:03d}", "kind": "sensor"},
                     state=AlertState.FIRING, severity=Severity.WARNING, value=31.0,
                     active_at=T0 + i * 5, fired_at=T0 + i * 5, summary="hot")
        done = replace(fire, state=AlertState.RESOLVED, resolved_at=T0 + i * 5 + 60 + (i % 5) * 60)
        events.setdefault(int(fire.fired_at - T0), []).append(fire)
        events.setdefault(int(done.resolved_at - T0), []).append(done)  # type: ignore[operator]
    loop = asyncio.new_event_loop()
    receiver.stop()  # down from the start for ten minutes
    try:
        for second in range(down_s + 1800):
            if second == down_s:
                receiver.start()
            now = T0 + second
            if second in events:
                d.submit(events[second], now)
            loop.run_until_complete(d.deliver(now))
            if second > down_s + 600 and not d.outbox.pending():
                break
        left = d.outbox.pending()
    finally:
        loop.close()
        d.outbox.close()
        receiver.stop()
    told: dict[tuple[str, str], int] = {}
    for body in receiver.bodies():
        device = re.search(r"th-\d{3}", body["title"])
        key = (device.group(0) if device else "?", body["type"])
        told[key] = told.get(key, 0) + 1
    expected = {(f"th-{i:03d}", kind) for i in range(n) for kind in ("failure", "success")}
    lost = len(expected - told.keys())
    duplicated = sum(c - 1 for c in told.values())
    print(f"  notifier down 10 min: {n} alerts fired and resolved, {2 * n} messages owed; "
          f"lost {lost}, duplicated {duplicated}, left in the outbox {left}")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    logging.disable(logging.ERROR)  # the faults are on purpose: their warnings are the point
    from bench.faults_parts import half_dead, kill_9_flapping

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        for case in (influx_down, notifier_down, kill_9_flapping, half_dead):
            (tmp / case.__name__).mkdir()
            started = time.perf_counter()
            case(tmp / case.__name__)
            print(f"    ({time.perf_counter() - started:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
