"""Replay stored readings through the rule engine and the notification pipeline on a simulated
clock, and count per rule what would have happened: incidents, notifications, longest firing."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from alerts.channels import from_settings
from alerts.config import NotifySettings
from alerts.dedup import Entry
from alerts.dispatch import Dispatcher
from alerts.group import Group
from alerts.outbox import Outbox
from monitor.core.model import Alert, AlertState, Reading
from rules.engine import Engine
from rules.rule import Rule


@dataclass(kw_only=True)
class RuleResult:
    """What one rule did over the replayed span."""

    incidents: int = 0
    notifications: int = 0
    longest_firing_s: float = 0.0
    _fired: dict[str, float] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, float | int]:
        """JSON-ready form."""
        return {"incidents": self.incidents, "notifications": self.notifications,
                "longest_firing_s": self.longest_firing_s}


class _Counting(Dispatcher):
    """The real dispatcher, counting each message it queues against the rules it tells about."""

    results: dict[str, RuleResult]

    def _tell(self, group: Group, firing: set[str], resolved: set[str], entry: Entry, now: float) -> int:
        for rule in {self.state.alerts[f].rule for f in firing | resolved}:
            self.results.setdefault(rule, RuleResult()).notifications += 1
        return super()._tell(group, firing, resolved, entry, now)


def replay(readings: Sequence[Reading], rules: Sequence[Rule], *, start: float, end: float,
           notify: NotifySettings, parents: Mapping[str, str], tick: float,
           stale_after: float) -> dict[str, RuleResult]:
    """Per rule, what ``readings`` (ordered by ts) would have caused in ``[start, end)``.

    The engine is evaluated every ``tick`` with what arrived since the last one, as the daemon
    does; transitions go through a dispatcher with its own throw-away ``alerts.db`` (routes,
    grouping, inhibition and repeats as configured; nothing is ever sent). A message about a
    group counts once for every rule it tells about; a firing still open at ``end`` counts its
    length to ``end``.
    """
    results: dict[str, RuleResult] = {}
    engine = Engine(rules, stale_after=stale_after)
    with tempfile.TemporaryDirectory(prefix="roomwatch-backtest-") as tmp:
        outbox = Outbox(Path(tmp) / "alerts.db")
        d = _Counting(outbox, from_settings(notify), settings=notify, parents=parents)
        d.results = results
        i, t = 0, start
        while t < end + tick:
            now = min(t, end)
            j = i
            while j < len(readings) and readings[j].ts <= now:
                j += 1
            engine.ingest(readings[i:j])
            i = j
            changes = engine.evaluate(now)
            _count(changes, results, now)
            d.submit(changes, now)
            t += tick
        for alert in engine.active():
            r = results.get(alert.rule)
            if r is not None and alert.fingerprint in r._fired:
                r.longest_firing_s = max(r.longest_firing_s, end - r._fired[alert.fingerprint])
        outbox.close()
    return results


def _count(changes: Iterable[Alert], results: dict[str, RuleResult], now: float) -> None:
    for a in changes:
        if a.state is AlertState.PENDING:
            continue
        r = results.setdefault(a.rule, RuleResult())
        if a.state is AlertState.FIRING:
            r.incidents += 1
            r._fired[a.fingerprint] = a.fired_at if a.fired_at is not None else now
            continue
        began = r._fired.pop(a.fingerprint, None)
        if began is not None:
            r.longest_firing_s = max(r.longest_firing_s, (a.resolved_at or now) - began)
