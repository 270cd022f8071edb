"""Run an ArpListener on one interface against the test registry; print readings as JSON lines.

Started by the tests inside the bridge namespace (``ip netns exec``); stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time

from collectors.arp import ArpOptions
from collectors.arp.sniff import ArpListener
from monitor.core.bindings import Allow, Binding, Registry
from monitor.core.model import Reading

REGISTRY = Registry(
    [Binding(ip="192.0.2.10", mac="02:00:00:00:00:10", hostname="fin-pc-01", owner="张三")],
    [Allow(kind="gateway", ip="192.0.2.1", mac=["02:00:00:00:00:01", "00:00:5e:00:01:01"])])


def emit(readings: list[Reading]) -> None:
    at = time.time()
    for r in readings:
        print(json.dumps({"metric": r.metric, "value": r.value, "labels": dict(r.labels), "ts": r.ts,
                          "at": at}, ensure_ascii=False), flush=True)


async def main(iface: str) -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    listener = ArpListener(ArpOptions(interfaces=[iface], flood_pps=20), REGISTRY, device="sniffer")
    await listener.run(emit, stop)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
