"""Bring an SQLite file written by an older roomwatch up to today's tables, column by column.

State files outlive upgrades: an ``alerts.db`` from last month must open after a release that
added a column, or the daemon fails on its first query. Every schema here is a list of
``CREATE TABLE IF NOT EXISTS`` statements whose new columns have defaults, so the upgrade is
always the same: add what is missing, keep every row.
"""

from __future__ import annotations

import logging
import sqlite3

log = logging.getLogger(__name__)


def upgrade(conn: sqlite3.Connection, schema: str, where: str) -> list[str]:
    """Add to existing tables the columns ``schema`` declares and they lack, then run ``schema``
    (which creates whatever tables and indexes are missing). Returns the columns added."""
    declared = sqlite3.connect(":memory:")
    try:
        declared.executescript(schema)
        tables = [t for (t,) in declared.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        added = []
        for table in tables:
            have = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}
            if not have:
                continue  # a new table: the schema creates it below
            for _, name, kind, notnull, default, _ in declared.execute(f'PRAGMA table_info("{table}")'):
                if name in have:
                    continue
                if notnull and default is None:
                    raise sqlite3.OperationalError(
                        f"{where}: table {table} lacks column {name}, which has no default to fill old rows")
                conn.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind}'
                             + (" NOT NULL" if notnull else "")
                             + (f" DEFAULT {default}" if default is not None else ""))
                added.append(f"{table}.{name}")
    finally:
        declared.close()
    conn.executescript(schema)
    if added:
        log.info("%s: upgraded from an older roomwatch, added column(s) %s", where, ", ".join(added))
    return added
