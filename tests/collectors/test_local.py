"""The local collector on recorded host data (full and minimal) and on this real host."""

import asyncio
import json
from collections.abc import Mapping
from pathlib import Path

from collectors.local import CpuTimes, LocalCollector, LocalOptions, PsutilOS
from collectors.parsers import mdstat

DATA = Path(__file__).parent / "data"


class RecordedOS:
    """Answers from a recorded JSON file; cpu_times advances one sample per call."""

    def __init__(self, name: str) -> None:
        self.rec = json.loads((DATA / name).read_text())
        self.calls = 0

    def cpu_times(self) -> CpuTimes:
        busy, total = self.rec["cpu_times"][min(self.calls, len(self.rec["cpu_times"]) - 1)]
        self.calls += 1
        return CpuTimes(busy=busy, total=total)

    def memory_percent(self) -> float:
        return float(self.rec["memory_percent"])

    def mounts(self) -> list[tuple[str, str]]:
        return [tuple(m) for m in self.rec["mounts"]]  # type: ignore[misc]

    def disk_used_percent(self, mount: str) -> float:
        return float(self.rec["disk_used_percent"][mount])

    def boot_time(self) -> float:
        return float(self.rec["boot_time"])

    def load_average(self) -> tuple[float, float, float]:
        a, b, c = self.rec["load_average"]
        return a, b, c

    def temperatures(self) -> Mapping[str, list[tuple[str, float]]]:
        return {k: [(lab, v) for lab, v in vals] for k, vals in self.rec["temperatures"].items()}

    def read_text(self, path: str) -> str | None:
        name = self.rec["mdstat_file"]
        return (DATA / name).read_text() if name else None


def _by_key(readings):  # type: ignore[no-untyped-def]
    return {(r.metric, tuple(sorted(r.labels.items()))): r.value for r in readings}


def test_full_host() -> None:
    c = LocalCollector("nms-01", LocalOptions(cpu_sample=0), host=RecordedOS("host_full.json"))
    first = _by_key(asyncio.run(c.collect(1795400000.0)))
    # The first collection samples CPU twice itself (a one-shot check has no earlier one).
    assert first[("cpu_percent", ())] == 25.0
    second = _by_key(asyncio.run(c.collect(1795400060.0)))
    assert second[("memory_percent", ())] == 61.3
    assert second[("disk_used_percent", (("mount", "/data"),))] == 91.2
    assert ("disk_used_percent", (("mount", "/run"),)) not in second  # tmpfs ignored
    assert second[("uptime_seconds", ())] == 1795400060.0 - 1795398110.0
    assert second[("load1", ())] == 0.52
    assert second[("temperature_celsius", (("sensor", "coretemp/Package id 0"),))] == 48.0
    assert second[("temperature_celsius", (("sensor", "acpitz/0"),))] == 27.8
    raid = {k[1][0][1]: v for k, v in second.items() if k[0] == "raid_degraded"}
    assert raid == {"md0": 1.0, "md1": 0.0, "md2": 0.0, "md3": 1.0, "md4": 0.0}


def test_minimal_host_leaves_out_what_it_lacks() -> None:
    c = LocalCollector("vm", LocalOptions(cpu_sample=0), host=RecordedOS("host_minimal.json"))
    asyncio.run(c.collect(0.0))
    metrics = {r.metric for r in asyncio.run(c.collect(60.0))}
    assert metrics == {"memory_percent", "disk_used_percent", "uptime_seconds",
                       "load1", "load5", "load15"}  # equal cpu totals: no division by zero


def test_real_host() -> None:
    c = LocalCollector("here", LocalOptions(cpu_sample=0.05), host=PsutilOS())
    first = {r.metric for r in asyncio.run(c.collect(0.0))}
    assert "cpu_percent" in first  # a one-shot check of this host has it
    readings = asyncio.run(c.collect(1.0))
    metrics = {r.metric for r in readings}
    assert {"memory_percent", "disk_used_percent", "uptime_seconds", "load1"} <= metrics
    for r in readings:
        if r.metric.endswith("_percent"):
            assert 0.0 <= r.value <= 100.0


def test_mdstat_healthy() -> None:
    arrays = mdstat.parse((DATA / "mdstat_healthy.txt").read_text())
    assert [(a.name, a.level, a.degraded, a.members_up, a.members_total) for a in arrays] == [
        ("md0", "raid1", False, 2, 2)]
