"""The grouping stage: alerts of one route with equal ``group_by`` labels travel together.

A group's timing is Alertmanager's: the first message waits ``group_wait`` after the group
appears (so that a dead switch's forty alerts arrive, and are inhibited, together); changes
are told no sooner than ``group_interval`` after the last message.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, kw_only=True)
class Group:
    """One aggregation group: which route and receiver, its labels, members and timing."""

    key: str
    route: int
    receiver: str
    labels: dict[str, str]
    created: float
    last_flush: float | None = None
    members: set[str] = field(default_factory=set)


def flush_due(group: Group, now: float, *, wait: float, interval: float) -> bool:
    """Whether the group should be looked at now (pure; the dedup stage decides what to tell)."""
    if group.last_flush is None:
        return now >= group.created + wait
    return now >= group.last_flush + interval
