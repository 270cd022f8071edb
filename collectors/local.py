"""Read the host the daemon runs on through psutil: load, memory, disks, temperatures, RAID."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pydantic import Field

from collectors.base import DeviceInfo, Shared
from collectors.parsers import mdstat
from monitor.core.durations import Duration
from monitor.core.model import Reading
from monitor.core.options import PluginOptions

log = logging.getLogger(__name__)

SAMPLE = """\
# The host roomwatch runs on: `local = {}` (its options are optional); a device without a
# transport sub-table is a config error, never silently this host.
[[devices]]
name = "nms-01"
kind = "server"
room = "一号机房"
level = 2
[devices.local]
ignore_fstypes = ["tmpfs", "devtmpfs", "squashfs", "iso9660"]   # file systems whose use is not reported
ignore_mounts = []                                            # mount points whose use is not reported
mdstat = "/proc/mdstat"                                       # where the software RAID state is read
cpu_sample = "500ms"     # the first collection (e.g. `roomwatch check`) measures CPU use over this
"""


class LocalOptions(PluginOptions):
    """Options for the host roomwatch runs on (the optional ``local`` sub-table)."""

    ignore_fstypes: list[str] = Field(
        default_factory=lambda: ["tmpfs", "devtmpfs", "squashfs", "iso9660"],
        description="File-system types whose use is not reported.",
    )
    ignore_mounts: list[str] = Field(
        default_factory=list, description="Mount points whose use is not reported."
    )
    mdstat: str = Field("/proc/mdstat", description="Where the software RAID state is read.")
    cpu_sample: Duration = Field(
        0.5, description="The first collection, with no earlier one to compare with (a one-shot "
        "`roomwatch check`), measures CPU use over this interval; later ones since the last.")


Options = LocalOptions


def build(device: DeviceInfo, options: LocalOptions, shared: Shared) -> LocalCollector:
    """The collector of this host."""
    return LocalCollector(device.name, options)


@dataclass(frozen=True, slots=True)
class CpuTimes:
    """Cumulative CPU seconds: busy and total, as the kernel counts them."""

    busy: float
    total: float


class HostOS(Protocol):
    """What the local collector asks of the OS; tests hand in recorded answers."""

    def cpu_times(self) -> CpuTimes: ...
    def memory_percent(self) -> float: ...
    def mounts(self) -> list[tuple[str, str]]: ...
    def disk_used_percent(self, mount: str) -> float: ...
    def boot_time(self) -> float: ...
    def load_average(self) -> tuple[float, float, float]: ...
    def temperatures(self) -> Mapping[str, list[tuple[str, float]]]: ...
    def read_text(self, path: str) -> str | None: ...


class PsutilOS:
    """The real host, through psutil."""

    def cpu_times(self) -> CpuTimes:
        import psutil

        times = psutil.cpu_times()
        idle = times.idle + getattr(times, "iowait", 0.0)
        total = sum(times)
        return CpuTimes(busy=total - idle, total=total)

    def memory_percent(self) -> float:
        import psutil

        return float(psutil.virtual_memory().percent)

    def mounts(self) -> list[tuple[str, str]]:
        import psutil

        return [(p.mountpoint, p.fstype) for p in psutil.disk_partitions(all=False)]

    def disk_used_percent(self, mount: str) -> float:
        import psutil

        return float(psutil.disk_usage(mount).percent)

    def boot_time(self) -> float:
        import psutil

        return float(psutil.boot_time())

    def load_average(self) -> tuple[float, float, float]:
        import psutil

        one, five, fifteen = psutil.getloadavg()
        return one, five, fifteen

    def temperatures(self) -> Mapping[str, list[tuple[str, float]]]:
        import psutil

        read = getattr(psutil, "sensors_temperatures", None)
        if read is None:
            return {}
        return {chip: [(t.label, t.current) for t in temps] for chip, temps in read().items()}

    def read_text(self, path: str) -> str | None:
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None


class LocalCollector:
    """The host the daemon runs on. CPU use is measured between two collections (the first one
    over ``cpu_sample``)."""

    def __init__(self, device: str, options: LocalOptions | None, *, host: HostOS | None = None):
        self.device = device
        self.options = options or LocalOptions()
        self.host: HostOS = host or PsutilOS()
        self._last_cpu: CpuTimes | None = None

    async def collect(self, now: float) -> list[Reading]:
        """Everything psutil tells; parts the OS lacks are left out, not errors."""
        out: list[Reading] = []

        def add(metric: str, value: float, **labels: str) -> None:
            out.append(Reading(metric, float(value), labels, now))

        cpu = self.host.cpu_times()
        if self._last_cpu is None:
            # CPU use is a difference of two samples; the first collection has no earlier one.
            await asyncio.sleep(self.options.cpu_sample)
            self._last_cpu, cpu = cpu, self.host.cpu_times()
        if self._last_cpu is not None and cpu.total > self._last_cpu.total:
            busy = cpu.busy - self._last_cpu.busy
            add("cpu_percent", round(100.0 * busy / (cpu.total - self._last_cpu.total), 2))
        self._last_cpu = cpu
        add("memory_percent", self.host.memory_percent())
        seen: set[str] = set()
        for mount, fstype in self.host.mounts():
            if fstype in self.options.ignore_fstypes or mount in self.options.ignore_mounts:
                continue
            if mount in seen:
                continue
            seen.add(mount)
            try:
                add("disk_used_percent", self.host.disk_used_percent(mount), mount=mount)
            except OSError as err:
                log.debug("local %s: disk usage of %s: %s", self.device, mount, err)
        add("uptime_seconds", max(0.0, now - self.host.boot_time()))
        for period, value in zip(("load1", "load5", "load15"), self.host.load_average(), strict=True):
            add(period, value)
        for chip, temps in self.host.temperatures().items():
            for index, (label, current) in enumerate(temps):
                add("temperature_celsius", current, sensor=f"{chip}/{label or index}")
        text = self.host.read_text(self.options.mdstat)
        if text:
            for array in mdstat.parse(text):
                add("raid_degraded", 1.0 if array.degraded else 0.0, array=array.name)
        return out

    async def close(self) -> None:
        """Nothing to release."""

