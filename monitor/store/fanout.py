"""SQLite plus the optional outputs (InfluxDB), written together.

SQLite stays the store of record: it keeps the rollups the report reads, answers every query,
and its failures are the daemon's to see. Outputs only receive copies; they keep their own
durable queues, so an output that is down never raises into the daemon nor holds SQLite back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from monitor.core.model import Alert, Reading
from monitor.store.base import Rollup, Store
from monitor.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)


class Output(Protocol):
    """A write-only copy of the readings with its own queue (monitor/store/influx.py)."""

    name: str

    def write(self, readings: Sequence[Reading]) -> None:
        """Queue readings; never raises for a server that is down."""

    def write_alerts(self, alerts: Sequence[Alert]) -> None:
        """Queue alert transitions."""

    def flush(self) -> None:
        """Send soon; never blocks on the server."""

    def close(self) -> None:
        """Send or keep on disk whatever is queued."""

    def stats(self) -> dict[str, int]:
        """Counters: sent, rejected, queued, dropped."""


class FanOut:
    """The daemon's store: the SQLite store of record and a copy to every output."""

    def __init__(self, primary: SQLiteStore, outputs: Sequence[Output] = ()) -> None:
        self.primary = primary
        self.outputs = list(outputs)

    def write(self, readings: Sequence[Reading]) -> None:
        """Buffer in SQLite, queue in every output."""
        self.primary.write(readings)
        for out in self.outputs:
            out.write(readings)

    def write_alerts(self, alerts: Sequence[Alert]) -> None:
        """Record alert transitions everywhere."""
        self.primary.write_alerts(alerts)
        for out in self.outputs:
            out.write_alerts(alerts)

    def flush(self) -> None:
        """Commit SQLite (its StoreError goes to the caller) and nudge the outputs."""
        for out in self.outputs:
            out.flush()
        self.primary.flush()

    def close(self) -> None:
        """Close the outputs, then SQLite (whose final flush may raise)."""
        for out in self.outputs:
            try:
                out.close()
            except Exception:  # one broken output must not cost SQLite its final flush
                log.exception("closing output %r failed", out)
        self.primary.close()

    def health(self, now: float, labels: Mapping[str, str]) -> list[Reading]:
        """Each output's backlog and losses as readings, so a rule can tell when one is down."""
        out = []
        for o in self.outputs:
            stats = o.stats()
            tags = {**labels, "output": o.name}
            out += [Reading("output_queued_points", float(stats["queued"]), tags, now),
                    Reading("output_dropped_points_total", float(stats["dropped"]), dict(tags), now),
                    Reading("output_rejected_points_total", float(stats["rejected"]), dict(tags), now)]
        return out

    def prune(self, now: float) -> None:
        """SQLite retention; outputs keep their own."""
        self.primary.prune(now)

    def query(self, metric: str, start: float, end: float,
              match: Mapping[str, str] | None = None) -> list[Reading]:
        """Raw readings, from SQLite."""
        return self.primary.query(metric, start, end, match)

    def rollups(self, metric: str, start: float, end: float,
                match: Mapping[str, str] | None = None) -> list[Rollup]:
        """Hourly rollups, from SQLite."""
        return self.primary.rollups(metric, start, end, match)

    def alerts(self, start: float, end: float) -> list[Alert]:
        """Alert history, from SQLite."""
        return self.primary.alerts(start, end)


if TYPE_CHECKING:  # let mypy prove that FanOut satisfies the Store protocol
    _protocol_check: Store = FanOut(SQLiteStore(Path()))
