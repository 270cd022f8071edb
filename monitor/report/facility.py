"""The weekly report's facility section: air conditioners, water, smoke, doors and PDUs per
device, counted from the week's episodes (a device without such readings is not listed)."""

from __future__ import annotations

from typing import Any

from monitor.report.items import Check, Item
from monitor.report.judge import Loaded, device_of, episodes
from monitor.store.base import Store

# (key, check): each abnormal episode of the check counts once for its device.
EVENTS: tuple[tuple[str, Check], ...] = (
    ("ac_stopped", Check(metric="ac_running", low=0.5)),
    ("ac_alarm", Check(metric="ac_alarm", high=0.5)),
    ("water_leak", Check(metric="water_leak", high=0.5)),
    ("smoke", Check(metric="smoke_detected", high=0.5)),
    ("door_open", Check(metric="door_open", high=0.5)),
    ("door_after_hours", Check(metric="door_open", high=0.5, match=(("in_hours", "0"),))),
    ("door_forced", Check(metric="door_forced", high=0.5)),
)
METRICS = ("door_open", "door_forced", "pdu_phase_current_amperes", "ac_supply_temperature_celsius",
           "ac_return_temperature_celsius")


def facility_rows(store: Store, data: Loaded, item: Item, start: float, end: float) -> list[dict[str, Any]]:
    """One row per device that reported any facility metric this week."""
    rows: dict[str, dict[str, Any]] = {}

    def row(device: str) -> dict[str, Any]:
        return rows.setdefault(device, {"device": device, **{k: 0 for k, _ in EVENTS},
                                        "ac_stopped_s": 0.0, "max_phase_current": None,
                                        "max_supply": None, "max_return": None})

    for metric in {c.metric for _, c in EVENTS}:
        for rollup in data.rollups.get(metric, []):
            row(device_of(dict(rollup.labels)))
    for key, check in EVENTS:
        for found in episodes(store, data, item, check, start, end):
            mine = row(found.device)
            mine[key] += 1
            if key == "ac_stopped":
                mine["ac_stopped_s"] += (found.end if found.end is not None else end) - found.start
    for metric, key in (("pdu_phase_current_amperes", "max_phase_current"),
                        ("ac_supply_temperature_celsius", "max_supply"),
                        ("ac_return_temperature_celsius", "max_return")):
        for rollup in data.rollups.get(metric, []):
            mine = row(device_of(dict(rollup.labels)))
            mine[key] = rollup.max if mine[key] is None else max(mine[key], rollup.max)
    return [rows[d] for d in sorted(rows)]
