"""What the pipeline remembers between ticks and restarts: alerts, groups, notification log,
per-alert notices (all the SQL on those tables is here).

Kept in memory for speed and written through to :mod:`alerts.db` inside the transactions that
change it, so after a ``kill -9`` the daemon resumes exactly where the file says it was.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from alerts.db import Database
from alerts.dedup import Entry
from alerts.group import Group, GroupKey
from monitor.core.model import Alert, alert_from_json, alert_to_json


class State:
    """Active alerts by fingerprint, groups by key, and the group notification log."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.alerts: dict[str, Alert] = {}
        self.groups: dict[GroupKey, Group] = {}
        self.nflog: dict[GroupKey, Entry] = {}
        for (doc,) in db.query("SELECT doc FROM alerts"):
            alert = from_json(str(doc))
            self.alerts[alert.fingerprint] = alert
        for text, created, last in db.query("SELECT group_key, created, last_flush FROM groups"):
            key = GroupKey.parse(str(text))
            self.groups[key] = Group(key=key, labels={}, created=float(created),
                                     last_flush=None if last is None else float(last))
        for text, firing, ts in db.query("SELECT group_key, firing, ts FROM nflog"):
            self.nflog[GroupKey.parse(str(text))] = Entry(frozenset(json.loads(str(firing))), float(ts))

    def put_alert(self, tx: sqlite3.Connection, alert: Alert) -> None:
        """Remember the latest state of one alert."""
        tx.execute("INSERT OR REPLACE INTO alerts VALUES (?, ?)", (alert.fingerprint, to_json(alert)))
        self.alerts[alert.fingerprint] = alert

    def drop_alert(self, tx: sqlite3.Connection, fingerprint: str) -> None:
        """Forget an alert that is resolved and told (or never told) everywhere."""
        tx.execute("DELETE FROM alerts WHERE fingerprint=?", (fingerprint,))
        tx.execute("DELETE FROM notices WHERE fingerprint=?", (fingerprint,))
        tx.execute("DELETE FROM notified WHERE fingerprint=?", (fingerprint,))
        tx.execute("DELETE FROM acks WHERE fingerprint=?", (fingerprint,))
        self.alerts.pop(fingerprint, None)

    def notices(self) -> dict[str, set[str]]:
        """fingerprint → the kinds of per-alert notice already told (``repair:7200`` …)."""
        done: dict[str, set[str]] = {}
        for fp, kind in self.db.query("SELECT fingerprint, kind FROM notices"):
            done.setdefault(str(fp), set()).add(str(kind))
        return done

    def put_notices(self, tx: sqlite3.Connection, fingerprint: str, kinds: Iterable[str], now: float) -> None:
        """Record that these notices about one alert were told."""
        tx.executemany("INSERT OR REPLACE INTO notices VALUES (?, ?, ?)",
                       [(fingerprint, kind, now) for kind in kinds])

    def put_group(self, tx: sqlite3.Connection, group: Group) -> None:
        """Remember a group's timing."""
        tx.execute("INSERT OR REPLACE INTO groups VALUES (?, ?, ?)",
                   (str(group.key), group.created, group.last_flush))
        self.groups[group.key] = group

    def drop_group(self, tx: sqlite3.Connection, group: Group) -> None:
        """Forget an empty group and its log entry."""
        tx.execute("DELETE FROM groups WHERE group_key=?", (str(group.key),))
        tx.execute("DELETE FROM nflog WHERE group_key=?", (str(group.key),))
        self.groups.pop(group.key, None)
        self.nflog.pop(group.key, None)

    def log(self, tx: sqlite3.Connection, group: Group, entry: Entry) -> None:
        """Record what the group's receiver was told."""
        tx.execute("INSERT OR REPLACE INTO nflog VALUES (?, ?, ?, ?)",
                   (str(group.key), group.receiver, json.dumps(sorted(entry.firing)), entry.ts))
        self.nflog[group.key] = entry


def to_json(alert: Alert) -> str:
    """An alert as stored."""
    return alert_to_json(alert)


def from_json(text: str) -> Alert:
    """An alert as stored, back."""
    return alert_from_json(text)
