"""The newest value of the readings the overview shows, per device, fed by the daemon's sink."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.core.model import Reading

SHOWN = ("up", "temperature_celsius", "humidity_percent", "ups_on_battery",
         "ups_battery_capacity_percent", "ups_battery_runtime_minutes", "ups_output_load_percent")
"""Metrics the overview lists per device (rooms: temperature, humidity; UPS)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Value:
    """One shown reading: its value, when, and what tells it apart on the device (sensor)."""

    metric: str
    value: float
    ts: float
    detail: str = ""


@dataclass(kw_only=True)
class Latest:
    """Per device: the newest shown readings. Costs one dict lookup per reading it does not show."""

    devices: dict[str, dict[tuple[str, str], Value]] = field(default_factory=dict)

    def update(self, readings: Iterable[Reading]) -> None:
        """Keep the newest of each shown series."""
        shown = _SHOWN
        for r in readings:
            if r.metric not in shown:
                continue
            device = r.labels.get("device", "?")
            detail = r.labels.get("sensor", "") or r.labels.get("unit", "")
            mine = self.devices.setdefault(device, {})
            key = (r.metric, detail)
            old = mine.get(key)
            if old is None or old.ts <= r.ts:
                mine[key] = Value(metric=r.metric, value=r.value, ts=r.ts, detail=detail)

    def of(self, device: str) -> list[Value]:
        """The device's shown readings in the order of ``SHOWN``."""
        values = self.devices.get(device, {}).values()
        return sorted(values, key=lambda v: (SHOWN.index(v.metric), v.detail))

    def up(self, device: str) -> float | None:
        """The device's newest ``up`` (None: never polled since start)."""
        value = self.devices.get(device, {}).get(("up", ""))
        return None if value is None else value.value


_SHOWN = frozenset(SHOWN)
