"""Readings and alert transitions as InfluxDB line protocol (the schema of docs/schema.md).

One measurement per metric name, the reading's labels as tags, one float field ``value``.
Tags must stay few-valued, so labels that carry free text (a configuration diff, version
numbers that grow forever) become string fields instead: they are kept, but never index a series.
Alert transitions go to the ``alerts`` measurement.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping

from monitor.core.model import Alert, AlertState, Labels, Reading

log = logging.getLogger(__name__)

ALERTS = "alerts"
# Labels whose values are free text or grow without bound: string fields, never tags.
FIELD_LABELS = frozenset({"diff", "version", "previous"})
PRECISIONS = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\n": r"\n"})
_TAG = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": r"\n"})
_STRING = str.maketrans({'"': r"\"", "\\": "\\\\", "\n": r"\n"})
_PREFIX_CACHE = 200_000
_prefixes: dict[tuple[str, ...], str] = {}
_warned: set[str] = set()


def reading_lines(readings: Iterable[Reading], *, precision: str = "ms") -> list[str]:
    """Line protocol for each reading; a NaN or infinite value cannot be written and is skipped."""
    scale = PRECISIONS[precision]
    lines: list[str] = []
    append, cached, finite = lines.append, _prefixes.get, math.isfinite
    for r in readings:
        value, labels = r.value, r.labels
        if not finite(value):
            _warn_once(f"nan:{r.metric}", "influx: %s has a non-finite value; such points are skipped",
                       r.metric)
            continue
        # Escaping and sorting tags is most of the cost, so a series' prefix is built once. The key
        # is keys then values (its length tells where they part): no pair tuples to allocate.
        key = (r.metric, *labels, *labels.values())
        prefix = cached(key)
        if prefix is None:
            prefix = _prefix(key, r.metric, labels)
        if prefix[-1] == "=":
            append(f"{prefix}{value!r} {round(r.ts * scale)}")
        else:  # the series has free-text labels: they ride along as string fields
            append(f"{prefix}={value!r}{_extra_fields(labels)} {round(r.ts * scale)}")
    return lines


def _prefix(key: tuple[str, ...], metric: str, labels: Labels) -> str:
    if len(_prefixes) >= _PREFIX_CACHE:
        _prefixes.clear()
    # "value=" ends a plain series' prefix; "value" alone marks one with string fields to add.
    prefix = _series(metric, labels) + ("value" if not FIELD_LABELS.isdisjoint(labels) else "value=")
    _prefixes[key] = prefix
    return prefix


def alert_lines(alerts: Iterable[Alert], *, precision: str = "ms") -> list[str]:
    """One ``alerts`` point per transition, stamped with the time of the state it entered."""
    scale = PRECISIONS[precision]
    lines = []
    for a in alerts:
        ts = {AlertState.PENDING: a.active_at, AlertState.FIRING: a.fired_at,
              AlertState.RESOLVED: a.resolved_at}[a.state]
        tags = {**a.labels, "rule": a.rule, "severity": a.severity.value, "state": a.state.value}
        fields = [f"firing={int(a.state is AlertState.FIRING)}i", f'summary="{_string(a.summary)}"',
                  f'clause="{_string(a.clause)}"', f'fingerprint="{a.fingerprint}"']
        if math.isfinite(a.value):
            fields.insert(0, f"value={a.value!r}")
        stamp = round((a.active_at if ts is None else ts) * scale)
        lines.append(f"{_series(ALERTS, tags)}{','.join(fields)}{_extra_fields(a.labels)} {stamp}")
    return lines


def tags_of(labels: Mapping[str, str]) -> dict[str, str]:
    """The labels that become tags: all but the free-text ones and empty values."""
    return {k: v for k, v in labels.items() if v != "" and k not in FIELD_LABELS}


def _series(measurement: str, labels: Labels) -> str:
    tags = "".join(f",{k.translate(_TAG)}={v.translate(_TAG)}"
                   for k, v in sorted(tags_of(labels).items()))
    return f"{measurement.translate(_MEASUREMENT)}{tags} "


def _extra_fields(labels: Labels) -> str:
    if FIELD_LABELS.isdisjoint(labels):
        return ""
    return "".join(f',{k}="{_string(labels[k])}"' for k in sorted(FIELD_LABELS.intersection(labels)))


def _string(text: str) -> str:
    return text.translate(_STRING)


def _warn_once(key: str, message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)
