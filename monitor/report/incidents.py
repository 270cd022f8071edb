"""Incidents of a week: every alert that fired, its time to acknowledge and time to repair,
judged against 002:465 (fault repaired within 2 h normally, never past 4 h)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.core.model import Ack, Alert
from monitor.report.judge import device_of, latest_alerts

REPAIR_LIMIT_S = 2 * 3600.0
"""002:465 「服务器故障排除的时间一般不能超过2小时」."""
REPAIR_HARD_LIMIT_S = 4 * 3600.0
"""002:465 「特别情况不能超过4小时」."""
CLAUSE = "《保险代理公司信息化管理制度》第九章 网络故障应急预案 第1条"


class Breach(enum.Enum):
    """How an incident stands against the limits."""

    WITHIN = "within"      # repaired within 2 h
    OVER = "over_2h"       # past the normal 2 h limit, within the absolute 4 h
    BREACH = "over_4h"     # past the absolute 4 h limit
    OPEN = "open"          # not repaired yet, still within 2 h at the report's end


@dataclass(frozen=True, slots=True, kw_only=True)
class Incident:
    """One alert instance that fired."""

    rule: str
    device: str
    severity: str
    clause: str
    summary: str
    started: float
    fired: float | None
    acked: float | None
    acked_by: str
    resolved: float | None
    tta: float | None
    ttr: float | None
    breach: Breach

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"rule": self.rule, "device": self.device, "severity": self.severity,
                "clause": self.clause, "summary": self.summary, "started": self.started,
                "fired": self.fired, "acked": self.acked, "acked_by": self.acked_by,
                "resolved": self.resolved, "tta_s": self.tta, "ttr_s": self.ttr,
                "breach": self.breach.value}


def flaps(history: Iterable[Alert], start: float, end: float) -> int:
    """How many alert instances active in ``[start, end)`` were told as flapping (the engine's
    flap damping marks them ``flapping=1``): a link or sensor that keeps changing state."""
    return sum(1 for a in latest_alerts(history, start, end) if a.annotations.get("flapping") == "1")


def incidents(history: Iterable[Alert], acks: Mapping[str, Sequence[Ack]], start: float, end: float,
              now: float) -> list[Incident]:
    """Every alert instance active in ``[start, end)`` that fired, oldest first. Time to repair
    runs from when the condition first held to when it resolved; while it is open, to ``now``
    (never past ``end``): time that has not happened yet is not judged."""
    out = []
    until = min(end, now)
    for alert in latest_alerts(history, start, end):
        ack = next((a for a in acks.get(alert.fingerprint, ())
                    if a.ts >= alert.active_at and a.covers(alert.fired_at)), None)
        acked = ack.ts if ack else None
        ttr = max(0.0, (alert.resolved_at if alert.resolved_at is not None else until)
                  - alert.active_at)
        if ttr > REPAIR_HARD_LIMIT_S:
            breach = Breach.BREACH
        elif ttr > REPAIR_LIMIT_S:
            breach = Breach.OVER
        else:
            breach = Breach.WITHIN if alert.resolved_at is not None else Breach.OPEN
        out.append(Incident(
            rule=alert.rule, device=device_of(dict(alert.labels)), severity=alert.severity.value,
            clause=alert.clause, summary=alert.summary, started=alert.active_at, fired=alert.fired_at,
            acked=acked, acked_by=ack.by if ack else "",
            resolved=alert.resolved_at, tta=None if acked is None else acked - alert.active_at,
            ttr=ttr, breach=breach))
    return sorted(out, key=lambda i: (i.started, i.device, i.rule))
