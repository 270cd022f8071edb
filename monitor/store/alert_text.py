"""The ``alert_text`` series: what a store that keeps only numbers (VictoriaMetrics drops string
fields) needs to rebuild an alert transition of the ``alerts`` measurement, and the rebuild.

One point per transition, at the transition's own time: tags ``fingerprint``, ``state``,
``summary`` and ``clause`` (the strings, as tags, since only tags survive everywhere), ``empty``
(the alert's labels whose value is "", which no store keeps as tags) and the
numbers ``value`` (= active_at), ``fired_at`` and ``resolved_at`` in epoch seconds. The
``alerts`` measurement itself is unchanged, so existing InfluxDB queries and dashboards keep
working; an alert has few transitions, so the extra series stay few.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping

from monitor.core.model import Alert, AlertState, Labels, Reading, Severity, fingerprint
from monitor.store.influx_lines import reading_lines

log = logging.getLogger(__name__)

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
                "clause": a.clause, "empty": ",".join(sorted(k for k, v in a.labels.items() if v == ""))}
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


Point = tuple[dict[str, str], float, dict[str, float | str]]
"""One stored point: its tags, its time (epoch s) and its fields."""


def rebuild(alert_points: Iterable[Point], text_points: Iterable[Point], *, where: str) -> list[Alert]:
    """Alert transitions from ``alerts`` points joined with their ``alert_text`` points (by
    fingerprint, state and time), oldest first; in one instant, in lifecycle order."""
    texts: dict[tuple[str, str, float], dict[str, float | str]] = {}
    empty: dict[tuple[str, float], list[str]] = {}  # labels whose value "" no store keeps as a tag
    for tags, ts, fields in text_points:
        key = (tags.get("fingerprint", ""), tags.get("state", ""), ts)
        texts.setdefault(key, {"summary": tags.get("summary", ""), "clause": tags.get("clause", "")})
        texts[key].update({("active_at" if k == "value" else k): v for k, v in fields.items()})
        if tags.get("empty"):
            empty.setdefault((key[1], ts), []).append(tags["empty"])
    found = []
    for tags, ts, fields in alert_points:
        labels = dict(tags)
        rule, severity, state = (labels.pop(k, "") for k in ("rule", "severity", "state"))
        # Which alert_text point is this one's? The one whose fingerprint the labels give once
        # their empty labels are back (an empty label is part of the alert's identity).
        for names in empty.get((state, ts), ()):
            full = {**labels, **dict.fromkeys(names.split(","), "")}
            if (fingerprint(rule, full), state, ts) in texts:
                labels = full
                break
        try:
            parts = (AlertState(state), Severity(severity))
        except ValueError:
            log.warning("%s: an alerts point at %s has state %r, severity %r: skipped", where, ts,
                        state, severity)
            continue
        text = texts.get((fingerprint(rule, labels), state, ts), {})
        found.append(alert_from_parts(rule=rule, labels=labels, state=parts[0], severity=parts[1],
                                      ts=ts, fields={**fields, **text}))
    return sorted(found, key=lambda a: (stamp(a), _RANK[a.state], a.fingerprint))
