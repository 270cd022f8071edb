"""Voice escalation: Aliyun 语音通知 and Tencent 语音消息 through their SDKs against the local
servers that verify signatures; an unacknowledged critical alert climbs to a phone call."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from alerts.notifiers.sms import Limited, Misconfigured
from monitor.core.errors import NotifyError
from monitor.core.model import AlertState, Severity
from tests.alerts.helpers import alert, dispatcher
from tests.alerts.notifiers.helpers import PARAMS, notifier
from tests.alerts.notifiers.providers import Provider


def _voice(server: Provider) -> dict[str, Any]:
    if server.kind == "aliyun":
        options = {"access_key_id": "env:ALIYUN_AK_ID", "access_key_secret": "env:ALIYUN_AK_SECRET",
                   "tts_code": "TTS_123456789", "params": {"device": "device", "rule": "what"}}
    else:
        options = {"secret_id": "env:TENCENT_SECRET_ID", "secret_key": "env:TENCENT_SECRET_KEY",
                   "voice_sdk_app_id": "1400000001", "template_id": "7654321",
                   "params": ["device", "what"]}
    kind = f"{server.kind}_voice"
    return {"name": "duty-call", "kind": kind, "numbers": ["13800000000"],
            kind: {**options, "endpoint": server.endpoint, "protocol": "http", "timeout": 5}}


@pytest.fixture(params=["aliyun", "tencent"])
def cloud(request: pytest.FixtureRequest) -> Provider:
    """Each fake provider in turn."""
    server: Provider = request.getfixturevalue(request.param)
    return server


def test_call_reads_the_template_and_answers_with_a_call_id(cloud: Provider) -> None:
    n = notifier(_voice(cloud))
    [target] = n.targets_of("duty-call")
    answer = n.send(target, "", "text is not read out", AlertState.FIRING, {**PARAMS, "state": "告警"})
    assert "call_id=" in answer and "request_id=" in answer and cloud.rejected == []
    [req] = cloud.requests
    if cloud.kind == "aliyun":
        assert req["action"] == "SingleCallByTts" and req["CalledNumber"] == "13800000000"
        assert json.loads(req["TtsParam"]) == {"device": "机房A-精密空调-1号", "rule": "机房温度超过阈值"}
    else:
        assert req["action"] == "SendTtsVoice" and req["CalledNumber"] == "+8613800000000"
        assert req["TemplateParamSet"] == ["机房A-精密空调-1号", "机房温度超过阈值"]


def test_resolves_are_not_phoned(cloud: Provider) -> None:
    n = notifier(_voice(cloud))
    answer = n.send(n.targets_of("duty-call")[0], "", "", AlertState.RESOLVED, {**PARAMS, "state": "恢复"})
    assert answer.startswith("code=skipped") and cloud.count == 0


@pytest.mark.parametrize(("answer", "kind"), [("limit", Limited), ("template", Misconfigured)])
def test_voice_refusals_carry_their_decision(cloud: Provider, answer: str, kind: type) -> None:
    cloud.script = [answer]
    n = notifier(_voice(cloud))
    with pytest.raises(NotifyError) as caught:
        n.send(n.targets_of("duty-call")[0], "", "", AlertState.FIRING, {**PARAMS, "state": "告警"})
    assert type(caught.value) is kind and cloud.rejected == []


def test_unacknowledged_critical_alert_escalates_to_a_call(aliyun: Provider, tmp_path: Path) -> None:
    d = dispatcher(tmp_path, {
        "receivers": [{"name": "duty-im", "urls": ["json://127.0.0.1:9/im"]}, _voice(aliyun)],
        "routes": [{"receiver": "duty-im", "group_wait": "0s"}],
        "escalations": [{"matchers": ["severity=critical"],
                         "levels": [{"after": "30m", "receiver": "duty-call"}]}]})
    d.submit([alert("ups-1", "ups_on_battery", severity=Severity.CRITICAL, at=0.0)], 0.0)
    for minute in (0, 29):
        d.flush(minute * 60.0)
    calls = [m for m in d.outbox.due(1e9) if m.target.startswith("duty-call")]
    assert calls == []
    d.flush(30 * 60.0)
    [call] = [m for m in d.outbox.due(1e9) if m.target.startswith("duty-call")]
    assert call.params["device"] == "ups-1" and call.params["level"] == "1"
    asyncio.run(d.deliver(30 * 60.0))
    assert [r["action"] for r in aliyun.requests] == ["SingleCallByTts"]
    assert json.loads(aliyun.requests[0]["TtsParam"])["device"] == "ups-1"
