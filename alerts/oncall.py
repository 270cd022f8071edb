"""The on-call rota: who is on duty at a moment (weekly turns, holiday overrides first)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from alerts.config import OnCall, Person


def on_duty(rota: OnCall, now: float) -> Person | None:
    """The person on call at ``now``; None when the rota is empty."""
    if not rota.people:
        return None
    zone = ZoneInfo(rota.timezone)
    local = dt.datetime.fromtimestamp(now, zone)
    by_name = {p.name: p for p in rota.people}
    for o in rota.overrides:
        start = o.from_.replace(tzinfo=o.from_.tzinfo or zone)
        end = o.until.replace(tzinfo=o.until.tzinfo or zone)
        if start <= local < end:
            return by_name[o.person]
    origin = dt.datetime.combine(rota.start, rota.handover, zone)
    turns = int((local - origin).total_seconds() // rota.rotation)
    return rota.people[turns % len(rota.people)]
