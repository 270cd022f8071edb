"""The mute stage: inhibition, silences and maintenance windows, as one decision.

A muted alert is still evaluated and stored; it is only not *told* as firing. Resolves of
alerts told as firing are never muted (see :mod:`alerts.dedup`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence, Set

from alerts.inhibit import CompiledInhibit, inhibited
from alerts.matchers import alert_labels
from alerts.silence import Silence
from monitor.core.model import Alert, AlertState
from monitor.core.windows import Window, active_window

log = logging.getLogger(__name__)


def muted(alerts: Iterable[Alert], now: float, *, rules: Sequence[CompiledInhibit],
          down_rule: str, parents: Mapping[str, str], silences: Sequence[Silence],
          windows: Sequence[Window], settling: Set[str] = frozenset(),
          record_only: Set[str] = frozenset()) -> dict[str, str]:
    """fingerprint → why, for every firing alert that must not be told at ``now``; ``settling``
    are parents whose down alert resolved moments ago (see :class:`Recovered`)."""
    alerts = list(alerts)
    out = inhibited(alerts, rules, down_rule=down_rule, parents=parents, settling=settling)
    live = [s for s in silences if s.active(now)]
    for alert in alerts:
        if alert.state is not AlertState.FIRING or alert.fingerprint in out:
            continue
        labels = alert_labels(alert)
        if labels.get("level") in record_only:
            out[alert.fingerprint] = f"level {labels['level']}: daily record only"
            continue
        for s in live:
            if s.covers(labels):
                out[alert.fingerprint] = f"silence {s.id}"
                break
        else:
            window = active_window(list(windows), labels, now) if windows else None
            if window is not None:
                out[alert.fingerprint] = f"maintenance {window.name}"
    return out


def log_changes(before: Mapping[str, str], muted: Mapping[str, str],
                alerts: Mapping[str, Alert]) -> dict[str, str]:
    """Log each newly muted alert and why; return ``muted`` as the next ``before``. Once per
    alert and reason, not per flush: people asking "why was I not paged?" find it."""
    for fingerprint, why in muted.items():
        if before.get(fingerprint) != why and fingerprint in alerts:
            alert = alerts[fingerprint]
            log.info("alert=%s device=%s muted (%s): evaluated and stored, not told", alert.rule,
                     alert.labels.get("device", "?"), why)
    return dict(muted)


class Recovered:
    """When each device's down alert last resolved, so its children stay muted a while longer.

    Muting is recomputed from what fires now: without this, the moment a dead switch's
    ``device_down`` resolves, its forty children (whose own recovery the engine judges a poll
    later) are tellable, and their groups, created during the outage, are long past
    ``group_wait`` — forty pages, then forty resolves. Kept in memory only: a daemon restarted
    inside the grace period may page a child once.
    """

    def __init__(self) -> None:
        self._at: dict[str, float] = {}

    def note(self, alerts: Iterable[Alert], down_rule: str, now: float) -> None:
        """Remember the devices whose down alert resolves in these transitions."""
        for a in alerts:
            if a.rule == down_rule and a.state is AlertState.RESOLVED and "device" in a.labels:
                self._at[a.labels["device"]] = a.resolved_at if a.resolved_at is not None else now

    def within(self, now: float, grace: float) -> frozenset[str]:
        """Devices that came back less than ``grace`` seconds ago (older ones are forgotten)."""
        self._at = {d: t for d, t in self._at.items() if now < t + grace}
        return frozenset(self._at)
