"""What the pages and the API show, built once from the sources as plain dicts (secrets never enter)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from alerts.ack import Acks, is_acked
from alerts.matchers import alert_labels
from alerts.silence import Silences
from alerts.state import State
from monitor.core.model import Alert, AlertState
from monitor.web import steps
from monitor.web.sources import Sources

SEVERITIES = ("critical", "warning", "info")


def firing(src: Sources) -> list[Alert]:
    """The pipeline's firing alerts (alerts.db, as ``roomwatch ack`` sees them), worst first."""
    alerts = [a for a in State(src.alerts_db).alerts.values() if a.state is AlertState.FIRING]
    return sorted(alerts, key=lambda a: (-a.severity.rank, -(a.fired_at or a.active_at), a.rule))


def alert_rows(src: Sources, now: float) -> list[dict[str, Any]]:
    """Firing alerts with their clause, ack and whether a silence mutes them."""
    return steps.at_once(alert_rows_steps(src, now))


def alert_rows_steps(src: Sources, now: float) -> steps.Steps[list[dict[str, Any]]]:
    """``alert_rows`` in slices of ``steps.EVERY // 2`` alerts (silences are matched per alert)."""
    acks = Acks(src.alerts_db).all()
    silences = Silences(src.alerts_db).active(now)
    found = firing(src)
    yield
    rows = []
    for n, a in enumerate(found, 1):
        if n % (steps.EVERY // 2) == 0:
            yield
        fingerprint = a.fingerprint  # computed from the labels each time it is asked
        ack = acks.get(fingerprint) if is_acked(a, acks) else None
        labels = alert_labels(a)
        rows.append({
            "id": fingerprint, "rule": a.rule, "severity": a.severity.value, "state": a.state.value,
            "device": a.labels.get("device", ""), "room": a.labels.get("room", ""),
            "labels": dict(a.labels), "value": a.value, "summary": a.summary, "clause": a.clause,
            "summary_en": a.summary_en or a.summary,
            "since": a.fired_at or a.active_at,
            "ack": None if ack is None else {"by": ack.by, "comment": ack.comment, "ts": ack.ts},
            "silenced_by": [s.id for s in silences if s.covers(labels)],
        })
    return rows


async def shared_rows(src: Sources) -> list[dict[str, Any]]:
    """``alert_rows`` as the busy pages share them (the overview and /api/v2/alerts): one
    sliced build a second for both."""
    return await src.snapshot("alert-rows", lambda: steps.sliced(alert_rows_steps(src, src.clock())))


def history(src: Sources, now: float, days: float = 7.0, limit: int = 200) -> list[dict[str, Any]]:
    """Alert transitions of the last ``days`` from the store of record, newest first."""
    found = src.store.alerts(now - days * 86400.0, now + 1.0)[-limit:]
    return [{"id": a.fingerprint, "rule": a.rule, "severity": a.severity.value, "state": a.state.value,
             "device": a.labels.get("device", ""), "clause": a.clause, "summary": a.summary,
             "summary_en": a.summary_en or a.summary,
             "ts": a.resolved_at or a.fired_at or a.active_at} for a in reversed(found)]


def silence_rows(src: Sources, now: float, *, include_expired: bool = False) -> list[dict[str, Any]]:
    """Silences, running first."""
    rows = Silences(src.alerts_db).all(now, include_expired=include_expired)
    return [{"id": s.id, "matchers": [str(m) for m in s.matchers], "starts": s.starts, "ends": s.ends,
             "comment": s.comment, "by": s.created_by, "active": s.active(now)}
            for s in sorted(rows, key=lambda s: (not s.active(now), -s.id))]


def overview(src: Sources, alerts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Rooms → devices with status and shown readings; firing alerts counted by severity."""
    return steps.at_once(overview_steps(src, alerts))


def overview_steps(src: Sources, alerts: list[dict[str, Any]] | None = None) -> steps.Steps[dict[str, Any]]:
    """``overview`` in slices of ``steps.EVERY`` devices."""
    settings = src.settings()
    rows = (yield from alert_rows_steps(src, src.clock())) if alerts is None else alerts
    per_device = Counter(r["device"] for r in rows)
    rooms: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for n, dev in enumerate(settings.devices, 1):
        if n % steps.EVERY == 0:
            yield
        up = src.latest.up(dev.name)
        status = "no_data" if up is None else ("up" if up else "down")
        shown = [v for v in src.latest.of(dev.name) if v.metric != "up"]
        # The page shows one line per device: formatted here, in Python, not in the template
        # (a thousand rows of template loops would cost the page most of its time).
        text = " ".join(f"{v.metric}[{v.detail}]={v.value:g}" if v.detail else f"{v.metric}={v.value:g}"
                        for v in shown)
        rooms.setdefault((dev.site or "", dev.room or ""), []).append(
            {"name": dev.name, "kind": dev.kind, "level": dev.level, "status": status, "text": text,
             "readings": [{"metric": v.metric, "value": v.value, "detail": v.detail, "ts": v.ts}
                          for v in shown],
             "alerts": per_device.get(dev.name, 0)})
    by_severity = Counter(r["severity"] for r in rows)
    return {"rooms": [{"site": site, "room": room, "devices": devices}
                      for (site, room), devices in sorted(rooms.items())],
            "alerts": {s: by_severity.get(s, 0) for s in SEVERITIES},
            "devices": len(settings.devices),
            "down": sum(1 for d in settings.devices if src.latest.up(d.name) == 0)}


def alertmanager_steps(src: Sources, now: float,
                       alerts: list[dict[str, Any]] | None = None) -> steps.Steps[list[dict[str, Any]]]:
    """Firing alerts (``alert_rows``, or given) in Alertmanager's API v2 ``GettableAlert`` shape,
    for Grafana and karma; in slices of ``steps.EVERY`` alerts."""
    rows = (yield from alert_rows_steps(src, now)) if alerts is None else alerts
    out = []
    for n, row in enumerate(rows, 1):
        if n % steps.EVERY == 0:
            yield
        labels = {**row["labels"], "alertname": row["rule"], "severity": row["severity"]}
        state = "suppressed" if row["silenced_by"] or row["ack"] else "active"
        out.append({
            "labels": labels,
            "annotations": {k: v for k, v in (("summary", row["summary"]), ("clause", row["clause"])) if v},
            "startsAt": iso(row["since"]), "endsAt": iso(now + 3600.0), "updatedAt": iso(now),
            "fingerprint": row["id"], "receivers": [{"name": "roomwatch"}],
            "status": {"state": state, "silencedBy": [str(i) for i in row["silenced_by"]],
                       "inhibitedBy": [], "mutedBy": []},
            "generatorURL": f"/alerts#{row['id']}",
        })
    return out


def iso(ts: float) -> str:
    """RFC 3339 in UTC, as Alertmanager writes times."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
