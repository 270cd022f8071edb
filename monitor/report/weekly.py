"""Assemble the weekly inspection report's content from the store, the inspection book and
the acknowledgements; rendering lives in ``render``."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import Any

from monitor.core.model import Ack
from monitor.report import backups, period, runlogs
from monitor.report.book import InspectionBook
from monitor.report.facility import METRICS as FACILITY_METRICS
from monitor.report.facility import facility_rows
from monitor.report.incidents import Breach, Incident, flaps, incidents
from monitor.report.items import Finding, Item, ItemResult, Status
from monitor.report.judge import Loaded, device_of, episodes, judge, latest_alerts, load
from monitor.report.posture import rows as posture_rows
from monitor.store.base import Rollup, Store

EXTRA_METRICS = ("if_utilization_percent", "if_in_errors_per_second", "if_out_errors_per_second",
                 *FACILITY_METRICS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Day:
    """One column of the 7-day grid: where it came from (record, correction, provisional or
    computed now because no record was written) and its rows."""

    day: str
    source: str
    items: tuple[ItemResult, ...]

    def status(self, key: str) -> Status:
        """The status of one row."""
        return next(i.status for i in self.items if i.key == key)


@dataclass(frozen=True, slots=True, kw_only=True)
class Stat:
    """min / avg / max of one quantity over one day (None when no data)."""

    day: str
    min: float | None
    avg: float | None
    max: float | None


@dataclass(kw_only=True)
class Report:
    """Everything the weekly report says."""

    week: str
    start: float
    end: float
    generated_at: float
    tz: str
    reviewer: str
    items: tuple[Item, ...]
    days: list[Day]
    has_data: bool
    rooms: dict[str, dict[str, list[Stat]]] = field(default_factory=dict)
    outside: dict[str, float] = field(default_factory=dict)
    ups: list[dict[str, Any]] = field(default_factory=list)
    availability: list[tuple[str, float]] = field(default_factory=list)
    fully_up: int = 0
    # (device, ifname, peak utilisation %, peak errors/s or None when unread): ports busy or in
    # error, those in error first; idle_interfaces counts the ports seen that were neither (not
    # listed: ten rows of zeros say nothing).
    interfaces: list[tuple[str, str, float, float | None]] = field(default_factory=list)
    idle_interfaces: int = 0
    severities: dict[str, int] = field(default_factory=dict)
    noisiest: list[tuple[str, int]] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    flaps: int = 0  # issue 16: alert instances told as flapping
    changes: list[Finding] = field(default_factory=list)
    ipmac: list[Finding] = field(default_factory=list)
    backups: list[dict[str, Any]] = field(default_factory=list)
    restore_tests: list[dict[str, Any]] = field(default_factory=list)
    facility: list[dict[str, Any]] = field(default_factory=list)
    posture: list[dict[str, Any]] = field(default_factory=list)
    runlogs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def findings(self) -> list[tuple[str, Finding]]:
        """Every abnormality of every day, with its day."""
        return [(d.day, f) for d in self.days for i in d.items for f in i.findings]

    @property
    def days_all_normal(self) -> int:
        """Days on which every row with data was normal and at least one row had data."""
        return sum(1 for d in self.days if all(i.status not in (Status.ABNORMAL, Status.UNAVAILABLE)
                                               for i in d.items)
                   and any(i.status is Status.NORMAL for i in d.items))

    @property
    def abnormal_cells(self) -> int:
        """Day × row cells marked 异常."""
        return sum(1 for d in self.days for i in d.items if i.status is Status.ABNORMAL)

    @property
    def open_issues(self) -> list[Incident]:
        """Incidents not repaired by the end of the week: carried into next week."""
        return [i for i in self.incidents if i.resolved is None or i.resolved >= self.end]

    @property
    def breaches(self) -> list[Incident]:
        """Incidents past the 2 h limit."""
        return [i for i in self.incidents if i.breach in (Breach.OVER, Breach.BREACH)]


def build(store: Store, *, year: int, week: int, tz: tzinfo, tz_name: str, now: float,
          table: tuple[Item, ...], book: InspectionBook | None, acks: Mapping[str, Sequence[Ack]],
          designs: Mapping[str, float], reviewer: str, top: int = 10,
          backup_limits: Mapping[str, float] | None = None,
          restore_tests: Sequence[Mapping[str, Any]] = ()) -> Report:
    """The report of ISO week ``year``-W``week``. ``backup_limits`` are each backup job's max
    age in hours; ``restore_tests`` the restore-test log's records (ts, job, by, what, result)."""
    span = period.week_span(year, week, tz)
    metrics = [m for item in table for m in item.metrics] + list(EXTRA_METRICS)
    data = load(store, span.start, span.end, metrics)
    days = []
    for day in period.week_days(year, week):
        dspan = period.day_span(day, tz)
        entry = book.current(dspan.label) if book is not None else None
        if entry is not None:
            days.append(Day(day=dspan.label, source=entry.kind, items=entry.items))
        elif dspan.start < now:
            days.append(Day(day=dspan.label, source="computed",
                            items=tuple(judge(store, data, table, dspan.start, dspan.end))))
        else:
            days.append(Day(day=dspan.label, source="future", items=tuple(
                ItemResult(key=i.key, status=Status.NO_DATA) for i in table)))
    report = Report(week=span.label, start=span.start, end=span.end, generated_at=now, tz=tz_name,
                    reviewer=reviewer, items=table, days=days,
                    has_data=any(data.rollups.values()) or bool(data.alerts))
    by_key = {i.key: i for i in table}
    _environment(report, data, by_key["environment"], store, year, week, tz)
    _ups(report, data, by_key["power"], store, designs)
    _availability(report, data.rollups.get("up", []), top)
    report.interfaces, report.idle_interfaces = _interfaces(data, top)
    fired = latest_alerts(data.alerts, span.start, span.end)
    report.severities = dict(Counter(a.severity.value for a in fired))
    report.noisiest = Counter(a.rule for a in fired).most_common(5)
    report.incidents = incidents(data.alerts, acks, span.start, span.end, now)
    report.flaps = flaps(data.alerts, span.start, span.end)
    for name, target in (("config", report.changes), ("ipmac", report.ipmac)):
        for check in by_key[name].checks:
            every = replace(check, exempt=())  # the section lists authorised changes too
            target.extend(episodes(store, data, by_key[name], every, span.start, span.end))
        target.sort(key=lambda f: f.start)
    item = by_key["backup"]
    spans = [(d.label, d.start, d.end)
             for d in (period.day_span(day, tz) for day in period.week_days(year, week))]
    report.backups = backups.week_grid(data, spans, dict(backup_limits or {}), item.checks[0].high,
                                       (name for _key, name in item.expect))
    report.restore_tests = sorted((dict(r) for r in restore_tests if span.start <= r["ts"] < span.end),
                                  key=lambda r: r["ts"])
    report.facility = facility_rows(store, data, by_key["environment"], span.start, span.end)
    if "posture" in by_key:
        report.posture = posture_rows(data, by_key["posture"], span.start, span.end)
    if "logs" in by_key:
        report.runlogs = runlogs.week_rows(data, span.start, span.end)
    return report


