"""Flow control through the whole pipeline: a per-number limit holds the SMS channel, the fallback
is told meanwhile, and what waited goes out as one digest when the hold ends; config errors are
said once."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from monitor.core.model import AlertState, Severity
from tests.alerts.helpers import alert, dispatcher
from tests.alerts.notifiers.helpers import aliyun_receiver
from tests.alerts.notifiers.providers import Provider


def _notify(aliyun: Provider, fallback_url: str) -> dict[str, Any]:
    sms = aliyun_receiver(aliyun.endpoint, fallback="duty-im", options={
        "params": {"device": "device", "rule": "what", "value": "value", "more": "more"}})
    return {"receivers": [sms, {"name": "duty-im", "urls": [fallback_url]}],
            "routes": [{"receiver": "duty-sms", "group_by": ["..."], "group_wait": 0,
                        "group_interval": 0}]}


def test_limit_holds_tells_fallback_then_sends_one_digest(aliyun: Provider, receiver: Any,
                                                          tmp_path: Path) -> None:
    aliyun.script = ["ok", "limit"]
    d = dispatcher(tmp_path, _notify(aliyun, receiver.url))
    d.submit([alert("ac-1")], 0.0)
    assert asyncio.run(d.deliver(0.0)) == 1
    d.submit([alert("ac-2", at=10.0)], 10.0)
    asyncio.run(d.deliver(10.0))  # 分钟级流控: held for a minute
    assert aliyun.count == 2 and d.delivery.held
    d.submit([alert("ups-1", rule="ups_on_battery", at=20.0),
              alert("ac-1", state=AlertState.RESOLVED, resolved=20.0)], 20.0)
    for t in (20.0, 30.0, 40.0):
        asyncio.run(d.deliver(t))
    assert aliyun.count == 2  # nothing more is tried while the hold lasts
    assert d.delivery.limited == 3
    told = [b["message"] for b in receiver.bodies()]
    assert len(told) == 3 and any("ac-2" in m for m in told) and any("ups-1" in m for m in told)
    assert any("恢复" in m and "ac-1" in m for m in told)  # resolves still told, by the fallback
    assert asyncio.run(d.deliver(75.0)) == 1
    assert aliyun.count == 3 and aliyun.rejected == []
    digest = json.loads(aliyun.requests[-1]["TemplateParam"])
    assert digest["device"] == "ups-1" and digest["more"] == "另有2条告警(其中1条已恢复)"
    assert d.outbox.pending() == 0


def test_configuration_error_is_said_once(aliyun: Provider, receiver: Any, tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    aliyun.script = ["template", "template"]
    d = dispatcher(tmp_path, _notify(aliyun, receiver.url))
    caplog.set_level(logging.INFO, logger="alerts.delivery")
    d.submit([alert("ac-1"), alert("ac-2")], 0.0)
    asyncio.run(d.deliver(0.0))
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "isv.SMS_TEMPLATE_ILLEGAL" in errors[0]
    assert aliyun.count == 2 and d.outbox.pending() == 2  # both copied to the fallback, once each
    asyncio.run(d.deliver(1.0))
    assert len(receiver.bodies()) == 2


def test_unacknowledged_critical_alert_texts_the_person_on_call_at_their_phone(tmp_path: Path) -> None:
    outgoing = tmp_path / "outgoing"
    outgoing.mkdir()
    d = dispatcher(tmp_path, {
        "receivers": [{"name": "duty-im", "urls": ["json://127.0.0.1:9/im"]},
                      {"name": "modem", "kind": "smstools", "format": "sms",
                       "smstools": {"outgoing": str(outgoing)}}],
        "routes": [{"receiver": "duty-im", "group_wait": "0s"}],
        "oncall": {"sms": "modem", "timezone": "UTC", "start": "2023-11-13",
                   "people": [{"name": "张三", "phone": "13800000001"}]},
        "escalations": [{"matchers": ["severity=critical"],
                         "levels": [{"after": "15m", "receiver": "oncall"}]}]})
    d.submit([alert("core-sw-1", "device_down", severity=Severity.CRITICAL, at=0.0)], 0.0)
    d.flush(15 * 60.0)
    sms = [m for m in d.outbox.due(15 * 60.0) if m.target.startswith("oncall:")]
    assert len(sms) == 1 and sms[0].params["device"] == "core-sw-1" and sms[0].params["kind"] == "escalation"
    assert d.notifier.send(sms[0].target, sms[0].title, sms[0].body, sms[0].state, sms[0].params)
    [spooled] = outgoing.iterdir()
    head, _, text = spooled.read_bytes().partition(b"\n\n")
    assert head == b"To: 8613800000001\nAlphabet: UCS2" and "core-sw-1" in text.decode("utf-16-be")
    assert text.decode("utf-16-be").startswith("【升级L1】")


def test_an_outbox_from_before_sms_parameters_opens_and_keeps_its_messages(tmp_path: Path) -> None:
    import sqlite3

    from alerts.outbox import Outbox

    old = sqlite3.connect(tmp_path / "alerts.db")  # the outbox as the previous release wrote it
    old.executescript("""CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL,
        fingerprint TEXT NOT NULL, state TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,
        created REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_try REAL NOT NULL,
        last_error TEXT, fell_back INTEGER NOT NULL DEFAULT 0);
        INSERT INTO outbox (target, fingerprint, state, title, body, created, next_try)
        VALUES ('duty#ab', 'g1', 'firing', '', '【告警】ac-1', 0, 0);""")
    old.commit()
    old.close()
    [msg] = Outbox(tmp_path / "alerts.db").due(1.0)
    assert msg.body == "【告警】ac-1" and msg.params == {}
