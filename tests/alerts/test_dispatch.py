"""Dispatch through apprise to a local HTTP receiver: dedup, retries, no loss, no leaks."""

import asyncio
import logging
from pathlib import Path

import pytest

from alerts.dispatch import Dispatcher
from alerts.notifiers.apprise import AppriseNotifier
from alerts.outbox import Outbox
from monitor.core.logs import RedactFilter
from monitor.core.model import Alert, AlertState, Severity

LABELS = {"device": "room1-th", "room": "一号机房", "sensor": "north", "kind": "sensor"}


def _alert(state: AlertState, value: float = 29.4) -> Alert:
    return Alert(rule="room_temperature", labels=LABELS, state=state, severity=Severity.WARNING,
                 value=value, active_at=1000.0, fired_at=1000.0,
                 resolved_at=2000.0 if state is AlertState.RESOLVED else None,
                 summary="机房温度 29.4 °C，超出 18–28 °C",
                 clause="《信息中心机房管理制度》四、环境管理制度 第5条")


def _dispatcher(tmp_path: Path, url: str) -> Dispatcher:
    return Dispatcher(Outbox(tmp_path / "alerts.db"), AppriseNotifier([url]),
                      retry_initial=5.0, retry_max=60.0)


def test_firing_then_resolved_reach_the_receiver_once(receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = _dispatcher(tmp_path, receiver.url)
    assert d.submit([_alert(AlertState.PENDING)], 1000.0) == 0
    assert d.submit([_alert(AlertState.FIRING)], 1000.0) == 1
    assert d.submit([_alert(AlertState.FIRING)], 1010.0) == 0  # already told
    assert asyncio.run(d.deliver(1010.0)) == 1
    assert d.submit([_alert(AlertState.RESOLVED)], 2000.0) == 1
    assert asyncio.run(d.deliver(2000.0)) == 1
    bodies = receiver.bodies()
    assert [b["type"] for b in bodies] == ["failure", "success"]
    assert bodies[0]["title"].startswith("[告警][警告] room1-th")
    assert "依据: 《信息中心机房管理制度》四、环境管理制度 第5条" in bodies[0]["message"]
    assert "一号机房" in bodies[0]["message"]


def test_resolved_without_firing_is_not_told(receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = _dispatcher(tmp_path, receiver.url)
    assert d.submit([_alert(AlertState.RESOLVED)], 0.0) == 0


def test_receiver_down_retries_with_backoff_and_loses_nothing(receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    d = _dispatcher(tmp_path, receiver.url)
    receiver.status = 500
    d.submit([_alert(AlertState.FIRING)], 0.0)
    assert asyncio.run(d.deliver(0.0)) == 0
    assert asyncio.run(d.deliver(4.9)) == 0 and len(receiver.requests) == 1  # backoff holds
    assert asyncio.run(d.deliver(5.0)) == 0 and len(receiver.requests) == 2
    assert d.outbox.next_due() == 15.0  # 5 s, then 10 s
    receiver.status = 200
    assert asyncio.run(d.deliver(15.0)) == 1
    assert asyncio.run(d.deliver(100.0)) == 0
    assert len(receiver.bodies()) == 1 and d.outbox.pending() == 0


def test_outbox_survives_a_restart(receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    receiver.status = 503
    d = _dispatcher(tmp_path, receiver.url)
    d.submit([_alert(AlertState.FIRING)], 0.0)
    asyncio.run(d.deliver(0.0))
    d.outbox.close()
    receiver.status = 200
    again = _dispatcher(tmp_path, receiver.url)
    assert again.submit([_alert(AlertState.FIRING)], 1.0) == 0  # the log remembers
    assert asyncio.run(again.deliver(100.0)) == 1
    assert len(receiver.bodies()) == 1


def test_bad_url_is_named_by_index_not_text() -> None:
    with pytest.raises(ValueError) as err:
        AppriseNotifier(["json://127.0.0.1:1/ok", "nosuch://topsecret-token@host"])
    assert "notify.urls[1]" in str(err.value) and "topsecret" not in str(err.value)


def test_no_error_or_log_line_leaks_a_secret(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cr3t-token-value"
    url = f"json://duty:{secret}@127.0.0.1:9/hook?token={secret}"  # port 9: nothing listens
    caplog.set_level(logging.DEBUG)
    d = _dispatcher(tmp_path, url)
    d.submit([_alert(AlertState.FIRING)], 0.0)
    asyncio.run(d.deliver(0.0))
    assert d.failures == 1
    [queued] = d.outbox.due(1e12)
    own = [r.getMessage() for r in caplog.records if r.name.startswith(("alerts", "monitor"))]
    assert any("notify failed" in m for m in own)
    assert not any(secret in m for m in own) and secret not in repr(queued)
    # Libraries may print what they like; the daemon's handler masks every configured secret.
    redact = RedactFilter([secret])
    for record in caplog.records:
        redact.filter(record)
        assert secret not in record.getMessage()
