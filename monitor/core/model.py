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
    """

    metric: str
    value: float
    labels: Labels
    ts: float
    annotations: Labels = field(default_factory=lambda: NO_ANNOTATIONS)


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
