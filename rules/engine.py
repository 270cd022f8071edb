"""The rule engine: the latest value of each watched series, alerts advanced by a pure ``step``.

Modelled on Prometheus ``rules/alerting.go``: one transition function, an engine that calls it
for every (rule, series) pair that can change, and alert state that survives restarts.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from monitor.core.errors import ConfigError
from monitor.core.model import NO_ANNOTATIONS, Alert, AlertState, Labels, Reading
from rules import snapshot as disk
from rules.flap import Flap, advance
from rules.rule import Effective, Rule

log = logging.getLogger(__name__)

_FIRING, _RESOLVED = AlertState.FIRING, AlertState.RESOLVED


class _Series:
    """One watched series: latest value, the rules that apply to it, and its live alerts."""

    __slots__ = ("alerts", "dirty", "flaps", "grace_until", "hi", "labels", "lo", "metric", "notes",
                 "pairs", "seen", "ts", "value")

    def __init__(self, metric: str, labels: Labels,
                 pairs: list[tuple[Rule, Effective, float, float]]) -> None:
        # pairs: (rule, effective, lo, hi), lo/hi being the normal range for the fast path.
        self.metric, self.labels, self.pairs = metric, labels, pairs
        # A value in [lo, hi] breaches none of the rules (no rules: the whole line).
        self.lo = max((p[2] for p in pairs), default=-math.inf)
        self.hi = min((p[3] for p in pairs), default=math.inf)
        self.value, self.ts, self.grace_until = 0.0, -math.inf, -math.inf
        self.notes: Labels = NO_ANNOTATIONS  # the newest reading's payload
        self.alerts: dict[str, Alert] = {}
        # rule → recent state changes (rules.flap); None, not {}, while there are none: one
        # more dict per series slows ingest of 100k series measurably (the GC walks them all)
        self.flaps: dict[str, Flap] | None = None
        self.seen = -math.inf  # ts of the newest reading already judged
        self.dirty = False


class Engine:
    """Judges readings against rules and reports alert transitions.

    ``ingest`` keeps the latest value of each series of a watched metric (others cost one dict
    lookup); the rules that apply to a series, overrides included, are worked out once when it
    is first seen. ``evaluate`` visits only series with a breaching reading or a live alert: a
    quiet series with a normal value cannot change.
    """

    def __init__(self, rules: Sequence[Rule], *, stale_after: float = 300.0) -> None:
        self.stale_after = stale_after
        self._rules: dict[str, Rule] = {}
        self._by_metric: dict[str, list[Rule]] = {}
        # metric → label key → series; a key is the sorted label items, or an alias (ingest).
        self._series: dict[str, dict[tuple[tuple[str, str], ...], _Series]] = {}
        self._dirty: list[_Series] = []
        self._hot: dict[_Series, None] = {}  # series with a live alert, in insertion order
        self._orphans: list[Alert] = []  # firing alerts whose rule went away: resolve next time
        self._restored: list[_Series] = []
        self._next_sweep = -math.inf
        self._index(rules)

    def ingest(self, readings: Iterable[Reading]) -> None:
        """Remember the newest value of each watched series (older readings are ignored)."""
        index, dirty, as_key = self._series.get, self._dirty, tuple  # locals: this loop is hot
        for r in readings:
            by_labels = index(r.metric)
            if by_labels is None:
                continue
            # The labels as they come (a collector emits them in a fixed order) are an alias
            # of the sorted key: cheaper than sorting or a frozenset on every reading.
            key = as_key(r.labels.items())
            s = by_labels.get(key)
            if s is None:
                s = self._lookup(by_labels, r.metric, r.labels, key)
            ts = r.ts
            if ts < s.ts:
                continue
            s.value = value = r.value
            s.ts = ts
            s.notes = r.annotations
            # Only a breach, a live alert or a recent state change (flap damping counts every
            # result) can make a transition; a normal value on a quiet series is handled here.
            if not s.dirty and (s.alerts or s.flaps or not s.lo <= value <= s.hi):
                s.dirty = True
                dirty.append(s)

    def evaluate(self, now: float, *, ignore_for: bool = False) -> list[Alert]:
        """Advance every alert that can change; return this evaluation's transitions.

        Transitions are new PENDING, PENDING→FIRING and FIRING→RESOLVED (a value change of an
        alert already firing is not one). A series whose newest reading is older than
        ``now - stale_after`` is absent. ``ignore_for`` fires at once (the one-shot check).
        """
        out = [replace(a, state=_RESOLVED, resolved_at=now) for a in self._orphans]
        self._orphans = []
        for s in self._restored:  # give restored series one stale_after to report again
            s.grace_until = now + self.stale_after
        self._restored = []
        if now >= self._next_sweep:
            self._sweep(now - self.stale_after)
            self._next_sweep = now + self.stale_after
        batch, self._dirty = self._dirty, []
        batch.extend(s for s in self._hot if not s.dirty)
        cutoff = now - self.stale_after
        hot = self._hot
        for s in batch:
            s.dirty = False
            value: float | None = s.value if s.ts >= cutoff or s.grace_until > now else None
            fresh, s.seen = s.ts > s.seen, s.ts
            alerts, flaps = s.alerts, s.flaps or {}
            quiet = not alerts and not flaps
            if quiet and value is None:
                continue
            judged = math.nan if value is None else value
            for rule, eff, lo, hi in s.pairs:
                if quiet and lo <= judged <= hi:
                    continue  # nothing live and a normal value: this rule cannot change
                name = rule.name
                prev = alerts.get(name)
                new, flap = advance(prev, flaps.get(name), value, now, fresh=fresh, rule=rule,
                                    labels=s.labels, eff=eff, ignore_for=ignore_for, annotations=s.notes)
                if flap is not None:
                    flaps[name] = flap
                elif name in flaps:
                    del flaps[name]
                if new is not None and (prev is None or new.state is not prev.state):
                    out.append(new)
                if new is None or new.state is _RESOLVED:
                    alerts.pop(name, None)
                else:
                    alerts[name] = new
            s.flaps = flaps or None
            if alerts:
                hot[s] = None
            else:
                hot.pop(s, None)
        return out

    @property
    def touched(self) -> bool:
        """Whether ingested readings wait to be judged (a breach, or a series with a live
        alert or recent changes): the daemon evaluates at once rather than at its next tick."""
        return bool(self._dirty)

    def active(self) -> list[Alert]:
        """Every pending and firing alert."""
        return [a for s in self._hot for a in s.alerts.values()]

    def summary(self, alert: Alert, lang: str) -> str:
        """``alert``'s summary in ``lang`` (its rule's English one for ``en``), else as stored."""
        rule = self._rules.get(alert.rule)
        eff = rule.effective(alert.labels) if rule is not None else None
        if rule is None or eff is None:
            return alert.summary
        return rule.render(alert.labels, alert.value, eff.condition, lang)

    def series_count(self) -> int:
        """How many series the engine watches (the daemon's /metrics shows it)."""
        return sum(len({id(s) for s in by.values()}) for by in self._series.values())

    def replace_rules(self, rules: Sequence[Rule]) -> None:
        """Swap in a reloaded rule set; alerts of rules that still exist and apply carry over.

        Firing alerts of a rule that is gone, disabled or no longer matching are resolved at the
        next evaluation (whoever was told it fires is told it ended); pending ones are dropped.
        """
        old = list({id(s): s for by in self._series.values() for s in by.values()}.values())
        restored = {id(s) for s in self._restored}
        self._index(rules)
        self._dirty, self._hot, self._restored = [], {}, []
        for s in old:
            by_labels = self._series.get(s.metric)
            if by_labels is None:
                self._orphan(s.alerts.values())
                continue
            fresh = self._new_series(s.metric, s.labels)
            fresh.value, fresh.ts, fresh.grace_until, fresh.seen = s.value, s.ts, s.grace_until, s.seen
            names = {rule.name for rule, *_ in fresh.pairs}
            self._orphan(a for name, a in s.alerts.items() if name not in names)
            fresh.alerts = {name: a for name, a in s.alerts.items() if name in names}
            by_labels[tuple(sorted(s.labels.items()))] = fresh
            if fresh.alerts:
                self._hot[fresh] = None
                if id(s) in restored:
                    self._restored.append(fresh)
            if fresh.pairs:  # judge again under the new thresholds without waiting for data
                fresh.dirty = True
                self._dirty.append(fresh)

    def _index(self, rules: Sequence[Rule]) -> None:
        names: dict[str, Rule] = {}
        for rule in rules:
            if rule.name in names:
                raise ConfigError([f"rules: rule name {rule.name!r} is defined more than once"])
            names[rule.name] = rule
        self._rules = names
        self._by_metric = {}
        for rule in rules:
            self._by_metric.setdefault(rule.metric, []).append(rule)
        self._series = {metric: {} for metric in self._by_metric}

    def _new_series(self, metric: str, labels: Labels) -> _Series:
        labels = dict(labels)  # our own copy: alerts hand it on
        pairs = []
        for rule in self._by_metric.get(metric, ()):
            eff = rule.effective(labels)
            if eff is not None:
                pairs.append((rule, eff, eff.condition.lo, eff.condition.hi))
        return _Series(metric, labels, pairs)

    def _lookup(self, by_labels: dict[tuple[tuple[str, str], ...], _Series], metric: str,
                labels: Labels, alias: tuple[tuple[str, str], ...]) -> _Series:
        key = tuple(sorted(labels.items()))
        s = by_labels.get(key)
        if s is None:
            s = by_labels[key] = self._new_series(metric, labels)
        by_labels[alias] = s
        return s

    def _orphan(self, alerts: Iterable[Alert]) -> None:
        self._orphans.extend(a for a in alerts if a.state is _FIRING)

    def _sweep(self, cutoff: float) -> None:
        # Forget silent series with nothing live (ARP events come and go): memory stays bounded.
        for by_labels in self._series.values():
            gone = [k for k, s in by_labels.items() if s.ts < cutoff and not s.alerts and not s.dirty]
            for k in gone:
                del by_labels[k]

    def snapshot(self) -> dict[str, Any]:
        """The live alerts as plain JSON-ready data (see ``restore``)."""
        rows = [disk.row(s.metric, s.value, s.ts, a) for s in self._hot for a in s.alerts.values()]
        rows += [disk.row("", a.value, a.active_at, a) for a in self._orphans]  # resolved on restore
        return {"version": disk.VERSION, "alerts": rows}

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Replace the alert state with a ``snapshot()``; raises ValueError if it is malformed.

        Pending alerts keep their ``active_at`` (the ``for`` timer runs on); firing alerts stay
        firing without a new transition. Each restored series has ``stale_after`` from the first
        evaluation to report again before it counts as absent. An alert whose rule is gone (or
        no longer applies to its series) is resolved at the next evaluation if it was firing.
        """
        if snapshot.get("version") != disk.VERSION:
            raise ValueError(f"engine state version {snapshot.get('version')!r}, "
                             f"expected {disk.VERSION}")
        rows = [disk.parse_row(row) for row in snapshot.get("alerts", [])]
        self._index(list(self._rules.values()))
        self._dirty, self._hot, self._orphans, self._restored = [], {}, [], []
        for metric, value, ts, alert in rows:
            rule = self._rules.get(alert.rule)
            by_labels = self._series.get(metric)
            if rule is None or rule.metric != metric or by_labels is None:
                self._orphan([alert])
                continue
            key = tuple(sorted(alert.labels.items()))
            s = by_labels.get(key)
            if s is None:
                s = by_labels[key] = self._new_series(metric, alert.labels)
                s.value, s.ts = value, ts
                self._restored.append(s)
            if not any(r.name == rule.name for r, *_ in s.pairs):
                self._orphan([alert])
                continue
            s.alerts[rule.name] = replace(alert, labels=s.labels)
            self._hot[s] = None

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write ``snapshot()`` atomically (see :func:`rules.snapshot.write`)."""
        disk.write(path, self.snapshot())

    def load(self, path: str | os.PathLike[str]) -> None:
        """Restore from a file written by ``save``; a missing or unreadable file starts empty.

        An unreadable state file is logged, not raised: losing alert history is better than a
        daemon that cannot start. The next ``save`` overwrites it.
        """
        try:
            self.restore(disk.read(path))
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as err:
            log.error("engine state %s unreadable, starting without alerts: %s", path, err)
            self.restore({"version": disk.VERSION, "alerts": []})

