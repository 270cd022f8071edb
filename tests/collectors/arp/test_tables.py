"""Switch/router tables join the observation stream through the listener's table sources."""

from __future__ import annotations

import asyncio

from collectors.arp import ArpOptions
from collectors.arp.sniff import ArpListener
from collectors.arp.sources import StaticTable
from monitor.core.bindings import Binding, Registry
from monitor.core.model import Reading

REGISTRY = Registry([Binding(ip="192.0.2.10", mac="02:00:00:00:00:10", owner="张三", switch="acc-1",
                             port="GE0/0/5")])


def test_table_rows_are_judged_like_frames() -> None:
    table = StaticTable("core-sw", interval=60.0, rows=[
        ("192.0.2.10", "0200-0000-0010", "acc-1", "GE0/0/7", 0, 1.0),    # moved off its port
        ("192.0.2.50", "02:00:00:00:00:50", "", "", 20, 1.0)])           # unknown device
    listener = ArpListener(ArpOptions(), REGISTRY, device="nms-01", tables=[table])
    got: list[Reading] = []

    async def go() -> None:
        stop = asyncio.Event()

        def emit(readings: list[Reading]) -> None:
            got.extend(readings)
            stop.set()

        await asyncio.wait_for(listener.run(emit, stop), timeout=10)

    asyncio.run(go())
    assert sorted((r.metric, r.labels["mac"], r.labels["device"]) for r in got) == [
        ("arp_mac_moved", "02:00:00:00:00:10", "acc-1"),
        ("arp_unknown_mac", "02:00:00:00:00:50", "nms-01")]
    moved = next(r for r in got if r.metric == "arp_mac_moved")
    assert moved.labels["from_port"] == "GE0/0/5" and moved.labels["owner"] == "张三"


def test_a_broken_table_does_not_stop_the_listener() -> None:
    class Broken:
        name, interval = "bad-sw", 60.0

        async def read(self, now: float) -> list:
            raise OSError("unreachable")

    listener = ArpListener(ArpOptions(), REGISTRY, device="nms-01", tables=[Broken()])

    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(listener.run(lambda r: None, stop))
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, timeout=10)

    asyncio.run(go())
