"""State files from an older roomwatch open after an upgrade: missing columns are added, rows kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from alerts.db import Database
from alerts.outbox import Outbox
from monitor.core.sqlite_upgrade import upgrade

# alerts.db's outbox as the first release wrote it: no fell_back column yet.
OLD_OUTBOX = """
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, fingerprint TEXT NOT NULL,
    state TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL, created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_try REAL NOT NULL, last_error TEXT
);
INSERT INTO outbox (target, fingerprint, state, title, body, created, next_try)
VALUES ('default', 'abc', 'firing', 't', 'b', 1.0, 1.0);
"""


def test_an_old_alerts_db_opens_and_keeps_its_queued_message(tmp_path: Path) -> None:
    path = tmp_path / "alerts.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_OUTBOX)
    outbox = Outbox(path)
    [message] = outbox.due(10.0, 10)
    assert (message.fingerprint, message.fell_back) == ("abc", False)
    Database(path).close()  # a second open finds nothing more to add


def test_a_new_column_without_a_default_is_refused_clearly() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a INTEGER)")
    with pytest.raises(sqlite3.OperationalError, match="lacks column b, which has no default"):
        upgrade(conn, "CREATE TABLE IF NOT EXISTS t (a INTEGER, b TEXT NOT NULL);", "x.db")
    assert upgrade(conn, "CREATE TABLE IF NOT EXISTS t (a INTEGER, c TEXT);", "x.db") == ["t.c"]
