"""Readings and alert transitions as InfluxDB line protocol (the schema of docs/schema.md).

One measurement per metric name, the reading's labels as tags, one float field ``value``.
Tags must stay few-valued, so labels that carry free text (a configuration diff, version
numbers that grow forever) become string fields instead: they are kept, but never index a series.
Alert transitions go to the ``alerts`` measurement.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from operator import attrgetter

import orjson

from monitor.core.model import NO_ANNOTATIONS, Alert, AlertState, Labels, Reading, Series

log = logging.getLogger(__name__)

ALERTS = "alerts"
# Labels whose values are free text or grow without bound: string fields, never tags.
FIELD_LABELS = frozenset({"diff", "version", "previous"})
PRECISIONS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n"})
_TAG = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n"})
_STRING = str.maketrans({'"': r"\"", "\\": "\\\\", "\n": r"\n"})
_PREFIX_CACHE = 200_000
_CHUNK = 1000  # readings encoded at once (see body)
_EQUALS = ord("=")
_SERIES, _VALUE, _TS, _NOTES = (attrgetter(name) for name in ("series", "value", "ts", "annotations"))
_MALFORMED = (TypeError, ValueError, AttributeError, OverflowError)


class LineEncoder:
    """Readings and alert transitions as line protocol. It remembers each series' escaped prefix
    (escaping and sorting tags is most of the cost) and the warnings it gave: one encoder per
    output, so nothing is shared through the module."""

    def __init__(self, precision: str = "ms") -> None:
        self.scale = PRECISIONS[precision]
        self._prefixes: dict[tuple[str, ...], bytes] = {}
        self._formats: dict[Series, bytes] = {}  # plain series -> its prefix + b"%b", "%" escaped
        self._warned: set[str] = set()

    def body(self, readings: Sequence[Reading]) -> tuple[bytes, int]:
        """``readings`` as newline-terminated lines, one request body's worth (what the output
        queues), and how many lines it holds. Readings from the scheduler carry their ``Series``:
        for them the body is made by C loops (one ``%`` over a format joined from cached
        prefixes), about a third of the cost of line by line; anything else (a payload, string fields,
        a non-finite value, a reading without a series) is encoded line by line. It works in
        chunks: a whole 5,000-line body at once no longer fits the CPU's cache and costs a
        quarter more a point (measured)."""
        if len(readings) <= _CHUNK:
            return self._chunk(readings)
        parts = [self._chunk(readings[i:i + _CHUNK]) for i in range(0, len(readings), _CHUNK)]
        return b"".join([body for body, _ in parts]), sum(n for _, n in parts)

    def _chunk(self, readings: Sequence[Reading]) -> tuple[bytes, int]:
        try:
            made = self._fast(readings)
        except _MALFORMED:  # the line-by-line path skips the bad reading and says which
            made = None
        if made is not None:
            return made, len(readings)
        lines = self.wire(readings)
        return b"".join(line + b"\n" for line in lines), len(lines)

    def _fast(self, readings: Sequence[Reading]) -> bytes | None:
        try:  # a busy output has met every series before: no scan for the missing ones
            formats = list(map(self._formats.__getitem__, map(_SERIES, readings)))
        except KeyError:
            formats = []
            for series in map(_SERIES, readings):
                found = None if series is None else self._formats.get(series) or self._format(series)
                if found is None:
                    return None  # a reading without a series, or one with string fields: line by line
                formats.append(found)
        notes = list(map(_NOTES, readings))
        if notes.count(NO_ANNOTATIONS) != len(notes):  # count compares by identity first: cheap
            return None
        times = list(map(_TS, readings))
        scale = self.scale
        if times and times.count(times[0]) == len(times):  # one poll: one time for every line
            stamp = b" %d\n" % round(times[0] * scale)
            body = stamp.join(formats) + stamp
        else:
            stamps = {ts: b" %d\n" % round(ts * scale) for ts in set(times)}
            lines = zip(formats, map(stamps.__getitem__, times), strict=True)
            body = b"".join(chain.from_iterable(lines))
        values = list(map(_VALUE, readings))
        # A NaN or an infinity makes the sum non-finite (so does an overflow of huge values,
        # which only costs the slower path); the line-by-line path skips such values and warns.
        if not math.isfinite(sum(values)):
            return None
        try:
            # orjson writes shortest round-trip floats as repr does (1e16 without repr's "+"),
            # at a third of repr's cost: the biggest single cost of a line.
            texts = orjson.dumps(values)[1:-1].split(b",")
        except TypeError:  # not a number orjson knows: the line-by-line path says what it is
            return None
        return body % tuple(texts)

    def _format(self, series: Series) -> bytes | None:
        """The series' prefix + ``%b`` (``%`` escaped), kept; None for a series with string fields."""
        if len(self._formats) >= _PREFIX_CACHE:
            self._formats.clear()
        prefix = self._prefixes.get((series.metric, *series.labels, *series.labels.values()))
        if prefix is None:
            prefix = self._prefix(series.metric, series.labels)
        if prefix[-1] != _EQUALS:
            return None
        made = self._formats[series] = prefix.replace(b"%", b"%%") + b"%b"
        return made

    def readings(self, readings: Iterable[Reading]) -> list[str]:
        """Line protocol for each reading; a NaN or infinite value cannot be written and is skipped."""
        return [line.decode() for line in self.wire(readings)]

    def wire(self, readings: Iterable[Reading]) -> list[bytes]:
        """``readings`` as the UTF-8 lines a request body joins (what the output sends)."""
        scale = self.scale
        lines: list[bytes] = []
        append, cached, finite = lines.append, self._prefixes.get, math.isfinite
        last_ts, stamp = None, b""
        for r in readings:
            try:
                value, labels, ts = r.value, r.labels, r.ts
                # The key is keys then values (its length tells where they part): no pair tuples.
                prefix = cached((r.metric, *labels, *labels.values()))
                if prefix is None:
                    prefix = self._prefix(r.metric, labels)
                if ts != last_ts:  # one scrape's readings share their time: format it once
                    last_ts, stamp = ts, b" %d" % round(ts * scale)
                if prefix[-1] == _EQUALS and r.annotations is NO_ANNOTATIONS and finite(value):
                    append(b"%b%r%b" % (prefix, value, stamp))  # most points: one format from the cache
                elif finite(value):
                    append(self._fielded(prefix, r, stamp))
                else:
                    self._warn_once(f"nan:{r.metric}", "influx: %s has a non-finite value; such points "
                                    "are skipped", r.metric)
            except _MALFORMED as err:  # one bad reading (a label that is not text, no time) costs itself
                last_ts = None
                metric = getattr(r, "metric", "?")
                self._warn_once(f"bad:{metric}", "influx: a %s reading cannot be written (%s); such "
                                "points are skipped", metric, type(err).__name__)
        return lines

    def alerts(self, alerts: Iterable[Alert]) -> list[str]:
        """One ``alerts`` point per transition, stamped with the time of the state it entered."""
        lines = []
        for a in alerts:
            ts = {AlertState.PENDING: a.active_at, AlertState.FIRING: a.fired_at,
                  AlertState.RESOLVED: a.resolved_at}[a.state]
            tags = {**a.labels, "rule": a.rule, "severity": a.severity.value, "state": a.state.value}
            fields = [f"firing={int(a.state is AlertState.FIRING)}i", f'summary="{_string(a.summary)}"',
                      f'clause="{_string(a.clause)}"', f'fingerprint="{a.fingerprint}"']
            if math.isfinite(a.value):
                fields.insert(0, f"value={a.value!r}")
            stamp = round((a.active_at if ts is None else ts) * self.scale)
            notes = _fields(a.annotations) if a.annotations else ""
            lines.append(f"{_series(ALERTS, tags)}{','.join(fields)}{_extra_fields(a.labels)}{notes} {stamp}")
        return lines

    def _prefix(self, metric: str, labels: Labels) -> bytes:
        if len(self._prefixes) >= _PREFIX_CACHE:
            self._prefixes.clear()
        # "value=" ends a plain series' prefix; "value" alone marks one with string fields to add.
        prefix = _series(metric, labels) + ("value" if not FIELD_LABELS.isdisjoint(labels) else "value=")
        encoded = prefix.encode()
        self._prefixes[(metric, *labels, *labels.values())] = encoded
        return encoded

    @staticmethod
    def _fielded(prefix: bytes, r: Reading, stamp: bytes) -> bytes:
        """A point whose free-text labels or payload ride along as string fields."""
        head = prefix if prefix[-1] == _EQUALS else prefix + b"="
        notes = _fields(r.annotations) if r.annotations else ""
        return b"%b%r%b%b" % (head, r.value, f"{_extra_fields(r.labels)}{notes}".encode(), stamp)

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)


