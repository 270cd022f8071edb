"""The escalation stage: unacknowledged firing alerts climb levels as time passes.

Each level tells its receiver once per firing episode (the per-alert notification log, key
``esc:POLICY:LEVEL:RECEIVER``); a level told as firing is told the resolve too. ``oncall``
resolves to whoever the rota names when the level is reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from alerts.config import Escalation, Level
from alerts.matchers import Matcher, alert_labels, all_match, parse_matchers
from monitor.core.model import Alert, AlertState


@dataclass(frozen=True, slots=True)
class Policy:
    """An escalation policy with its matchers parsed."""

    index: int
    matchers: tuple[Matcher, ...]
    levels: tuple[Level, ...]


@dataclass(frozen=True, slots=True)
class Step:
    """One level to tell now: the log key prefix and the receiver (or ``oncall``)."""

    key: str
    receiver: str
    level: int


def compile_policies(escalations: Sequence[Escalation]) -> list[Policy]:
    """Parse every policy's matchers once."""
    return [Policy(i, parse_matchers(e.matchers), tuple(e.levels)) for i, e in enumerate(escalations)]


def due_steps(alert: Alert, policies: Sequence[Policy], told: Mapping[str, str], *,
              now: float, muted: bool, acked: bool) -> list[Step]:
    """Levels that must be told ``alert`` is firing now.

    ``told`` maps a key prefix ``esc:P:L`` to the state last told under it for this alert.
    """
    if alert.state is not AlertState.FIRING or muted or acked:
        return []
    start = alert.fired_at if alert.fired_at is not None else alert.active_at
    labels = alert_labels(alert)
    steps = []
    for policy in policies:
        if not all_match(policy.matchers, labels):
            continue
        for j, level in enumerate(policy.levels):
            key = f"esc:{policy.index}:{j}"
            if now >= start + level.after and told.get(key) != AlertState.FIRING.value:
                steps.append(Step(key, level.receiver, j + 1))
    return steps


def resolved_steps(alert: Alert, told: Mapping[str, tuple[str, str]]) -> list[tuple[str, str]]:
    """(log key, receiver) of levels told firing that must now hear the resolve."""
    if alert.state is not AlertState.RESOLVED:
        return []
    return [(key, receiver) for key, (state, receiver) in told.items()
            if state == AlertState.FIRING.value]
