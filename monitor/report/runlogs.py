"""Row 10 (运行日志) details from the syslog evidence store: counts per device and severity, the
messages that need attention, and the day's chain digest (printed, so the paper record keeps it)."""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

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
