"""The Store protocol every backend implements, and the rollup row the report reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from monitor.core.model import Alert, Labels, Reading


@dataclass(frozen=True, slots=True, kw_only=True)
class Rollup:
    """Hourly aggregate of one series: the hour's start (epoch s), min, max, mean and count."""

    metric: str
    labels: Labels
    hour: float
    min: float
    max: float
    avg: float
    count: int


class Store(Protocol):
    """Where readings and alert transitions go. Writes are buffered; ``flush`` commits them."""

    def write(self, readings: Sequence[Reading]) -> None:
        """Buffer readings; may flush by itself when the buffer is full."""

    def write_alerts(self, alerts: Sequence[Alert]) -> None:
        """Record alert transitions (pending, firing, resolved) in the alert history."""

    def flush(self) -> None:
        """Commit everything buffered. Raises StoreError(retryable=…) on failure."""

    def close(self) -> None:
        """Flush and release resources."""

    def query(
        self, metric: str, start: float, end: float, match: Mapping[str, str] | None = None
    ) -> list[Reading]:
        """Raw readings of ``metric`` with ``start <= ts < end`` whose labels include ``match``."""

    def rollups(
        self, metric: str, start: float, end: float, match: Mapping[str, str] | None = None
    ) -> list[Rollup]:
        """Hourly rollups of ``metric`` for hours starting in ``[start, end)``."""

    def alerts(self, start: float, end: float) -> list[Alert]:
        """Alert transitions recorded with a timestamp in ``[start, end)``, oldest first."""
