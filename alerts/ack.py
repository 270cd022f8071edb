"""Acknowledgement: who took an alert and when; it stops repeats and escalation for it.

An ack belongs to one firing episode (the alert's ``fired_at``): when the alert resolves and
fires again, it pages again.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.db import Database
from monitor.core.model import Alert


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack:
    """One acknowledgement."""

    fingerprint: str
    fired_at: float | None
    by: str
    comment: str
    ts: float


class Acks:
    """The acks table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, alert: Alert, *, by: str, comment: str, now: float) -> None:
        """Record that ``by`` took ``alert`` at ``now``."""
        with self.db.transaction() as tx:
            row = (alert.fingerprint, alert.fired_at, by, comment, now)
            tx.execute("INSERT OR REPLACE INTO acks VALUES (?, ?, ?, ?, ?)", row)
            tx.execute("INSERT INTO ack_log VALUES (?, ?, ?, ?, ?)", row)

    def all(self) -> dict[str, Ack]:
        """Every ack by fingerprint."""
        rows = self.db.query("SELECT fingerprint, fired_at, acked_by, comment, ts FROM acks")
        return {str(r[0]): Ack(fingerprint=str(r[0]),
                               fired_at=None if r[1] is None else float(r[1]),
                               by=str(r[2]), comment=str(r[3]), ts=float(r[4]))
                for r in rows}


def is_acked(alert: Alert, acks: dict[str, Ack]) -> bool:
    """Whether this firing episode of ``alert`` was acknowledged."""
    ack = acks.get(alert.fingerprint)
    return ack is not None and (ack.fired_at is None or ack.fired_at == alert.fired_at)
