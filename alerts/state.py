"""What the pipeline remembers between ticks and restarts: alerts, groups, notification log.

Kept in memory for speed and written through to :mod:`alerts.db` inside the transactions that
change it, so after a ``kill -9`` the daemon resumes exactly where the file says it was.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict

from alerts.db import Database
from alerts.dedup import Entry
from alerts.group import Group
from monitor.core.model import Alert, AlertState, Severity


class State:
    """Active alerts by fingerprint, groups by key, and the group notification log."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.alerts: dict[str, Alert] = {}
        self.groups: dict[str, Group] = {}
        self.nflog: dict[tuple[str, str], Entry] = {}
        for (doc,) in db.query("SELECT doc FROM alerts"):
            alert = from_json(str(doc))
            self.alerts[alert.fingerprint] = alert
        for key, created, last in db.query("SELECT group_key, created, last_flush FROM groups"):
            route, receiver, _ = str(key).split(":", 2)
            self.groups[str(key)] = Group(key=str(key), route=int(route), receiver=receiver, labels={},
                                          created=float(created),
                                          last_flush=None if last is None else float(last))
        for key, receiver, firing, ts in db.query("SELECT group_key, receiver, firing, ts FROM nflog"):
            self.nflog[(str(key), str(receiver))] = Entry(frozenset(json.loads(str(firing))),
                                                          float(ts))

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

    def put_group(self, tx: sqlite3.Connection, group: Group) -> None:
        """Remember a group's timing."""
        tx.execute("INSERT OR REPLACE INTO groups VALUES (?, ?, ?)",
                   (group.key, group.created, group.last_flush))
        self.groups[group.key] = group

    def drop_group(self, tx: sqlite3.Connection, group: Group) -> None:
        """Forget an empty group and its log entry."""
        tx.execute("DELETE FROM groups WHERE group_key=?", (group.key,))
        tx.execute("DELETE FROM nflog WHERE group_key=?", (group.key,))
        self.groups.pop(group.key, None)
        self.nflog.pop((group.key, group.receiver), None)

    def log(self, tx: sqlite3.Connection, group: Group, entry: Entry) -> None:
        """Record what the group's receiver was told."""
        tx.execute("INSERT OR REPLACE INTO nflog VALUES (?, ?, ?, ?)",
                   (group.key, group.receiver, json.dumps(sorted(entry.firing)), entry.ts))
        self.nflog[(group.key, group.receiver)] = entry


def to_json(alert: Alert) -> str:
    """An alert as stored."""
    doc = asdict(alert)
    doc["state"], doc["severity"] = alert.state.value, alert.severity.value
    doc["labels"], doc["annotations"] = dict(alert.labels), dict(alert.annotations)
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def from_json(text: str) -> Alert:
    """An alert as stored, back."""
    doc = json.loads(text)
    doc["state"], doc["severity"] = AlertState(doc["state"]), Severity(doc["severity"])
    return Alert(**doc)
