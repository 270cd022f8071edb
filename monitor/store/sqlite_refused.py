"""Finding the rows SQLite refuses in a batch, so one bad row never blocks the rows behind it."""

from __future__ import annotations

import sqlite3
from typing import Any

from monitor.core.model import Reading

Part = tuple[list[Reading], list[tuple[Any, ...]]]
"""Readings and alert rows committed together."""

ROW_ERRORS = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.InterfaceError, OverflowError)
"""Errors that say "this content is refused" (a constraint, a datatype, a value out of range),
which no retry will change. Everything else (busy, disk full, I/O, corrupt) is about the file:
the rows are kept and retried."""


def split(part: Part) -> list[Part]:
    """The halves of a refused part, last half first (they go on a stack, so the first half is
    committed first); ``[]`` when the part is one row, which is then the refused one."""
    batch, alerts = part
    if batch and alerts:
        return [([], alerts), (batch, [])]
    if len(batch) > 1:
        half = len(batch) // 2
        return [(batch[half:], []), (batch[:half], [])]
    if len(alerts) > 1:
        half = len(alerts) // 2
        return [([], alerts[half:]), ([], alerts[:half])]
    return []


def describe(part: Part) -> str:
    """The one refused row of ``part``, for the log (metric, labels, value, time)."""
    batch, alerts = part
    if batch:
        r = batch[0]
        return f"reading {r.metric}{dict(r.labels)}={r.value!r} at {r.ts!r}"
    fingerprint, rule, state = alerts[0][1:4]
    return f"alert transition {rule} {state} ({fingerprint})"