def _environment(report: Report, data: Loaded, item: Item, store: Store, year: int, week: int,
                 tz: tzinfo) -> None:
    per_room: dict[str, dict[str, list[Rollup]]] = defaultdict(lambda: defaultdict(list))
    # The room band (temperature, humidity); the air conditioners have their own section.
    checks = [c for c in item.checks if c.metric in ("temperature_celsius", "humidity_percent")]
    for check in checks:
        for row in data.rollups.get(check.metric, []):
            if check.selects(row.labels):
                per_room[row.labels.get("room", "—")][check.metric].append(row)
    for room, metrics in sorted(per_room.items()):
        report.rooms[room] = {}
        for metric, rows in metrics.items():
            stats = []
            for day in period.week_days(year, week):
                dspan = period.day_span(day, tz)
                mine = [r for r in rows if dspan.start <= r.hour < dspan.end]
                count = sum(r.count for r in mine)
                stats.append(Stat(day=dspan.label, min=min((r.min for r in mine), default=None),
                                  max=max((r.max for r in mine), default=None),
                                  avg=sum(r.avg * r.count for r in mine) / count if count else None))
            report.rooms[room][metric] = stats
    for check in checks:
        for found in episodes(store, data, item, check, report.start, report.end):
            room = found.labels.get("room", "—")
            stop = found.end if found.end is not None else min(report.end, report.generated_at)
            report.outside[room] = report.outside.get(room, 0.0) + stop - found.start


def _ups(report: Report, data: Loaded, item: Item, store: Store, designs: Mapping[str, float]) -> None:
    names: set[str] = set()
    lowest: dict[str, dict[str, float]] = defaultdict(dict)
    for metric in ("ups_battery_capacity_percent", "ups_battery_runtime_minutes", "ups_on_battery"):
        for row in data.rollups.get(metric, []):
            device = device_of(dict(row.labels))
            names.add(device)
            old = lowest[device].get(metric)
            lowest[device][metric] = row.min if old is None else min(old, row.min)
    events = [f for f in episodes(store, data, item, item.checks[0], report.start, report.end)]
    for device in sorted(names):
        mine = [f for f in events if f.device == device]
        report.ups.append({
            "device": device, "events": mine,
            "on_battery_s": sum((f.duration or min(report.end, report.generated_at) - f.start)
                                for f in mine),
            "lowest_capacity": lowest[device].get("ups_battery_capacity_percent"),
            "lowest_runtime": lowest[device].get("ups_battery_runtime_minutes"),
            "design_runtime": designs.get(device)})


def _availability(report: Report, rows: Sequence[Rollup], top: int) -> None:
    up: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        acc = up[device_of(dict(row.labels))]
        acc[0] += row.avg * row.count
        acc[1] += row.count
    pct = {device: 100.0 * s / n for device, (s, n) in up.items() if n}
    report.fully_up = sum(1 for v in pct.values() if v >= 99.995)
    report.availability = sorted(((d, v) for d, v in pct.items() if v < 99.995), key=lambda x: (x[1], x[0]))
    report.availability = report.availability[: max(top, 20)]


def _interfaces(data: Loaded, top: int) -> tuple[list[tuple[str, str, float, float | None]], int]:
    """Ports that carried traffic or errors in the week (ports in error first, then the busiest),
    and how many other ports were seen idle and clean."""
    util: dict[tuple[str, str], float] = {}
    errors: dict[tuple[str, str], float] = {}
    for metric, peaks in (("if_utilization_percent", util), ("if_in_errors_per_second", errors),
                          ("if_out_errors_per_second", errors)):
        for row in data.rollups.get(metric, []):
            port = (device_of(dict(row.labels)), row.labels.get("ifname", "—"))
            peaks[port] = max(peaks.get(port, 0.0), row.max)
    ports = set(util) | set(errors)
    busy = [(d, i, util.get((d, i), 0.0), errors.get((d, i))) for d, i in ports
            if util.get((d, i), 0.0) > 0 or errors.get((d, i), 0.0) > 0]
    busy.sort(key=lambda p: (-(p[3] or 0.0), -p[2], p[0], p[1]))
    return busy[:top], len(ports) - len(busy)
