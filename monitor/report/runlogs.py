"""Row 10 (运行日志): the daily details from the syslog evidence store (counts per device and
severity, the messages that need attention, the day's chain digest, printed so the paper record
keeps it), and the weekly report's section from the readings (messages, brute-force peaks,
configuration saves and cleared logs per device)."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from monitor.report.judge import Loaded, device_of
from monitor.store.evidence import connect
from monitor.store.evidence_check import summary

ATTENTION = 10


def details(path: Path, day: str, zone: dt.tzinfo | None) -> tuple[dict[str, Any], ...]:
    """One dict per device that sent messages on ``day`` (YYYY-MM-DD in the evidence store's
    zone), then up to ``ATTENTION`` messages (err or worse, or catalog events) and the digest."""
    if not path.exists():
        return ()
    try:
        with contextlib.closing(connect(path, readonly=True)) as db:
            day_sum = summary(db, day, attention=ATTENTION)
    except sqlite3.Error:
        return ()  # the row itself is judged from readings; the evidence is shown when readable
    rows: list[dict[str, Any]] = [{"device": device, **counts} for device, counts in day_sum.devices.items()]
    rows += [{"attention": dt.datetime.fromtimestamp(f.received, zone).strftime("%H:%M:%S"),
              "device": f.device, "severity": f.severity, "event": f.event, "text": f.text[:200]}
             for f in day_sum.attention]
    if day_sum.digest:
        rows.append({"digest": day_sum.digest})
    return tuple(rows)


def week_rows(data: Loaded, start: float, end: float) -> list[dict[str, Any]]:
    """One row per device that sent syslog in ``[start, end)``: messages received, the highest
    login-failure burst from one source, configuration saves (outside a window) and cleared logs."""
    rows: dict[str, dict[str, Any]] = {}

    def row(labels: Any) -> dict[str, Any]:
        device = device_of(dict(labels))
        return rows.setdefault(device, {"device": device, "messages": 0, "brute_max": 0, "saves": 0,
                                        "saves_outside": 0, "cleared": 0})
    for metric, field in (("syslog_messages", "messages"), ("login_failures_recent", "brute_max"),
                          ("config_saved", "saves"), ("device_log_cleared", "cleared")):
        for r in data.rollups.get(metric, []):
            if not start <= r.hour < end:
                continue
            mine = row(r.labels)
            if field == "brute_max":
                mine[field] = max(mine[field], int(r.max))
            elif field == "messages":
                mine[field] += round(r.avg * r.count)  # each reading is the count since the last
            else:
                mine[field] += r.count  # each reading is one event
                if field == "saves" and r.labels.get("in_window") != "1":
                    mine["saves_outside"] += r.count
    return sorted(rows.values(), key=lambda r: r["device"])
