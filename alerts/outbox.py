"""A durable outbox: what must be told, to which channel, until the channel accepts it.

Messages are written inside the caller's transaction together with the notification-log
entry that decided them (see :mod:`alerts.db`); delivery works from here until the channel
accepts, so a channel that is down delays messages but never drops them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alerts.db import Database
from monitor.core.model import AlertState


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """One queued message for one channel (one URL of a receiver)."""

    id: int
    target: str
    fingerprint: str
    state: AlertState
    title: str
    body: str
    created: float
    attempts: int
    fell_back: bool = False


_COLUMNS = "id, target, fingerprint, state, title, body, created, attempts, fell_back"


class Outbox:
    """The queue plus the per-alert log of what each target was last told."""

    def __init__(self, db: Database | Path) -> None:
        self.db = db if isinstance(db, Database) else Database(db)

    # --- writing, inside a transaction -----------------------------------------------------

    @staticmethod
    def put(tx: sqlite3.Connection, *, target: str, fingerprint: str, state: AlertState,
            title: str, body: str, now: float) -> None:
        """Queue one message (the caller commits it with its log entry)."""
        tx.execute(
            "INSERT INTO outbox (target, fingerprint, state, title, body, created, next_try)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (target, fingerprint, state.value, title, body, now, now),
        )

    @staticmethod
    def tell(tx: sqlite3.Connection, *, fingerprint: str, target: str, state: AlertState,
             labels: Mapping[str, str], now: float) -> None:
        """Record what ``target`` was told about one alert."""
        tx.execute("INSERT OR REPLACE INTO notified VALUES (?, ?, ?, ?, ?)",
                   (fingerprint, target, state.value, now, json.dumps(dict(labels), sort_keys=True)))

    def enqueue(self, *, target: str, fingerprint: str, state: AlertState,
                labels: Mapping[str, str], title: str, body: str, now: float) -> None:
        """Queue a message and record it as told, atomically."""
        with self.db.transaction() as tx:
            self.put(tx, target=target, fingerprint=fingerprint, state=state, title=title,
                     body=body, now=now)
            self.tell(tx, fingerprint=fingerprint, target=target, state=state, labels=labels, now=now)

    # --- reading ---------------------------------------------------------------------------

    def last_told(self, fingerprint: str, target: str) -> AlertState | None:
        """What this target was last told about this alert, if anything."""
        rows = self.db.query("SELECT state FROM notified WHERE fingerprint=? AND target=?",
                             (fingerprint, target))
        return AlertState(str(rows[0][0])) if rows else None

    def told(self) -> dict[tuple[str, str], AlertState]:
        """The whole per-alert log, (fingerprint, target) → state."""
        rows = self.db.query("SELECT fingerprint, target, state FROM notified")
        return {(str(f), str(t)): AlertState(str(s)) for f, t, s in rows}

    def due(self, now: float, limit: int = 500) -> list[Message]:
        """Messages whose next try has come, oldest first."""
        rows = self.db.query(f"SELECT {_COLUMNS} FROM outbox WHERE next_try <= ? ORDER BY id LIMIT ?",
                             (now, limit))
        return [_message(r) for r in rows]

    def pending(self) -> int:
        """How many messages wait for delivery."""
        return int(self.db.query("SELECT count(*) FROM outbox")[0][0])

    def next_due(self) -> float | None:
        """When the earliest waiting message is due, if any."""
        value = self.db.query("SELECT min(next_try) FROM outbox")[0][0]
        return None if value is None else float(value)

    # --- delivery outcomes -----------------------------------------------------------------

    def done(self, message: Message, now: float) -> None:
        """The channel accepted it: move it to the delivery log."""
        with self.db.transaction() as tx:
            _archive(tx, message, now, merged_into=None)

    def failed(self, message: Message, *, error: str, next_try: float) -> None:
        """It was not accepted: count the attempt and set the next try."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE outbox SET attempts = attempts + 1, next_try = ?, last_error = ?"
                       " WHERE id = ?", (next_try, error[:500], message.id))

    def fall_back(self, message: Message, targets: Sequence[str], now: float) -> None:
        """Copy a message that keeps failing to the fallback channels, once."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE outbox SET fell_back = 1 WHERE id = ?", (message.id,))
            for target in targets:
                self.put(tx, target=target, fingerprint=message.fingerprint, state=message.state,
                         title=message.title, body=message.body, now=now)

    def merge(self, messages: Sequence[Message], *, title: str, body: str, now: float) -> Message:
        """Replace several waiting messages to one channel by one digest (rate limits)."""
        first = messages[0]
        state = AlertState.FIRING if any(m.state is AlertState.FIRING for m in messages) \
            else AlertState.RESOLVED
        with self.db.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO outbox (target, fingerprint, state, title, body, created, next_try)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (first.target, "digest", state.value, title, body, first.created, now))
            new_id = int(cur.lastrowid or 0)
            for m in messages:
                _archive(tx, m, now, merged_into=new_id)
            row = tx.execute(f"SELECT {_COLUMNS} FROM outbox WHERE id=?", (new_id,)).fetchone()
        return _message(row)

    def close(self) -> None:
        """Close the database."""
        self.db.close()


def _archive(tx: sqlite3.Connection, m: Message, now: float, *, merged_into: int | None) -> None:
    tx.execute("DELETE FROM outbox WHERE id=?", (m.id,))
    tx.execute("INSERT INTO delivered VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (m.id, m.target, m.fingerprint, m.state.value, m.created, now, m.attempts + 1,
                merged_into))


def _message(r: Sequence[Any]) -> Message:
    return Message(id=int(r[0]), target=str(r[1]), fingerprint=str(r[2]),
                   state=AlertState(str(r[3])), title=str(r[4]), body=str(r[5]),
                   created=float(r[6]), attempts=int(r[7]), fell_back=bool(r[8]))
