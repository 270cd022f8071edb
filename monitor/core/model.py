"""Leaf types every part of roomwatch shares: readings, alerts, severities (stdlib only)."""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType

Labels = Mapping[str, str]


NO_ANNOTATIONS: Labels = MappingProxyType({})
"""The empty payload most readings carry (read-only, so one object serves all)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One observed value: a metric name with a unit suffix, a float, identity labels, a time,
    and an optional payload (``annotations``: a configuration diff, a snapshot id) that stores,
    alerts and messages carry but that is not identity: it makes no new series or alert.

    ``ts`` is seconds since the epoch (float). ``labels`` always carries ``device`` once the
    scheduler has seen it; enumerations belong in labels, never in the metric name.

    ``series`` is the reading's identity made once (``SeriesTable``): readings of the same series
    share it, so a consumer can look up what it derived (a line-protocol prefix, a store id) by
    the object instead of hashing the labels again. None for readings made elsewhere; whoever
    makes a reading with other labels makes it without ``series``.
    """

    metric: str
    value: float
    labels: Labels
    ts: float
    annotations: Labels = field(default_factory=lambda: NO_ANNOTATIONS)
    series: Series | None = field(default=None, compare=False, repr=False)


class Series:
    """One time series' identity: a metric name and its labels, made once by a ``SeriesTable``
    and shared by every reading of the series. It hashes and compares as the object itself,
    which is the point: a cache keyed by it costs no label hashing."""

    __slots__ = ("labels", "metric")

    def __init__(self, metric: str, labels: Labels) -> None:
        self.metric = metric
        self.labels = labels


class SeriesTable:
    """The series of one source, so that each poll's readings reuse the ``Series`` (and the
    labels dict) of the poll before instead of making new ones. ``base`` labels (the device's
    identity) are added to what the source reports and win over it. Bounded: a source whose
    labels never repeat empties it now and then rather than growing it."""

    def __init__(self, base: Labels, *, limit: int = 50_000) -> None:
        self.base = dict(base)
        self.limit = limit
        self._known: dict[tuple[str, ...], Series] = {}

    def get(self, metric: str, labels: Labels) -> Series:
        """The series of ``metric`` with ``labels`` plus the base labels."""
        # Keys then values (the length tells where they part): cheaper than pairs or sorting.
        # A source reporting the same labels in another order makes a second Series: harmless.
        key = (metric, *labels, *labels.values())
        found = self._known.get(key)
        if found is None:
            if len(self._known) >= self.limit:
                self._known.clear()
            found = self._known[key] = Series(metric, {**labels, **self.base})
        return found

    def reading(self, metric: str, value: float, labels: Labels, ts: float,
                annotations: Labels = NO_ANNOTATIONS) -> Reading:
        """A reading of this source, with its shared series and labels."""
        series = self.get(metric, labels)
        return Reading(metric, value, series.labels, ts, annotations, series)


class Severity(enum.Enum):
    """How loudly an alert should be told; ordered info < warning < critical."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for critical."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


class AlertState(enum.Enum):
    """Where an alert is in its life: pending (condition holds, `for` not yet passed),
    firing (told to people), resolved (condition no longer holds)."""

    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One rule breached by one series, with the timestamps of its life.

    ``active_at`` is when the condition first held, ``fired_at`` when the alert became firing
    (None while pending), ``resolved_at`` when it stopped holding (None until then).
    """

    rule: str
    labels: Labels
    state: AlertState
    severity: Severity
    value: float
    active_at: float
    fired_at: float | None = None
    resolved_at: float | None = None
    summary: str = ""
    clause: str = ""
    annotations: Mapping[str, str] = field(default_factory=dict)
    summary_en: str = ""  # the rule's English summary, for receivers and reports in English

    @property
    def fingerprint(self) -> str:
        """Stable identity of rule + labels: the same breach keeps the same id across restarts."""
        return fingerprint(self.rule, self.labels)


def fingerprint(rule: str, labels: Labels) -> str:
    """A short stable hash of a rule name and a label set (order of labels does not matter)."""
    text = rule + "\x00" + "\x00".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:16]


def series_key(metric: str, labels: Labels) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Hashable identity of one time series."""
    return metric, tuple(sorted(labels.items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack:
    """An acknowledgement (``roomwatch ack``): who took which firing episode of an alert, and
    when. ``fired_at`` names the episode (None: whichever)."""

    fingerprint: str
    fired_at: float | None
    by: str
    ts: float
    comment: str = ""

    def covers(self, fired_at: float | None) -> bool:
        """Whether this ack is for the episode that fired at ``fired_at`` (to the millisecond)."""
        return self.fired_at is None or fired_at is None or abs(self.fired_at - fired_at) < 1e-3


def alert_to_json(alert: Alert) -> str:
    """An alert as kept on disk (the pipeline's state, the Alertmanager output's firing set)."""
    doc = asdict(alert)
    doc["state"], doc["severity"] = alert.state.value, alert.severity.value
    doc["labels"], doc["annotations"] = dict(alert.labels), dict(alert.annotations)
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def alert_from_json(text: str) -> Alert:
    """An alert as kept on disk, back."""
    doc = json.loads(text)
    doc["state"], doc["severity"] = AlertState(doc["state"]), Severity(doc["severity"])
    return Alert(**doc)
