"""Parse ``smartctl -j`` (smartmontools JSON): overall health, temperature, power-on hours."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Disk:
    """One disk's SMART verdict; fields the drive does not report are None."""

    name: str
    healthy: bool | None
    temperature_celsius: float | None
    power_on_hours: float | None


def scan(text: str) -> list[str]:
    """Device paths from ``smartctl --scan -j``."""
    try:
        data = json.loads(text)
    except ValueError:
        return []
    return [d["name"] for d in data.get("devices", []) if isinstance(d, dict) and d.get("name")]


def parse(text: str) -> Disk | None:
    """One disk from ``smartctl -j -H -A DEV``; None when the output is not smartctl JSON."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or "device" not in data:
        return None
    status = data.get("smart_status")
    healthy = bool(status["passed"]) if isinstance(status, dict) and "passed" in status else None
    temp = data.get("temperature", {}).get("current")
    hours = data.get("power_on_time", {}).get("hours")
    return Disk(
        name=str(data["device"].get("name", "?")),
        healthy=healthy,
        temperature_celsius=float(temp) if isinstance(temp, int | float) else None,
        power_on_hours=float(hours) if isinstance(hours, int | float) else None,
    )
