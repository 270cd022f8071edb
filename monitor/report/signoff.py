"""The half of the daily record a person does: manual items checked and signed by 巡检人, then 审核人.

Kept append-only in the inspection book's file (``inspections.db``), in tables of their own: a
sheet once signed is never changed (triggers refuse UPDATE and DELETE); a mistake is corrected by
a new sheet for the same day that names the one it corrects, as the paper book works. A sheet is
signed by its inspector when written; its review is a separate row, by another person.
"""

from __future__ import annotations

import enum
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.core.errors import StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sheets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    day TEXT NOT NULL,            -- local date, YYYY-MM-DD
    items TEXT NOT NULL,          -- JSON list of {"name", "status", "note"}
    inspector TEXT NOT NULL,      -- 巡检人 (the account that signed)
    signed_at REAL NOT NULL,
    corrects INTEGER              -- the sheet this one corrects, or NULL
);
CREATE INDEX IF NOT EXISTS sheets_day ON sheets(day, id);
CREATE TABLE IF NOT EXISTS reviews (
    sheet INTEGER PRIMARY KEY REFERENCES sheets(id),
    reviewer TEXT NOT NULL,       -- 审核人
    reviewed_at REAL NOT NULL,
    comment TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS sheets_no_update BEFORE UPDATE ON sheets
BEGIN SELECT RAISE(ABORT, 'signed inspection sheets are append-only'); END;
CREATE TRIGGER IF NOT EXISTS sheets_no_delete BEFORE DELETE ON sheets
BEGIN SELECT RAISE(ABORT, 'signed inspection sheets are append-only'); END;
CREATE TRIGGER IF NOT EXISTS reviews_no_update BEFORE UPDATE ON reviews
BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END;
CREATE TRIGGER IF NOT EXISTS reviews_no_delete BEFORE DELETE ON reviews
BEGIN SELECT RAISE(ABORT, 'reviews are append-only'); END;
"""


class Mark(enum.Enum):
    """What a person found for one manual item; an item left unmarked cannot be signed."""

    NORMAL = "normal"
    ABNORMAL = "abnormal"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True, kw_only=True)
class Checked:
    """One manual item as found: its name (from ``[web] manual_items``), the mark and a note."""

    name: str
    mark: Mark
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Sheet:
    """One signed sheet of one day, with its review once there is one."""

    id: int
    day: str
    items: tuple[Checked, ...]
    inspector: str
    signed_at: float
    corrects: int | None
    reviewer: str = ""
    reviewed_at: float | None = None
    review_comment: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "day": self.day, "inspector": self.inspector, "signed_at": self.signed_at,
                "corrects": self.corrects, "reviewer": self.reviewer, "reviewed_at": self.reviewed_at,
                "review_comment": self.review_comment,
                "items": [{"name": c.name, "status": c.mark.value, "note": c.note} for c in self.items]}


class SignOffError(ValueError):
    """A sheet or review that cannot be accepted; the message says why, for the person signing."""


class SignOffs:
    """The sheets and reviews tables of ``inspections.db``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
            self._conn.executescript(_SCHEMA)
        except sqlite3.Error as err:
            raise StoreError(f"inspection book {path}: {err}", retryable=False) from err

    def close(self) -> None:
        """Release the file."""
        self._conn.close()

    def sign(self, *, day: str, items: list[Checked], expected: list[str], inspector: str, now: float,
             corrects: int | None = None) -> Sheet:
        """Append a sheet signed by ``inspector``. Every item of ``expected`` must be marked; a day
        that already has a sheet takes only a correction of its newest one (``corrects``)."""
        names = [c.name for c in items]
        missing = [name for name in expected if name not in names]
        if missing:
            raise SignOffError(f"not checked yet: {'、'.join(missing)}")
        current = self.current(day)
        if current is not None and corrects != current.id:
            raise SignOffError(f"{day} is already signed (sheet {current.id}); "
                               "a change is a correction of it")
        if current is None and corrects is not None:
            raise SignOffError(f"{day} has no sheet {corrects} to correct")
        body = json.dumps([{"name": c.name, "status": c.mark.value, "note": c.note} for c in items],
                          ensure_ascii=False)
        try:
            cur = self._conn.execute(
                "INSERT INTO sheets (day, items, inspector, signed_at, corrects) VALUES (?, ?, ?, ?, ?)",
                (day, body, inspector, now, corrects))
        except sqlite3.Error as err:
            raise StoreError(f"inspection book {self.path}: {err}", retryable=True) from err
        assert cur.lastrowid is not None
        return self._get(cur.lastrowid)

    def review(self, sheet_id: int, *, reviewer: str, comment: str, now: float) -> Sheet:
        """Countersign sheet ``sheet_id`` as 审核人: once, by someone other than its inspector."""
        sheet = self._get(sheet_id)
        if sheet.reviewed_at is not None:
            raise SignOffError(f"sheet {sheet_id} was already reviewed by {sheet.reviewer}")
        if reviewer == sheet.inspector:
            raise SignOffError("the inspector cannot also be the reviewer of the same sheet")
        try:
            self._conn.execute("INSERT INTO reviews VALUES (?, ?, ?, ?)", (sheet_id, reviewer, now, comment))
        except sqlite3.Error as err:
            raise StoreError(f"inspection book {self.path}: {err}", retryable=True) from err
        return self._get(sheet_id)

    def sheets(self, day: str) -> list[Sheet]:
        """Every sheet of ``day``, oldest first (corrections after what they correct)."""
        rows = self._conn.execute(_SELECT + " WHERE s.day = ? ORDER BY s.id", (day,)).fetchall()
        return [_sheet(r) for r in rows]

    def current(self, day: str) -> Sheet | None:
        """The newest sheet of ``day``, or None."""
        found = self.sheets(day)
        return found[-1] if found else None

    def days(self, limit: int = 60) -> list[str]:
        """Days that have a sheet, newest first."""
        rows = self._conn.execute("SELECT DISTINCT day FROM sheets ORDER BY day DESC LIMIT ?", (limit,))
        return [str(r[0]) for r in rows.fetchall()]

    def _get(self, sheet_id: int) -> Sheet:
        row = self._conn.execute(_SELECT + " WHERE s.id = ?", (sheet_id,)).fetchone()
        if row is None:
            raise SignOffError(f"no sheet {sheet_id}")
        return _sheet(row)


_SELECT = ("SELECT s.id, s.day, s.items, s.inspector, s.signed_at, s.corrects, r.reviewer, r.reviewed_at,"
           " r.comment FROM sheets s LEFT JOIN reviews r ON r.sheet = s.id")


def _sheet(row: tuple[Any, ...]) -> Sheet:
    sid, day, items, inspector, signed_at, corrects, reviewer, reviewed_at, comment = row
    return Sheet(id=sid, day=day, inspector=inspector, signed_at=signed_at, corrects=corrects,
                 items=tuple(Checked(name=d["name"], mark=Mark(d["status"]), note=d.get("note", ""))
                             for d in json.loads(items)),
                 reviewer=reviewer or "", reviewed_at=reviewed_at, review_comment=comment or "")
