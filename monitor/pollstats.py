"""How long polls take and how many fail, per transport and device kind, for /metrics."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
"""Upper bounds (seconds) of the poll-duration histogram: SNMP answers in milliseconds, an SSH
login takes a second or two, a timeout runs to the device's deadline."""


@dataclass(kw_only=True)
class Series:
    """One (transport, kind): polls per duration bucket (the last one: above every bound), their
    summed duration and the number that failed."""

    counts: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS) + 1))
    total: float = 0.0
    failures: int = 0

    @property
    def polls(self) -> int:
        """Polls observed."""
        return sum(self.counts)

    def cumulative(self) -> list[tuple[str, float]]:
        """Prometheus histogram buckets: ``(le, polls ≤ le)`` including ``+Inf``."""
        out, running = [], 0
        for bound, n in zip([*map(str, BUCKETS), "+Inf"], self.counts, strict=True):
            running += n
            out.append((bound, float(running)))
        return out


@dataclass(kw_only=True)
class PollStats:
    """Fed by the scheduler after every collection (``observe``), read by /metrics."""

    series: dict[tuple[str, str], Series] = field(default_factory=dict)

    def observe(self, *, transport: str, kind: str, seconds: float, failed: bool) -> None:
        """Count one finished collection."""
        found = self.series.get((transport, kind))
        if found is None:
            found = self.series[(transport, kind)] = Series()
        found.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        found.total += seconds
        found.failures += failed
