"""The ``alert_text`` series: what a store that keeps only numbers (VictoriaMetrics drops string
fields) needs to rebuild an alert transition of the ``alerts`` measurement, and the rebuild.

One point per transition, at the transition's own time: tags ``fingerprint``, ``state``,
``summary`` and ``clause`` (the strings, as tags, since only tags survive everywhere) and the
numbers ``value`` (= active_at), ``fired_at`` and ``resolved_at`` in epoch seconds. The
``alerts`` measurement itself is unchanged, so existing InfluxDB queries and dashboards keep
working; an alert has few transitions, so the extra series stay few.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from monitor.core.model import Alert, AlertState, Labels, Reading, Severity
from monitor.store.influx_lines import reading_lines

TEXT = "alert_text"
_RANK = {AlertState.PENDING: 0, AlertState.FIRING: 1, AlertState.RESOLVED: 2}


def stamp(alert: Alert) -> float:
    """The time of the state a transition entered (its time in every store)."""
    at = {AlertState.PENDING: alert.active_at, AlertState.FIRING: alert.fired_at,
          AlertState.RESOLVED: alert.resolved_at}[alert.state]
    return alert.active_at if at is None else at


def alert_text_lines(alerts: Iterable[Alert], *, precision: str = "ms") -> list[str]:
    """One ``alert_text`` line per transition (written beside the ``alerts`` line)."""
    lines = []
    for a in alerts:
        tags = {"fingerprint": a.fingerprint, "state": a.state.value, "summary": a.summary,
                "clause": a.clause}
        line = reading_lines([Reading(TEXT, a.active_at, tags, stamp(a))], precision=precision)[0]
        head, ts = line.rsplit(" ", 1)  # fields are numbers: the last space starts the time
        extra = "".join(f",{name}={at!r}" for name, at in (("fired_at", a.fired_at),
                                                           ("resolved_at", a.resolved_at))
                        if at is not None)
        lines.append(f"{head}{extra} {ts}")
    return lines


def alert_from_parts(*, rule: str, labels: Labels, state: AlertState, severity: Severity, ts: float,
                     fields: Mapping[str, float | str]) -> Alert:
    """Rebuild a transition from the ``alerts`` point's tags and numbers plus, when found, its
    ``alert_text`` point (``active_at``, ``fired_at``, ``resolved_at``, ``summary``, ``clause``).
    Without one (written by an older roomwatch) only the transition's own time is known."""
    def number(key: str) -> float | None:
        value = fields.get(key)
        return None if value is None or value == "" else float(value)

    active = number("active_at")
    fired = number("fired_at")
    resolved = number("resolved_at")
    if active is None:
        active = ts
        fired = ts if state is AlertState.FIRING else None
        resolved = ts if state is AlertState.RESOLVED else None
    value = number("value")
    return Alert(rule=rule, labels=labels, state=state, severity=severity,
                 value=math.nan if value is None else value, active_at=active, fired_at=fired,
                 resolved_at=resolved, summary=str(fields.get("summary", "")),
                 clause=str(fields.get("clause", "")))


def state_rank(state: AlertState) -> int:
    """Lifecycle order, for transitions that share a timestamp."""
    return _RANK[state]
