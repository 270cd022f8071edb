"""The grouping stage: alerts of one route with equal ``group_by`` labels travel together.

A group's timing is Alertmanager's: the first message waits ``group_wait`` after the group
appears (so that a dead switch's forty alerts arrive, and are inhibited, together); changes
are told no sooner than ``group_interval`` after the last message. One difference, chosen:
Alertmanager ticks every ``group_interval`` from the first message, so a change after a quiet
spell waits for the next tick; here it is told as soon as ``group_interval`` has passed since the
last message (a page is never later than Alertmanager's; see the README).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupKey:
    """Which group: the route's position, its receiver, and a digest of the group's labels.

    Stored (and used as the outbox fingerprint) as ``ROUTE:RECEIVER:DIGEST``; read back from
    both ends, so a receiver whose name has a colon (``oncall:张三``) survives the round trip.
    """

    route: int
    receiver: str
    digest: str

    def __str__(self) -> str:
        return f"{self.route}:{self.receiver}:{self.digest}"

    @classmethod
    def parse(cls, text: str) -> GroupKey:
        """The key a stored ``ROUTE:RECEIVER:DIGEST`` text names."""
        route, rest = text.split(":", 1)
        receiver, digest = rest.rsplit(":", 1)
        return cls(route=int(route), receiver=receiver, digest=digest)


@dataclass(slots=True, kw_only=True)
class Group:
    """One aggregation group: its key (route and receiver), labels, members and timing."""

    key: GroupKey
    labels: dict[str, str]
    created: float
    last_flush: float | None = None
    members: set[str] = field(default_factory=set)

    @property
    def route(self) -> int:
        """Position of the route that made the group."""
        return self.key.route

    @property
    def receiver(self) -> str:
        """The receiver the group is told to."""
        return self.key.receiver


def flush_due(group: Group, now: float, *, wait: float, interval: float) -> bool:
    """Whether the group should be looked at now (pure; the dedup stage decides what to tell)."""
    if group.last_flush is None:
        return now >= group.created + wait
    return now >= group.last_flush + interval
