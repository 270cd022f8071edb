"""The mute stage: inhibition, silences and maintenance windows, as one decision.

A muted alert is still evaluated and stored; it is only not *told* as firing. Resolves of
alerts told as firing are never muted (see :mod:`alerts.dedup`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from alerts.inhibit import CompiledInhibit, inhibited
from alerts.matchers import alert_labels
from alerts.silence import Silence
from monitor.core.model import Alert, AlertState
from monitor.core.windows import Window, active_window


def muted(alerts: Iterable[Alert], now: float, *, rules: Sequence[CompiledInhibit],
          down_rule: str, parents: Mapping[str, str], silences: Sequence[Silence],
          windows: Sequence[Window]) -> dict[str, str]:
    """fingerprint → why, for every firing alert that must not be told at ``now``."""
    alerts = list(alerts)
    out = inhibited(alerts, rules, down_rule=down_rule, parents=parents)
    live = [s for s in silences if s.active(now)]
    for alert in alerts:
        if alert.state is not AlertState.FIRING or alert.fingerprint in out:
            continue
        labels = alert_labels(alert)
        for s in live:
            if s.covers(labels):
                out[alert.fingerprint] = f"silence {s.id}"
                break
        else:
            window = active_window(list(windows), labels, now) if windows else None
            if window is not None:
                out[alert.fingerprint] = f"maintenance {window.name}"
    return out
