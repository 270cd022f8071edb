"""The HTTP API: tokens and basic auth, /api/v1 actions, Alertmanager's /api/v2/alerts, /metrics."""

from __future__ import annotations

import base64

from alerts.ack import Acks
from monitor.core.model import Reading
from tests.monitor.web.conftest import PASSWORD, T0, Console


def _bearer(console: Console, name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {console.src.accounts.new_token(name, now=T0, by='test')}"}


def test_alertmanager_v2_alerts_lists_firing_alerts_as_grafana_reads_them(console: Console) -> None:
    fingerprint = console.fire()
    basic = base64.b64encode(f"viewer1:{PASSWORD}".encode()).decode()  # Grafana's data source
    answer = console.client.get("/api/v2/alerts", headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 200
    [alert] = answer.json()
    assert alert["fingerprint"] == fingerprint
    assert alert["labels"]["alertname"] == "room_temperature" and alert["labels"]["severity"] == "warning"
    assert alert["labels"]["device"] == "th-1"
    assert alert["annotations"]["clause"].startswith("《信息中心机房管理制度》")
    assert alert["status"] == {"state": "active", "silencedBy": [], "inhibitedBy": [], "mutedBy": []}
    assert alert["startsAt"] == "2026-05-28T20:26:40.000Z"


def test_ack_by_api_is_recorded_as_the_token_owner(console: Console) -> None:
    fingerprint = console.fire()
    headers = _bearer(console, "oper1")
    answer = console.client.post(f"/api/v1/alerts/{fingerprint}/ack", json={"comment": "在处理"},
                                 headers=headers)
    assert answer.status_code == 200 and answer.json() == {"acknowledged": fingerprint, "by": "oper1"}
    assert Acks(console.src.alerts_db).all()[fingerprint].by == "oper1"
    [row] = console.client.get("/api/v1/alerts", headers=headers).json()
    assert row["ack"]["comment"] == "在处理"
    [am] = console.client.get("/api/v2/alerts", headers=headers).json()
    assert am["status"]["state"] == "suppressed"
    missing = console.client.post("/api/v1/alerts/ffffffffffffffff/ack", json={}, headers=headers)
    assert missing.status_code == 404


def test_silences_by_api(console: Console) -> None:
    headers = _bearer(console, "oper1")
    answer = console.client.post("/api/v1/silences", headers=headers,
                                 json={"matchers": ["device=ups-1"], "duration": "30m", "comment": "换电池"})
    assert answer.status_code == 201
    sid = answer.json()["id"]
    [row] = console.client.get("/api/v1/silences", headers=headers).json()
    assert row["id"] == sid and row["ends"] == T0 + 1800 and row["by"] == "oper1"
    assert console.client.delete(f"/api/v1/silences/{sid}", headers=headers).status_code == 200
    assert console.client.delete(f"/api/v1/silences/{sid}", headers=headers).status_code == 404
    bad = console.client.post("/api/v1/silences", headers=headers,
                              json={"matchers": "device=x", "comment": "x"})
    assert bad.status_code == 400 and "matchers" in bad.json()["error"]
    audit = console.client.get("/api/v1/audit", headers=headers).json()
    assert [e["action"] for e in audit[:2]] == ["silence.expire", "silence.add"]


def test_a_replaced_token_stops_working(console: Console) -> None:
    old = _bearer(console, "viewer1")
    new = _bearer(console, "viewer1")
    assert console.client.get("/api/v1/overview", headers=old).status_code == 401
    assert console.client.get("/api/v1/overview", headers=new).status_code == 200
    assert console.client.get("/api/v1/overview", headers={"Authorization": "Bearer rw_x"}).status_code == 401


def test_overview_api_counts_devices_and_alerts(console: Console) -> None:
    console.fire()
    view = console.client.get("/api/v1/overview", headers=_bearer(console, "viewer1")).json()
    assert view["devices"] == 2 and view["alerts"] == {"critical": 0, "warning": 1, "info": 0}
    [room] = view["rooms"]
    th = next(d for d in room["devices"] if d["name"] == "th-1")
    assert th["status"] == "up" and th["readings"][0]["value"] == 35.0


def test_metrics_in_prometheus_text_with_the_daemons_health(console: Console) -> None:
    console.fire()
    polls = console.src.polls
    for seconds, failed in ((0.03, False), (0.2, False), (12.0, True)):  # as the scheduler reports them
        polls.observe(transport="snmp", kind="ups", seconds=seconds, failed=failed)
    polls.observe(transport="ssh", kind="server", seconds=1.5, failed=False)
    console.parts.store.write([Reading("humidity_percent", 40.0 + i, {"device": "th-1"}, T0)
                               for i in range(3)])
    answer = console.client.get("/metrics", headers=_bearer(console, "viewer1"))
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert "# TYPE roomwatch_poll_duration_seconds histogram" in text
    assert 'roomwatch_poll_duration_seconds_bucket{kind="ups",le="0.05",transport="snmp"} 1.0' in text
    assert 'roomwatch_poll_duration_seconds_bucket{kind="ups",le="0.25",transport="snmp"} 2.0' in text
    assert 'roomwatch_poll_duration_seconds_bucket{kind="ups",le="10.0",transport="snmp"} 2.0' in text
    assert 'roomwatch_poll_duration_seconds_bucket{kind="ups",le="+Inf",transport="snmp"} 3.0' in text
    assert 'roomwatch_poll_duration_seconds_count{kind="ups",transport="snmp"} 3.0' in text
    assert 'roomwatch_poll_duration_seconds_sum{kind="ups",transport="snmp"} 12.23' in text
    assert 'roomwatch_poll_failures_total{kind="ups",transport="snmp"} 1.0' in text
    assert 'roomwatch_poll_failures_total{kind="server",transport="ssh"} 0.0' in text
    assert "roomwatch_store_buffered_readings 3.0" in text  # written, waiting for the next commit
    assert "roomwatch_devices 2.0" in text
    assert "roomwatch_engine_active_alerts 1.0" in text
    assert "roomwatch_outbox_messages" in text and "roomwatch_engine_series" in text
