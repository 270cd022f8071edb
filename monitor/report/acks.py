"""When each alert was acknowledged, read from the alerts state database (``roomwatch ack``).

This is the one seam between the report and the notification pipeline: a function of the state
directory returning ack times per alert fingerprint. It reads a table ``acks`` with columns
``fingerprint``, ``at`` (epoch seconds) and ``who`` in ``STATE_DIR/alerts.db`` when that table
exists, and returns nothing when it does not (the report then shows acknowledgement as unknown).
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Ack:
    """Who acknowledged an alert, and when (epoch seconds)."""

    at: float
    who: str


def ack_times(state_dir: Path) -> dict[str, Ack]:
    """The earliest acknowledgement of every alert fingerprint; empty when none are recorded."""
    path = state_dir / "alerts.db"
    if not path.exists():
        return {}
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT fingerprint, at, who FROM acks ORDER BY at").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as err:
        log.debug("no acknowledgements readable in %s: %s", path, err)
        return {}
    out: dict[str, Ack] = {}
    for fingerprint, at, who in rows:
        out.setdefault(str(fingerprint), Ack(float(at), str(who or "")))
    return out
