"""Silences: one-off mutes by label matchers with a start, an end and a comment, persisted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from alerts.db import Database
from monitor.core.matchers import Matcher, all_match, parse_matchers


@dataclass(frozen=True, slots=True, kw_only=True)
class Silence:
    """One silence as stored; ``active(now)`` while ``starts <= now < ends``."""

    id: int
    matchers: tuple[Matcher, ...]
    starts: float
    ends: float
    comment: str
    created_by: str

    def active(self, now: float) -> bool:
        """Whether it mutes anything at ``now``."""
        return self.starts <= now < self.ends

    def covers(self, labels: dict[str, str]) -> bool:
        """Whether it matches an alert with these labels (see matchers.alert_labels)."""
        return all_match(self.matchers, labels)


class Silences:
    """The silences table: add, list, expire (the CLI) and read (the dispatcher)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, matchers: Sequence[str], *, starts: float, ends: float, comment: str,
            created_by: str, now: float) -> int:
        """Store a silence; ValueError on a bad matcher or an empty/negative span."""
        parse_matchers(matchers)
        if not matchers:
            raise ValueError("a silence needs at least one matcher such as device=core-sw-1")
        if ends <= starts:
            raise ValueError("a silence must end after it starts")
        with self.db.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO silences (matchers, starts, ends, comment, created_by, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (json.dumps(list(matchers), ensure_ascii=False), starts, ends, comment, created_by, now))
            return int(cur.lastrowid or 0)

    def expire(self, silence_id: int, now: float) -> bool:
        """End a silence now; False if there is no such silence still running."""
        with self.db.transaction() as tx:
            cur = tx.execute("UPDATE silences SET ends = ? WHERE id = ? AND ends > ?",
                             (now, silence_id, now))
            return cur.rowcount > 0

    def all(self, now: float, *, include_expired: bool = False) -> list[Silence]:
        """Silences that have not ended (or every one), oldest first."""
        where = "" if include_expired else " WHERE ends > ?"
        args: tuple[object, ...] = () if include_expired else (now,)
        rows = self.db.query(
            f"SELECT id, matchers, starts, ends, comment, created_by FROM silences{where} ORDER BY id",
            args)
        return [Silence(id=int(r[0]), matchers=parse_matchers(json.loads(str(r[1]))),
                        starts=float(r[2]), ends=float(r[3]), comment=str(r[4]),
                        created_by=str(r[5])) for r in rows]

    def active(self, now: float) -> list[Silence]:
        """Silences muting at ``now``."""
        return [s for s in self.all(now) if s.active(now)]
