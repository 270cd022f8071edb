"""The inspection book: daily records kept append-only in their own SQLite file.

A day's record is never changed once written: the table refuses UPDATE and DELETE. Running the
inspection again for the same day adds a new dated entry; the newest entry is the day's current
view, and an entry written after the day closed is marked as a correction (更正).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.core.errors import StoreError
from monitor.report.items import ItemResult

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    day TEXT NOT NULL,            -- local date the record covers, YYYY-MM-DD
    start REAL NOT NULL,          -- epoch seconds covered: [start, end)
    end REAL NOT NULL,
    written_at REAL NOT NULL,
    kind TEXT NOT NULL,           -- record | provisional | correction
    inspector TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    items TEXT NOT NULL           -- JSON list of ItemResult.to_dict()
);
CREATE INDEX IF NOT EXISTS entries_day ON entries(day, id);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'inspection records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'inspection records are append-only'); END;
"""

INSPECTOR = "自动巡检"
"""Who fills the record in: the daemon itself."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One written daily record."""

    id: int
    day: str
    start: float
    end: float
    written_at: float
    kind: str
    inspector: str
    reviewer: str
    items: tuple[ItemResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "day": self.day, "start": self.start, "end": self.end,
                "written_at": self.written_at, "kind": self.kind, "inspector": self.inspector,
                "reviewer": self.reviewer, "items": [i.to_dict() for i in self.items]}


class InspectionBook:
    """``inspections.db`` in the state directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = sqlite3.connect(path, isolation_level=None)
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as err:
            raise StoreError(f"inspection book {path}: {err}", retryable=False) from err

    def close(self) -> None:
        """Release the file."""
        self._conn.close()

    def add(self, *, day: str, start: float, end: float, now: float, items: list[ItemResult],
            reviewer: str) -> Entry:
        """Append a record for ``day``: ``record`` if the day has closed and has none yet,
        ``provisional`` while the day is still open, ``correction`` if a closed day already has one."""
        if now < end:
            kind = "provisional"
        elif any(e.kind in ("record", "correction") for e in self.entries(day)):
            kind = "correction"
        else:
            kind = "record"
        body = json.dumps([i.to_dict() for i in items], ensure_ascii=False, sort_keys=True)
        try:
            cur = self._conn.execute(
                "INSERT INTO entries (day, start, end, written_at, kind, inspector, reviewer, items)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (day, start, end, now, kind, INSPECTOR, reviewer, body))
        except sqlite3.Error as err:
            raise StoreError(f"inspection book {self.path}: {err}", retryable=True) from err
        assert cur.lastrowid is not None
        return self._get(cur.lastrowid)

    def entries(self, day: str) -> list[Entry]:
        """Every entry of ``day``, oldest first."""
        rows = self._conn.execute("SELECT * FROM entries WHERE day = ? ORDER BY id", (day,)).fetchall()
        return [_entry(row) for row in rows]

    def current(self, day: str) -> Entry | None:
        """The newest entry of ``day`` (its correction if there is one), or None."""
        found = self.entries(day)
        return found[-1] if found else None

    def days(self, limit: int = 60) -> list[str]:
        """Days that have an entry, newest first."""
        rows = self._conn.execute("SELECT DISTINCT day FROM entries ORDER BY day DESC LIMIT ?", (limit,))
        return [str(r[0]) for r in rows.fetchall()]

    def _get(self, entry_id: int) -> Entry:
        row = self._conn.execute("SELECT * FROM entries WHERE id = ?", (entry_id,)).fetchone()
        return _entry(row)


def _entry(row: tuple[Any, ...]) -> Entry:
    entry_id, day, start, end, written_at, kind, inspector, reviewer, items = row
    return Entry(id=entry_id, day=day, start=start, end=end, written_at=written_at, kind=kind,
                 inspector=inspector, reviewer=reviewer,
                 items=tuple(ItemResult.from_dict(doc) for doc in json.loads(items)))
