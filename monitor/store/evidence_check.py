"""Reading the syslog evidence: verify each day's hash chain and digest, search, summarise a day."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from monitor.core.severities import SEVERITIES
from monitor.store.evidence import COLUMNS, day_of, digests_path, genesis, link


@dataclass(frozen=True, slots=True, kw_only=True)
class DayCheck:
    """One day's verdict: ``problem`` empty when its chain and digest hold."""

    day: str
    count: int
    digest: str
    problem: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Found:
    """One stored message, as search returns it."""

    received: float
    device: str
    source: str
    severity: str
    facility: int
    host: str
    app: str
    text: str
    event: str
    truncated: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DaySummary:
    """A day's messages: counts by severity, the events, those that need attention, the digest."""

    total: int
    by_severity: dict[str, int]
    events: dict[str, int]
    attention: list[Found]
    digest: str
    devices: dict[str, dict[str, int]]
    """device -> {"total", "severe" (err or worse), "warning", "events"}."""


def digest_lines(db_path: Path) -> dict[str, tuple[int, str]]:
    """day -> (count, digest) from the digest file (the last line of a day wins)."""
    found: dict[str, tuple[int, str]] = {}
    path = digests_path(db_path)
    if not path.exists():
        return found
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            found[parts[0]] = (int(parts[1]), parts[2])
    return found


def verify(db: sqlite3.Connection, db_path: Path, *, since: str = "") -> list[DayCheck]:
    """Every day from ``since`` (YYYY-MM-DD; empty: all) checked: rows numbered 1..n without gap,
    each row's hash recomputed from the previous, the head and count in ``days``, and the sealed
    digest both in ``days`` and in the digest file. Days the digest file names that have no rows
    (and are not older than the oldest kept day) are reported as deleted."""
    days = {day: (count, bytes(head), digest) for day, count, head, digest in db.execute(
        "SELECT day, count, head, digest FROM days WHERE day >= ?", (since,))}
    with_rows = {day for (day,) in db.execute("SELECT DISTINCT day FROM messages WHERE day >= ?", (since,))}
    files = digest_lines(db_path)
    oldest = min([*days, *with_rows], default="")
    out: list[DayCheck] = []
    for day in sorted(set(days) | with_rows | {d for d in files if d >= since and oldest and d >= oldest}):
        out.append(_check_day(db, day, days.get(day), files.get(day)))
    return out


def _check_day(db: sqlite3.Connection, day: str, row: tuple[int, bytes, str] | None,
               filed: tuple[int, str] | None) -> DayCheck:
    count, head, digest = row if row is not None else (0, b"", "")
    prev, seq = genesis(day), 0
    problem = ""
    for values in db.execute(f"SELECT {COLUMNS} FROM messages WHERE day = ? ORDER BY seq", (day,)):
        seq += 1
        (d, n, received, source, device, facility, severity, stamp, host, app, text, raw, truncated,
         event, stored) = values
        if n != seq:
            problem = problem or f"message {seq} is missing (next stored is {n})"
            seq = n
        prev = link(prev, d, n, received, source, device, facility, severity, stamp, host, app, text,
                    bytes(raw), truncated, event)
        if prev != bytes(stored):
            problem = problem or f"message {seq} was altered (its hash does not follow the chain)"
    if row is None:
        problem = problem or "the day's chain record is missing"
    elif not problem and seq != count:
        problem = f"{count - seq} message(s) deleted at the end of the day (chain says {count}, found {seq})"
    elif not problem and prev != head:
        problem = "the chain's head does not match the day's record"
    if not problem and digest and digest != head.hex():
        problem = "the sealed digest does not match the chain"
    if not problem and filed is not None and (filed[1] != prev.hex() or filed[0] != seq):
        problem = f"the digest file says {filed[0]} message(s), digest {filed[1][:16]}…; the database differs"
    if not problem and row is None and filed is not None:
        problem = "the day is in the digest file but its messages are gone"
    return DayCheck(day=day, count=seq, digest=digest or (filed[1] if filed else ""), problem=problem)


