"""When each alert was acknowledged, read from the alerts state database (``roomwatch ack``).

This is the one seam between the report and the notification pipeline: a function of the state
directory returning ack times per alert fingerprint. It reads the ``acks`` table the pipeline
keeps in ``STATE_DIR/alerts.db`` (``fingerprint``, ``fired_at`` of the acknowledged firing
episode, ``acked_by``, ``ts``), and returns nothing when there is no such table (the report then
shows acknowledgement as not recorded).

The pipeline deletes an ``acks`` row once its alert is resolved and told, so a week's report only
sees acknowledgements of alerts still open. An append-only ``ack_log`` table with the same
columns, when the pipeline keeps one, is read first and fills that gap.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from monitor.core.model import Ack

log = logging.getLogger(__name__)


def ack_times(state_dir: Path) -> dict[str, list[Ack]]:
    """The acknowledgements of every alert fingerprint, oldest first; empty when none are recorded."""
    path = state_dir / "alerts.db"
    if not path.exists():
        return {}
    rows: list[tuple[object, ...]] = []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as err:
        log.debug("no acknowledgements readable in %s: %s", path, err)
        return {}
    try:
        for table in ("ack_log", "acks"):
            try:
                rows += conn.execute(
                    f"SELECT fingerprint, ts, acked_by, fired_at FROM {table} ORDER BY ts").fetchall()
            except sqlite3.Error as err:
                log.debug("no %s table in %s: %s", table, path, err)
    finally:
        conn.close()
    out: dict[str, list[Ack]] = {}
    for fingerprint, at, who, fired_at in rows:
        ack = Ack(fingerprint=str(fingerprint), ts=float(at), by=str(who or ""),  # type: ignore[arg-type]
                  fired_at=None if fired_at is None else float(fired_at))  # type: ignore[arg-type]
        if ack not in out.setdefault(str(fingerprint), []):
            out[str(fingerprint)].append(ack)
    for acks in out.values():
        acks.sort(key=lambda a: a.ts)
    return out
