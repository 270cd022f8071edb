"""Judge the checklist for one span from the store: hourly rollups find the bad hours, raw
readings of only those hours give each abnormality its exact start and end, alerts add rule
and clause."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from monitor.core.model import Alert, AlertState, Reading, Severity, series_key
from monitor.report.items import Check, Finding, Item, ItemResult, Observed, Status, item_for_alert
from monitor.store.base import Rollup, Store

log = logging.getLogger(__name__)

HOUR = 3600.0
ALERT_LOOKBACK = 31 * 86400.0
"""Alerts that started this long before a span and never resolved still count in it: the store
returns transitions by their own time, and a long outage has none inside a later span."""
SeriesId = tuple[str, tuple[tuple[str, str], ...]]


@dataclass
class Loaded:
    """Rollups of every checklist metric and the alert history of one span, fetched once."""

    start: float
    end: float
    rollups: dict[str, list[Rollup]] = field(default_factory=dict)
    alerts: list[Alert] = field(default_factory=list)

    def series(self, metric: str, start: float, end: float) -> dict[SeriesId, list[Rollup]]:
        """Rollups of ``metric`` for hours in ``[start, end)``, grouped by series."""
        out: dict[SeriesId, list[Rollup]] = defaultdict(list)
        for row in self.rollups.get(metric, ()):
            if start <= row.hour < end:
                out[series_key(metric, row.labels)].append(row)
        return out


def load(store: Store, start: float, end: float, metrics: Iterable[str]) -> Loaded:
    """One rollup query per metric and one alert query for the whole span."""
    data = Loaded(start, end)
    for metric in dict.fromkeys(metrics):
        data.rollups[metric] = store.rollups(metric, start, end)
    data.alerts = store.alerts(start - ALERT_LOOKBACK, end)
    return data


def judge(store: Store, data: Loaded, table: Sequence[Item], start: float, end: float) -> list[ItemResult]:
    """Every checklist row for ``[start, end)`` (a span inside ``data``)."""
    alerts = latest_alerts(data.alerts, start, end)
    results = []
    for item in table:
        findings: list[Finding] = []
        seen = 0
        missing = set(item.expect)
        for metric in item.metrics:
            for sid, rows in data.series(metric, start, end).items():
                labels = dict(sid[1])
                checks = [c for c in item.checks if c.metric == metric and c.selects(labels)]
                if not checks and any(c.metric == metric for c in item.checks):
                    continue  # e.g. `up` of a switch is not the server row's business
                seen += 1
                missing -= set(labels.items())
                for check in checks:
                    if not check.excuses(labels):
                        findings.extend(_episodes(store, item, check, labels, rows, start, end))
        mine = [a for a in alerts if (hit := item_for_alert(a.rule, a.labels, tuple(table))) is not None
                and hit.key == item.key]
        findings = _attach(findings, mine, item)
        cannot = {c.metric for c in item.checks if c.unavailable}
        if any(not _is_unavailable(f, cannot) for f in findings):
            status = Status.ABNORMAL
        elif findings:
            status = Status.UNAVAILABLE  # never 正常 while a check could not run
        elif seen and not missing:
            status = Status.NORMAL
        elif not item.configured and not seen:
            status = Status.NOT_CONFIGURED
        else:
            status = Status.NO_DATA
        results.append(ItemResult(key=item.key, status=status, series=seen,
                                  findings=tuple(sorted(findings, key=lambda f: (f.start, f.device))),
                                  observed=observed(data, item, start, end)))
    return results


def _is_unavailable(found: Finding, cannot: set[str]) -> bool:
    """A finding that says a check could not run (by its metric, or its alert's rule name)."""
    return found.metric in cannot or (not found.metric and found.alert in cannot)


def observed(data: Loaded, item: Item, start: float, end: float) -> tuple[Observed, ...]:
    """Each series of the row's ``shown`` metrics: lowest and highest value over the span."""
    out = []
    for metric in item.shown:
        for sid, rows in data.series(metric, start, end).items():
            labels = dict(sid[1])
            out.append(Observed(device=device_of(labels), metric=metric, unit=labels.get("unit", ""),
                                low=min(r.min for r in rows), high=max(r.max for r in rows)))
    return tuple(sorted(out, key=lambda o: (o.device, o.unit, item.shown.index(o.metric))))


def episodes(store: Store, data: Loaded, item: Item, check: Check, start: float,
             end: float) -> list[Finding]:
    """Abnormal episodes of one check over a whole span (not cut at midnight), oldest first."""
    out: list[Finding] = []
    for sid, rows in data.series(check.metric, start, end).items():
        labels = dict(sid[1])
        if check.selects(labels):
            out.extend(_episodes(store, item, check, labels, rows, start, end))
    return sorted(out, key=lambda f: (f.start, f.device))


def latest_alerts(history: Iterable[Alert], start: float, end: float) -> list[Alert]:
    """The last known transition of every alert instance (fingerprint + start) that fired and
    was active at some time in ``[start, end)``."""
    last: dict[tuple[str, float], Alert] = {}
    for alert in history:
        if alert.fired_at is None and alert.state is not AlertState.FIRING:
            continue  # pending that never fired told nobody anything
        last[(alert.fingerprint, alert.active_at)] = alert
    return [a for a in last.values()
            if a.active_at < end and (a.resolved_at is None or a.resolved_at > start)]


def device_of(labels: dict[str, str]) -> str:
    """The name a person knows the series by: the backup job or link it measures, else the
    device, else the ip. The configuration fetch (job ``config``) has one series per device, so
    there the device names it."""
    if labels.get("job") == "config" and labels.get("device"):
        return labels["device"]
    for key in ("job", "link", "device", "ip"):
        if labels.get(key):
            return labels[key]
    return "—"


def _episodes(store: Store, item: Item, check: Check, labels: dict[str, str],
              rows: list[Rollup], start: float, end: float) -> list[Finding]:
    bad_hours = sorted(r.hour for r in rows if check.bad(r.min) or check.bad(r.max))
    if not bad_hours:
        return []
    out: list[Finding] = []
    for lo, hi in _runs(bad_hours):
        # The run's last hour plus one more, so an episode ending on the hour gets its end.
        raw = store.query(check.metric, max(lo, start), min(hi + 2 * HOUR, end + HOUR), labels)
        raw = [r for r in raw if dict(r.labels) == labels]
        if raw:
            out.extend(_from_raw(item, check, labels, raw, end))
        else:  # raw readings already pruned: fall back to the hour granularity of rollups
            worst = [r for r in rows if lo <= r.hour <= hi]
            value = max((r.max for r in worst), default=0.0) if check.bad(max(r.max for r in worst)) \
                else min(r.min for r in worst)
            out.append(_finding(item, check, labels, value, lo, min(hi + HOUR, end)))
    return [f for f in out if f.start < end]


def _from_raw(item: Item, check: Check, labels: dict[str, str], raw: list[Reading],
              end: float) -> list[Finding]:
    out = []
    run: list[Reading] = []
    for reading in sorted(raw, key=lambda r: r.ts):
        if check.bad(reading.value):
            run.append(reading)
        elif run:
            out.append(_finding(item, check, labels, _worst(check, run), run[0].ts, reading.ts))
            run = []
    if run:
        # Still bad at the last reading: open if the span reaches the data's end.
        last = run[-1].ts
        out.append(_finding(item, check, labels, _worst(check, run), run[0].ts,
                            None if last >= end - HOUR else last))
    return out


def _worst(check: Check, run: list[Reading]) -> float:
    values = [r.value for r in run]
    high = max(values)
    return high if check.bad(high) and high > check.high else min(values)


def _finding(item: Item, check: Check, labels: dict[str, str], value: float, start: float,
             end: float | None) -> Finding:
    # A label without a value is no label: InfluxDB and VictoriaMetrics keep no empty tag, and
    # the report must read the same from them as from SQLite.
    return Finding(item=item.key, device=device_of(labels), metric=check.metric, value=value,
                   start=start, end=end, labels={k: v for k, v in labels.items() if v != ""},
                   unit=check.unit, clause=item.clause)


def _runs(hours: list[float]) -> list[tuple[float, float]]:
    runs: list[tuple[float, float]] = []
    for hour in hours:
        if runs and hour - runs[-1][1] <= HOUR:
            runs[-1] = (runs[-1][0], hour)
        else:
            runs.append((hour, hour))
    return runs


def _attach(findings: list[Finding], alerts: list[Alert], item: Item) -> list[Finding]:
    """Give each data finding the alert that covers it; an alert with no data finding becomes
    a finding of its own (the rule saw something the checklist's own tests do not look at)."""
    out = list(findings)
    for alert in alerts:
        if any(check.excuses(alert.labels) for check in item.checks):
            continue  # e.g. config_changed_in_window: an authorised change, not an abnormality
        device = device_of(dict(alert.labels))
        a_end = alert.resolved_at if alert.resolved_at is not None else float("inf")
        match = next((i for i, f in enumerate(out) if f.device == device and not f.alert
                      and f.start <= a_end and (f.end is None or f.end >= alert.active_at - HOUR)), None)
        fields = {"alert": alert.rule, "severity": alert.severity.value,
                  "clause": alert.clause or item.clause}
        if match is not None:
            old = out[match]
            out[match] = Finding(**{**old.to_dict(), **fields})
        elif alert.severity is not Severity.INFO:  # an info alert alone is not an abnormality
            out.append(Finding(item=item.key, device=device, metric="", value=alert.value,
                               start=alert.active_at, end=alert.resolved_at,
                               labels=dict(alert.labels), **fields))
    return out
