"""Judged on arrival (issue 16 item 1): a polled reading that crosses a threshold reaches the
receiver within a second of reaching the daemon, with rules evaluated only every 60 s."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from monitor import config as config_mod
from monitor import daemon, wiring
from monitor.core.model import Reading


def test_a_polled_breach_is_told_within_a_second_not_at_the_next_tick(tmp_path: Path, receiver) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "r.toml"
    path.write_text(
        f'state_dir = "{tmp_path}/state"\n[rules]\nevaluate_interval = "60s"\n'
        f'[notify]\nurls = ["{receiver.url}"]\n'  # the shorthand route: group_wait = 0
        '[[devices]]\nname = "th-1"\nkind = "sensor"\nroom = "一号机房"\ninterval = "60s"\n'
        'exec = { command = ["echo", "temperature_celsius,sensor=t1 value=30.5"] }\n', encoding="utf-8")
    settings, _ = config_mod.load(path)
    d = daemon.Daemon(settings, wiring.build(settings, "r.toml"), config_path=path)
    arrived: list[float] = []
    sink = d.sink

    def timed(readings: list[Reading]) -> None:
        if any(r.metric == "temperature_celsius" for r in readings) and not arrived:
            arrived.append(time.monotonic())
        sink(readings)

    d.sink = timed  # type: ignore[method-assign]
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(d.run(signals=False),), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not receiver.bodies():
            time.sleep(0.01)
        told = time.monotonic()
        [body] = receiver.bodies()
        assert "th-1" in body["title"] + body["message"]
        assert arrived and told - arrived[0] < 1.0  # the 60 s evaluation tick was not waited for
    finally:
        loop.call_soon_threadsafe(d.stop.set)
        thread.join(timeout=15)
        loop.close()
