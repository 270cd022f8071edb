"""Incident clocks against 002:465 (2 h normally, never past 4 h), and which ack counts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from monitor.core.model import Ack, Alert, AlertState, Severity
from monitor.report.acks import ack_times
from monitor.report.incidents import Breach, flaps, incidents

T0, END = 1_000_000.0, 1_000_000.0 + 7 * 86400
LABELS = {"device": "srv-1", "kind": "server"}


def fired(minutes: float | None, start: float = T0 + 3600) -> list[Alert]:
    base = {"rule": "device_down", "labels": LABELS, "severity": Severity.CRITICAL, "value": 0.0,
            "active_at": start}
    out = [Alert(state=AlertState.FIRING, fired_at=start + 60, **base)]
    if minutes is not None:
        out.append(Alert(state=AlertState.RESOLVED, fired_at=start + 60, resolved_at=start + minutes * 60,
                         **base))
    return out


@pytest.mark.parametrize(("minutes", "breach"), [
    (119, Breach.WITHIN), (120, Breach.WITHIN), (121, Breach.OVER), (240, Breach.OVER),
    (241, Breach.BREACH), (None, Breach.BREACH),  # still down at the week's end, days later
])
def test_repair_clock(minutes: float | None, breach: Breach) -> None:
    [incident] = incidents(fired(minutes), {}, T0, END, END)
    assert incident.breach is breach and incident.tta is None


def test_open_within_two_hours_of_the_end_is_open() -> None:
    [incident] = incidents(fired(None, start=END - 600), {}, T0, END, END)
    assert incident.breach is Breach.OPEN and incident.ttr == 600


def test_an_ack_counts_only_for_its_episode(tmp_path: Path) -> None:
    alert = fired(30)[0]
    mine = Ack(fingerprint=alert.fingerprint, ts=T0 + 3600 + 600, by="duty", fired_at=alert.fired_at)
    [incident] = incidents(fired(30), {alert.fingerprint: [mine]}, T0, END, END)
    assert (incident.tta, incident.acked_by) == (600, "duty")
    other = Ack(fingerprint=alert.fingerprint, ts=T0 + 3600 + 600, by="duty", fired_at=T0 - 86400)
    [incident] = incidents(fired(30), {alert.fingerprint: [other]}, T0, END, END)
    assert incident.acked is None


def test_ack_times_reads_the_pipeline_table_and_tolerates_its_absence(tmp_path: Path) -> None:
    assert ack_times(tmp_path) == {}
    with sqlite3.connect(tmp_path / "alerts.db") as conn:
        conn.execute("CREATE TABLE outbox (id INTEGER)")
    assert ack_times(tmp_path) == {}  # the db exists, the acks table not yet
    with sqlite3.connect(tmp_path / "alerts.db") as conn:
        conn.execute("CREATE TABLE acks (fingerprint TEXT PRIMARY KEY, fired_at REAL, acked_by TEXT NOT NULL,"
                     " comment TEXT NOT NULL, ts REAL NOT NULL)")
        conn.execute("INSERT INTO acks VALUES ('abc', 5.0, '王工', '', 9.0)")
    assert ack_times(tmp_path) == {"abc": [Ack(fingerprint="abc", ts=9.0, by="王工", fired_at=5.0)]}
    with sqlite3.connect(tmp_path / "alerts.db") as conn:  # an append-only history, when kept
        conn.execute("CREATE TABLE ack_log (fingerprint TEXT, fired_at REAL, acked_by TEXT, comment TEXT,"
                     " ts REAL)")
        conn.execute("INSERT INTO ack_log VALUES ('abc', 1.0, '李工', '', 2.0)")
        conn.execute("INSERT INTO ack_log VALUES ('abc', 5.0, '王工', '', 9.0)")
    assert ack_times(tmp_path) == {"abc": [Ack(fingerprint="abc", ts=2.0, by="李工", fired_at=1.0),
                                           Ack(fingerprint="abc", ts=9.0, by="王工", fired_at=5.0)]}


def test_the_week_counts_alerts_told_as_flapping() -> None:
    from dataclasses import replace

    uplink = {"rule": "uplink_down", "severity": Severity.CRITICAL, "value": 0.0, "active_at": T0 + 60,
              "fired_at": T0 + 60, "annotations": {"flapping": "1"}}
    history = [
        *fired(30),  # an ordinary outage: not a flap
        Alert(state=AlertState.FIRING, labels={"device": "core-sw-1", "ifname": "Gi0/1"}, **uplink),
        Alert(state=AlertState.RESOLVED, labels={"device": "core-sw-1", "ifname": "Gi0/1"},
              resolved_at=T0 + 7200, **uplink),
        Alert(state=AlertState.FIRING, labels={"device": "core-sw-2", "ifname": "Gi0/1"}, **uplink),
    ]
    assert flaps(history, T0, END) == 2  # one instance per series, resolved or not
    assert flaps([replace(a, annotations={}) for a in history], T0, END) == 0
