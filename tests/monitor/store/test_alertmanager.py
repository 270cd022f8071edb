"""The Alertmanager output's own decisions: what an alert looks like on the wire, what is kept
on disk while every Alertmanager is down (the HA behaviour is tests/test_ha_pair.py)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from monitor.core.model import Alert, AlertState, Severity
from monitor.store.alertmanager import AlertmanagerOutput, payload
from monitor.store.settings import AlertmanagerSettings
from tests.procs import free_port

CLAUSE = "《信息中心机房管理制度》四、环境管理制度 第5条"


def _alert(state: AlertState, resolved_at: float | None = None) -> Alert:
    return Alert(rule="room_temperature", labels={"device": "th-1", "room": "一号机房", "poller": "a"},
                 state=state, severity=Severity.WARNING, value=31.0, active_at=1_800_000_000.0,
                 fired_at=1_800_000_010.0, summary="th-1 机房温度 31.0 °C", clause=CLAUSE,
                 resolved_at=resolved_at)


def test_firing_alert_on_the_wire() -> None:
    doc = payload(_alert(AlertState.FIRING), drop=["poller"], now=1_800_000_100.0, resend=60.0)
    assert doc["labels"] == {"alertname": "room_temperature", "severity": "warning", "device": "th-1",
                             "room": "一号机房"}  # no poller: both daemons of a pair send the same
    assert doc["annotations"] == {"summary": "th-1 机房温度 31.0 °C", "clause": CLAUSE, "value": "31"}
    assert doc["startsAt"] == "2027-01-15T08:00:10.000Z"
    assert doc["endsAt"] == "2027-01-15T08:05:40.000Z"  # 4 re-send intervals ahead of now


def test_resolved_alert_ends_when_it_resolved() -> None:
    doc = payload(_alert(AlertState.RESOLVED, resolved_at=1_800_000_070.0), drop=["poller"],
                  now=1_800_000_100.0, resend=60.0)
    assert doc["endsAt"] == "2027-01-15T08:01:10.000Z"


def test_firing_set_and_resolves_survive_a_restart_while_alertmanager_is_down(tmp_path: Path) -> None:
    settings = AlertmanagerSettings(urls=[f"http://127.0.0.1:{free_port()}"], timeout=1.0)  # nobody there
    out = AlertmanagerOutput(settings, tmp_path, first_backoff=60.0)
    other = replace(_alert(AlertState.FIRING), rule="device_down", labels={"device": "sw-1"})
    out.write_alerts([_alert(AlertState.PENDING), _alert(AlertState.FIRING), other])
    out.write_alerts([replace(other, state=AlertState.RESOLVED, resolved_at=1_800_000_050.0)])
    out.close()
    again = AlertmanagerOutput(settings, tmp_path, first_backoff=60.0)
    try:
        body, count = again.firing(now=10.0)
        assert count == 1 and b"room_temperature" in body
        assert again.stats()["queued"] == 1  # the resolve of device_down, waiting on disk
    finally:
        again.close()

