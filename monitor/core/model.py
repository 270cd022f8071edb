"""Leaf types every part of roomwatch shares: readings, alerts, severities (stdlib only)."""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

Labels = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Reading:
    """One observed value: a metric name with a unit suffix, a float, identity labels, a time.

    ``ts`` is seconds since the epoch (float). ``labels`` always carries ``device`` once the
    scheduler has seen it; enumerations belong in labels, never in the metric name.
    """

    metric: str
    value: float
    labels: Labels
    ts: float


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
