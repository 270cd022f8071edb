"""VictoriaSource: a read-only Store over a shared VictoriaMetrics (its export and query APIs),
so the weekly report of any site can be built from the store every daemon writes to."""

from __future__ import annotations

import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from monitor.core.errors import StoreError
from monitor.core.model import Alert, Reading
from monitor.store.alert_text import TEXT, Point, rebuild
from monitor.store.base import Rollup, Store
from monitor.store.http_read import Reader, ReadOnly
from monitor.store.influx_lines import ALERTS
from monitor.store.settings import InfluxSettings

log = logging.getLogger(__name__)

HOUR = 3600
# query_range evaluates each window (t - 1h, t]; at t = hour + 1h - 1 ms that is exactly the
# hour [hour, hour + 1h) of millisecond timestamps, the same hours SQLite rolls up.
_LAST_MS = 3599.999
_ROLLUPS = ("min_over_time", "max_over_time", "sum_over_time", "count_over_time")


class VictoriaSource(ReadOnly):
    """Reads what roomwatch's InfluxDB output wrote to VictoriaMetrics: measurement ``m`` with
    field ``value`` is the series ``m_value``; the bucket is the ``db`` label. Writing is refused."""

    def __init__(self, settings: InfluxSettings) -> None:
        self.settings = settings
        self.http = Reader(settings, name="victoriametrics", scheme="Bearer")

    # -- the Store protocol: reading ------------------------------------------------------------

    def query(self, metric: str, start: float, end: float,
              match: Mapping[str, str] | None = None) -> list[Reading]:
        """Raw readings of ``metric`` with ``start <= ts < end`` whose labels include ``match``."""
        out: list[Reading] = []
        for labels, stamps, values in self._export(self._selector(f"{metric}_value", match), start, end):
            del labels["__name__"]
            out.extend(Reading(metric, v, labels, ts) for ts, v in zip(stamps, values, strict=True)
                       if start <= ts < end)
        return sorted(out, key=lambda r: (sorted(r.labels.items()), r.ts))

    def rollups(self, metric: str, start: float, end: float,
                match: Mapping[str, str] | None = None) -> list[Rollup]:
        """Hourly min, max, mean and count of the hours (UTC-aligned, as SQLite's) starting in
        ``[start, end)``, computed by the server: four range queries, one point per hour."""
        first = math.ceil(start / HOUR) * HOUR
        last = math.ceil(end / HOUR) * HOUR - HOUR
        if last < first:
            return []
        selector = self._selector(f"{metric}_value", match)
        parts: dict[tuple[tuple[str, str], ...], dict[int, list[float]]] = defaultdict(dict)
        for i, func in enumerate(_ROLLUPS):
            for labels, points in self._range(f"{func}({selector}[1h])", first + _LAST_MS,
                                              last + _LAST_MS):
                key = tuple(sorted(labels.items()))
                for at, value in points:
                    hour = round(at - _LAST_MS)
                    parts[key].setdefault(hour, [math.nan] * 4)[i] = value
        out = []
        for key in sorted(parts):
            for hour, (lo, hi, total, count) in sorted(parts[key].items()):
                if count >= 1:
                    out.append(Rollup(metric=metric, labels=dict(key), hour=float(hour), min=lo,
                                      max=hi, avg=total / count, count=int(count)))
        return out

    def alerts(self, start: float, end: float) -> list[Alert]:
        """Alert transitions whose own time is in ``[start, end)``, oldest first: the ``alerts``
        measurement's numbers joined with the ``alert_text`` series that carries its strings."""
        return rebuild(self._points(ALERTS, ("value", "firing"), start, end),
                       self._points(TEXT, ("value", "fired_at", "resolved_at"), start, end),
                       where=f"victoriametrics {self.http.where}")

    def _points(self, measurement: str, fields: tuple[str, ...], start: float, end: float
                ) -> list[Point]:
        """Every point of ``measurement`` with its numeric ``fields`` (one series each here)."""
        by_point: dict[tuple[tuple[tuple[str, str], ...], float], dict[str, float | str]] = {}
        names = "|".join(fields)
        for labels, stamps, values in self._export(
                self._selector("", None, name_re=f"{measurement}_({names})"), start, end):
            name = labels.pop("__name__")[len(measurement) + 1:]
            key = tuple(sorted(labels.items()))
            for ts, v in zip(stamps, values, strict=True):
                if start <= ts < end:
                    by_point.setdefault((key, ts), {})[name] = v
        return [(dict(key), ts, point) for (key, ts), point in by_point.items()]

    # -- HTTP ----------------------------------------------------------------------------------

    def _selector(self, name: str, match: Mapping[str, str] | None, name_re: str = "") -> str:
        pairs = [f'__name__=~"{_quote(name_re)}"' if name_re else f'__name__="{_quote(name)}"',
                 # Written with a bucket VictoriaMetrics may keep it as `db` (v1 API) or not (v2).
                 f'db=~"{_quote(re.escape(self.settings.bucket))}|"']
        # An empty value would mean "label absent" to the server; the store never has such tags.
        pairs += [f'{k}="{_quote(v)}"' for k, v in sorted((match or {}).items()) if v != ""]
        return "{" + ",".join(pairs) + "}"

    def _export(self, selector: str, start: float, end: float
                ) -> Iterator[tuple[dict[str, str], list[float], list[float]]]:
        body = self.http.post("/api/v1/export", {"match[]": selector, "start": f"{start:.3f}",
                                             "end": f"{end:.3f}"})
        for line in body.splitlines():
            if line.strip():
                doc = json.loads(line)
                labels = dict(doc["metric"])
                labels.pop("db", None)
                yield labels, [t / 1000 for t in doc["timestamps"]], [float(v) for v in doc["values"]]

    def _range(self, query: str, start: float, end: float
               ) -> Iterator[tuple[dict[str, str], list[tuple[float, float]]]]:
        body = self.http.post("/api/v1/query_range", {"query": query, "start": f"{start:.3f}",
                                                  "end": f"{end:.3f}", "step": f"{HOUR}s",
                                                  "nocache": "1"})
        doc = json.loads(body)
        if doc.get("status") != "success":
            raise StoreError(f"victoriametrics {self.http.where}: query_range: {doc.get('error', doc)}",
                             retryable=False)
        for series in doc["data"]["result"]:
            labels = dict(series["metric"])
            labels.pop("db", None)
            labels.pop("__name__", None)  # some rollup functions keep the name, some drop it
            yield labels, [(float(t), float(v)) for t, v in series["values"]]


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


if TYPE_CHECKING:  # let mypy prove that VictoriaSource satisfies the Store protocol
    _protocol_check: Store = VictoriaSource(InfluxSettings())
