"""The ``[facility]`` section: working hours of the machine room, stamped on door readings so a
rule can tell a door opened during the working day from one opened at night (003 机房访问制度)."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from collectors.base import Collector
from monitor.core.model import Reading
from monitor.core.windows import Window, active_window

# Readings whose meaning depends on the hour; others pass through untouched.
STAMPED = frozenset({"door_open"})


class FacilitySettings(BaseModel):
    """The ``[facility]`` section."""

    model_config = ConfigDict(extra="forbid")

    working_hours: list[Window] = Field(
        default_factory=list,
        description="When people may be in the room (weekly windows, matched by labels such as room); "
                    "door_open readings get in_hours = 1 inside one, 0 outside. None given: no label, "
                    "and every open door is reported.")


class HoursStamp:
    """Wraps a device's collector: its ``door_open`` readings carry ``in_hours`` = 1 or 0."""

    def __init__(self, inner: Collector, windows: list[Window], labels: Mapping[str, str]) -> None:
        self.inner = inner
        self.windows = windows
        self.labels = dict(labels)

    def __getattr__(self, name: str) -> object:
        # Other parts look at a collector's own attributes (the ARP tables of SSH and SNMP jobs).
        return getattr(self.inner, name)

    async def collect(self, now: float) -> list[Reading]:
        """The inner collector's readings, door readings stamped with the hour they were taken in."""
        out = []
        for r in await self.inner.collect(now):
            if r.metric in STAMPED:
                inside = active_window(self.windows, {**self.labels, **r.labels}, now) is not None
                r = Reading(r.metric, r.value, {**r.labels, "in_hours": "1" if inside else "0"}, r.ts)
            out.append(r)
        return out

    async def close(self) -> None:
        """Close the inner collector."""
        await self.inner.close()
