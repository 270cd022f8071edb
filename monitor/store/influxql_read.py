"""InfluxQLSource: a read-only Store over a shared InfluxDB 1.x (InfluxQL over /query), so the
weekly report of any site can be built from the store every daemon writes to."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from monitor.core.errors import StoreError
from monitor.core.model import Alert, Reading
from monitor.store.alert_text import TEXT, Point, rebuild
from monitor.store.base import Rollup, Store
from monitor.store.http_read import Reader, ReadOnly
from monitor.store.influx_lines import ALERTS
from monitor.store.settings import InfluxSettings

HOUR = 3600


class InfluxQLSource(ReadOnly):
    """Reads what roomwatch's InfluxDB output wrote: one measurement per metric with the field
    ``value``, labels as tags. ``bucket`` is "database" or "database/retention"."""

    def __init__(self, settings: InfluxSettings) -> None:
        self.settings = settings
        self.http = Reader(settings, name="influxdb", scheme="Token")
        self.database, _, self.retention = settings.bucket.partition("/")

    # -- the Store protocol: reading ------------------------------------------------------------

    def query(self, metric: str, start: float, end: float,
              match: Mapping[str, str] | None = None) -> list[Reading]:
        """Raw readings of ``metric`` with ``start <= ts < end`` whose labels include ``match``."""
        out = [Reading(metric, float(row["value"]), tags, ts)
               for tags, ts, row in self._select(metric, '"value"', start, end, match) if "value" in row]
        return sorted(out, key=lambda r: (sorted(r.labels.items()), r.ts))

    def rollups(self, metric: str, start: float, end: float,
                match: Mapping[str, str] | None = None) -> list[Rollup]:
        """Hourly min, max, mean and count of the hours starting in ``[start, end)``, computed by
        the server (its hours are UTC-aligned, as SQLite's)."""
        first = math.ceil(start / HOUR) * HOUR
        stop = math.ceil(end / HOUR) * HOUR
        if stop <= first:
            return []
        rows = self._select(metric, 'min("value"), max("value"), sum("value"), count("value")',
                            first, stop, match, group="time(1h), *")
        out = [Rollup(metric=metric, labels=tags, hour=ts, min=float(row["min"]), max=float(row["max"]),
                      avg=float(row["sum"]) / float(row["count"]), count=int(row["count"]))
               for tags, ts, row in rows if row.get("count")]
        return sorted(out, key=lambda r: (sorted(r.labels.items()), r.hour))

    def alerts(self, start: float, end: float) -> list[Alert]:
        """Alert transitions whose own time is in ``[start, end)``, oldest first: the ``alerts``
        measurement joined with its ``alert_text`` points (their times; the strings are in both)."""
        return rebuild(self._select(ALERTS, '"value", "summary", "clause"', start, end, None),
                       self._select(TEXT, '"value", "fired_at", "resolved_at"', start, end, None),
                       where=f"influxdb {self.http.where}")

    # -- InfluxQL ------------------------------------------------------------------------------

    def _select(self, measurement: str, fields: str, start: float, end: float,
                match: Mapping[str, str] | None, group: str = "*") -> list[Point]:
        where = [f"time >= {round(start * 1000)}ms", f"time < {round(end * 1000)}ms"]
        where += [f"{_ident(k)} = {_literal(v)}" for k, v in sorted((match or {}).items())]
        text = f"SELECT {fields} FROM {_ident(measurement)} WHERE {' AND '.join(where)} GROUP BY {group}"
        return [(tags, ts, row) for tags, ts, row in self._run(text) if row]

    def _run(self, text: str) -> Iterator[tuple[dict[str, str], float, dict[str, Any]]]:
        form = {"q": text, "db": self.database, "epoch": "ms"}
        if self.retention:
            form["rp"] = self.retention
        doc = json.loads(self.http.post("/query", form))
        for result in doc.get("results", []):
            if "error" in result:
                raise StoreError(f"influxdb {self.http.where}: {result['error']}", retryable=False)
            for series in result.get("series", []):
                # GROUP BY * names every tag key of the measurement; "" is a tag this series lacks.
                tags = {k: v for k, v in (series.get("tags") or {}).items() if v != ""}
                columns = series["columns"]
                for values in series["values"]:
                    row = dict(zip(columns, values, strict=True))
                    ts = row.pop("time") / 1000
                    yield tags, ts, {k: v for k, v in row.items() if v is not None}


def _ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


if TYPE_CHECKING:  # let mypy prove that InfluxQLSource satisfies the Store protocol
    _protocol_check: Store = InfluxQLSource(InfluxSettings())