def search(db: sqlite3.Connection, *, device: str = "", since: float | None = None,
           until: float | None = None, text: str = "", severity: str = "", event: str = "",
           limit: int = 100, zone: dt.tzinfo | None = None) -> Iterator[Found]:
    """Stored messages, oldest first: of ``device``, received in [since, until), whose text holds
    ``text`` (case-insensitive for ASCII), at ``severity`` or worse, of catalog ``event``.
    The time range narrows the days read first (the one index is by day; a day either side
    covers a store written in another ``zone``)."""
    where: list[str] = ["1"]
    args: list[object] = []
    if since is not None:
        where.append("day >= ?")
        args.append(day_of(since - 86400, zone))
    if until is not None:
        where.append("day <= ?")
        args.append(day_of(until + 86400, zone))
    if device:
        where.append("device = ?")
        args.append(device)
    if since is not None:
        where.append("received >= ?")
        args.append(since)
    if until is not None:
        where.append("received < ?")
        args.append(until)
    if text:
        where.append("text LIKE ? ESCAPE '\\'")
        args.append("%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if severity:
        where.append("severity <= ?")
        args.append(SEVERITIES.index(severity))
    if event:
        where.append("event = ?")
        args.append(event)
    sql = ("SELECT received, device, source, severity, facility, host, app, text, event, truncated "
           f"FROM messages WHERE {' AND '.join(where)} ORDER BY id LIMIT ?")
    for r in db.execute(sql, (*args, limit)):
        yield _found(r)


def summary(db: sqlite3.Connection, day: str, *, attention: int = 10) -> DaySummary:
    """``day``'s counts by severity and event, the worst messages (err or worse, and events), and
    its digest (the chain's head while the day is not sealed yet)."""
    by_severity = {SEVERITIES[s] if 0 <= s < 8 else str(s): n for s, n in db.execute(
        "SELECT severity, COUNT(*) FROM messages WHERE day = ? GROUP BY severity ORDER BY severity", (day,))}
    events = dict(db.execute(
        "SELECT event, COUNT(*) FROM messages WHERE day = ? AND event != '' GROUP BY event", (day,)))
    worst = [_found(r) for r in db.execute(
        "SELECT received, device, source, severity, facility, host, app, text, event, truncated "
        "FROM messages WHERE day = ? AND (severity <= 3 OR event IN ('login_failed', 'log_cleared', "
        "'config_saved')) ORDER BY severity, received LIMIT ?", (day, attention))]
    # A day not sealed yet (the receiver seals at its next tick) shows its head: the same hash.
    digest = db.execute("SELECT CASE digest WHEN '' THEN lower(hex(head)) ELSE digest END FROM days "
                        "WHERE day = ?", (day,)).fetchone()
    devices = {str(device): {"total": total, "severe": severe, "warning": warning, "events": events_n}
               for device, total, severe, warning, events_n in db.execute(
                   "SELECT device, COUNT(*), SUM(severity <= 3), SUM(severity = 4), SUM(event != '') "
                   "FROM messages WHERE day = ? GROUP BY device ORDER BY device", (day,))}
    return DaySummary(total=sum(by_severity.values()), by_severity=by_severity, events=events,
                      attention=worst, digest=digest[0] if digest else "", devices=devices)


def _found(r: tuple[object, ...]) -> Found:
    received, device, source, severity, facility, host, app, text, event, truncated = r
    sev = int(severity)  # type: ignore[call-overload]
    return Found(received=float(received), device=str(device), source=str(source),  # type: ignore[arg-type]
                 severity=SEVERITIES[sev] if 0 <= sev < 8 else str(sev),
                 facility=int(facility), host=str(host), app=str(app), text=str(text),  # type: ignore[call-overload]
                 event=str(event), truncated=bool(truncated))
