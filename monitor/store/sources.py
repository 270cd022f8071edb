"""Where ``roomwatch report`` reads: the local SQLite store or the shared store every daemon
writes to, optionally narrowed to one site."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from monitor.core.errors import StoreError
from monitor.core.model import Alert, Reading
from monitor.store.base import Rollup, Store

if TYPE_CHECKING:
    from monitor.store.settings import InfluxSettings


class Source(enum.Enum):
    """The store a report is built from."""

    SQLITE = "sqlite"
    INFLUXDB = "influxdb"
    VICTORIAMETRICS = "victoriametrics"


def open_remote(source: Source, settings: InfluxSettings) -> Store:
    """The shared store of ``[store.influxdb]`` (url, token, bucket), read-only: InfluxQL for
    InfluxDB 1.x, the export and query APIs for VictoriaMetrics."""
    if not settings.url:
        raise StoreError(f"--source {source.value} reads where [store.influxdb] writes, but "
                         "store.influxdb.url is empty", retryable=False)
    if source is Source.INFLUXDB:
        from monitor.store.influxql_read import InfluxQLSource

        return InfluxQLSource(settings)
    from monitor.store.victoria_read import VictoriaSource

    return VictoriaSource(settings)


class SiteStore:
    """A read-only view of ``inner`` holding only the series and alerts labelled ``site``."""

    def __init__(self, inner: Store, site: str) -> None:
        self.inner = inner
        self.site = site

    def query(self, metric: str, start: float, end: float,
              match: Mapping[str, str] | None = None) -> list[Reading]:
        """The inner store's readings, of this site only."""
        return self.inner.query(metric, start, end, self._match(match))

    def rollups(self, metric: str, start: float, end: float,
                match: Mapping[str, str] | None = None) -> list[Rollup]:
        """The inner store's rollups, of this site only."""
        return self.inner.rollups(metric, start, end, self._match(match))

    def alerts(self, start: float, end: float) -> list[Alert]:
        """The inner store's alert transitions whose labels say this site."""
        return [a for a in self.inner.alerts(start, end) if a.labels.get("site") == self.site]

    def write(self, readings: Sequence[Reading]) -> None:
        """Refused: a view for reports."""
        raise StoreError(f"site view {self.site!r} is read-only", retryable=False)

    def write_alerts(self, alerts: Sequence[Alert]) -> None:
        """Refused, as ``write``."""
        self.write(())

    def flush(self) -> None:
        """Nothing is buffered here."""

    def close(self) -> None:
        """Close the inner store."""
        self.inner.close()

    def _match(self, match: Mapping[str, str] | None) -> dict[str, str]:
        return {**(match or {}), "site": self.site}


if TYPE_CHECKING:  # let mypy prove that SiteStore satisfies the Store protocol
    _protocol_check: Store = SiteStore(SiteStore.__new__(SiteStore), "")
