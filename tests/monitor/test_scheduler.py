"""The scheduler: a hung device gives up 0 after its own timeout and never delays others."""

import asyncio
import random

from monitor.core.errors import CollectError
from monitor.core.model import Reading
from monitor.scheduler import Job, Scheduler, collect_once


class Fast:
    async def collect(self, now: float) -> list[Reading]:
        return [Reading("temperature_celsius", 22.0, {"sensor": "a", "device": "spoof"}, now)]

    async def close(self) -> None:
        pass


class Hung:
    async def collect(self, now: float) -> list[Reading]:
        await asyncio.sleep(3600)
        return []

    async def close(self) -> None:
        pass


class Broken:
    async def collect(self, now: float) -> list[Reading]:
        raise CollectError("exec x: refused")

    async def close(self) -> None:
        pass


def _job(name: str, collector: object, interval: float = 0.1, timeout: float = 0.05) -> Job:
    return Job(device=name, labels={"device": name, "kind": "sensor"}, collector=collector,  # type: ignore[arg-type]
               interval=interval, timeout=timeout)


def test_collect_once_adds_device_labels_and_up() -> None:
    readings = asyncio.run(collect_once(_job("th-1", Fast()), 5.0))
    assert [(r.metric, r.value, dict(r.labels)) for r in readings] == [
        ("temperature_celsius", 22.0, {"sensor": "a", "device": "th-1", "kind": "sensor"}),
        ("up", 1.0, {"device": "th-1", "kind": "sensor"}),
    ]


def test_inventory_constants_ride_along_only_when_the_device_answered() -> None:
    job = _job("ups-1", Fast())
    job.constants = {"ups_design_runtime_minutes": 30.0}
    readings = asyncio.run(collect_once(job, 5.0))
    assert ("ups_design_runtime_minutes", 30.0) in [(r.metric, r.value) for r in readings]
    job.collector = Broken()
    assert [r.metric for r in asyncio.run(collect_once(job, 5.0))] == ["up"]


def test_failures_become_up_zero() -> None:
    for collector in (Hung(), Broken()):
        [up] = asyncio.run(collect_once(_job("d", collector), 5.0))
        assert (up.metric, up.value) == ("up", 0.0)


def test_one_hung_device_never_delays_the_others() -> None:
    got: list[Reading] = []
    jobs = [_job("hung", Hung(), interval=0.1, timeout=0.3)]
    jobs += [_job(f"fast-{i}", Fast(), interval=0.1, timeout=0.3) for i in range(9)]
    scheduler = Scheduler(jobs, got.extend, jitter=0.0, rng=random.Random(1))

    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(1.0, stop.set)
        await scheduler.run(stop)

    asyncio.run(main())
    ups = [(r.labels["device"], r.value) for r in got if r.metric == "up"]
    for i in range(9):
        assert ups.count((f"fast-{i}", 1.0)) >= 8  # ~10 ticks in 1 s, none lost to the hung one
    assert ("hung", 0.0) in ups
    assert ("hung", 1.0) not in ups
    assert jobs[0].skipped > 0  # ticks while its collection was still running were skipped