def reading_lines(readings: Iterable[Reading], *, precision: str = "ms") -> list[str]:
    """Readings as line protocol, once (an output keeps its own ``LineEncoder``)."""
    return LineEncoder(precision).readings(readings)


def alert_lines(alerts: Iterable[Alert], *, precision: str = "ms") -> list[str]:
    """Alert transitions as line protocol, once (an output keeps its own ``LineEncoder``)."""
    return LineEncoder(precision).alerts(alerts)


def tags_of(labels: Mapping[str, str]) -> dict[str, str]:
    """The labels that become tags: all but the free-text ones and empty values."""
    return {k: v for k, v in labels.items() if v != "" and k not in FIELD_LABELS}


def _series(measurement: str, labels: Labels) -> str:
    tags = "".join(f",{k.translate(_TAG)}={v.translate(_TAG)}"
                   for k, v in sorted(tags_of(labels).items()))
    return f"{measurement.translate(_MEASUREMENT)}{tags} "


def _fields(annotations: Labels) -> str:
    return "".join(f',{k.translate(_TAG)}="{_string(v)}"' for k, v in sorted(annotations.items()))


def _extra_fields(labels: Labels) -> str:
    if FIELD_LABELS.isdisjoint(labels):
        return ""
    return "".join(f',{k}="{_string(labels[k])}"' for k in sorted(FIELD_LABELS.intersection(labels)))


def _string(text: str) -> str:
    return text.translate(_STRING)
