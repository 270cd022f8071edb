"""Aliyun SMS through Aliyun's SDK against a local dysmsapi that verifies ACS3 signatures."""

from __future__ import annotations

import json

import pytest

from alerts.notifiers.sms import Limited, Misconfigured
from monitor.errors import NotifyError
from monitor.model import AlertState
from tests.alerts.notifiers.helpers import PARAMS, aliyun_receiver, notifier
from tests.alerts.notifiers.providers import ALIYUN_ID, ALIYUN_SECRET, Provider


def _send(server: Provider, **over: object) -> str:
    n = notifier(aliyun_receiver(server.endpoint, **over))
    [target] = n.targets_of("duty-sms")
    return n.send(target, "", "【告警】机房A 温度 31.5", AlertState.FIRING, PARAMS)


def test_ok_sends_the_template_with_parameters_cut_to_35(aliyun: Provider) -> None:
    answer = _send(aliyun)
    assert aliyun.rejected == []
    assert "code=OK" in answer and "request_id=A1B2C3D4-" in answer and "biz_id=" in answer
    [req] = aliyun.requests
    assert req["action"] == "SendSms" and req["PhoneNumbers"] == "13800000000"
    assert req["SignName"] == "信息中心" and req["TemplateCode"] == "SMS_123456789"
    params = json.loads(req["TemplateParam"])
    assert params["device"] == "机房A-精密空调-1号" and params["value"] == "31.5"
    assert params["rule"] == "机房温度超过阈值"
    assert len(params["clause"]) == 35 and params["clause"].endswith("…")


def test_business_limit_is_a_hold_not_a_blind_retry(aliyun: Provider) -> None:
    aliyun.script = ["limit"]
    with pytest.raises(Limited) as caught:
        _send(aliyun)
    assert caught.value.code == "isv.BUSINESS_LIMIT_CONTROL" and caught.value.retry_after == 60.0
    assert "触发分钟级流控" in str(caught.value) and "request_id=" in str(caught.value)


def test_unapproved_template_is_a_configuration_error_naming_the_code(aliyun: Provider) -> None:
    aliyun.script = ["template"]
    with pytest.raises(Misconfigured) as caught:
        _send(aliyun)
    assert not caught.value.retryable
    assert "isv.SMS_TEMPLATE_ILLEGAL" in str(caught.value) and "template_code" in str(caught.value)


def test_throttled_5xx_is_retried_with_backoff(aliyun: Provider) -> None:
    aliyun.script = ["throttled"]
    with pytest.raises(NotifyError) as caught:
        _send(aliyun)
    assert caught.value.retryable and not isinstance(caught.value, Limited)
    assert "ServiceUnavailable" in str(caught.value)


def test_a_wrong_secret_fails_the_servers_signature_check(aliyun: Provider,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIYUN_AK_SECRET", "not-the-secret")
    with pytest.raises(Misconfigured) as caught:
        _send(aliyun)
    assert aliyun.rejected == ["signature"] and "SignatureDoesNotMatch" in str(caught.value)


def test_no_answer_or_error_carries_a_credential(aliyun: Provider) -> None:
    aliyun.script = ["ok", "limit", "template", "throttled"]
    said = []
    for _ in range(4):
        try:
            said.append(_send(aliyun))
        except NotifyError as err:
            said.append(str(err))
    assert len(said) == 4 and aliyun.rejected == []
    assert not [s for s in said if ALIYUN_SECRET in s or ALIYUN_ID in s]
    assert not [s for s in said if "13800000000" in s]  # numbers are masked: +86138****0000
