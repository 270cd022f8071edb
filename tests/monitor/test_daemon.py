"""The daemon in-process: a pushed event is judged and told at once, not at the next tick."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

from monitor import config as config_mod
from monitor import daemon, wiring
from monitor.core.model import Reading


class OneSpoof:
    """A push source that reports one gateway impersonation shortly after start."""

    emitted_at = 0.0

    async def run(self, emit, stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.3)
        OneSpoof.emitted_at = time.monotonic()
        labels = {"device": "nms", "kind": "server", "ip": "198.51.100.1", "mac": "02:00:00:00:00:66"}
        emit([Reading("arp_gateway_spoof", 1.0, labels, time.time())])
        await stop.wait()


def test_pushed_event_reaches_the_receiver_within_a_second(tmp_path: Path, receiver) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "r.toml"
    config.write_text(f'state_dir = "{tmp_path}/state"\n[rules]\nevaluate_interval = "60s"\n'
                      f'[notify]\nurls = ["{receiver.url}"]\n'
                      '[[devices]]\nname = "nms"\nkind = "server"\ninterval = "60s"\nlocal = {}\n')
    settings, _ = config_mod.load(config)
    parts = wiring.build(settings, "r.toml")
    parts.listeners = [OneSpoof()]
    d = daemon.Daemon(settings, parts, config_path=config)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(d.run(signals=False),), daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        deadline = started + 10
        while time.monotonic() < deadline and not receiver.bodies():
            time.sleep(0.02)
        told_at = time.monotonic()
        [body] = receiver.bodies()
        assert told_at - OneSpoof.emitted_at < 1.0  # the 60 s evaluation tick never came
        assert "198.51.100.1" in body["message"] or "198.51.100.1" in body["title"]
    finally:
        loop.call_soon_threadsafe(d.stop.set)
        thread.join(timeout=15)
        loop.close()
