"""Aliyun and Tencent Cloud SMS through their SDKs against local servers that verify every
request's signature: the request each sends, and what each kind of answer becomes."""

from __future__ import annotations

import json

import pytest

from alerts.notifiers.sms import Limited, Misconfigured
from monitor.core.errors import NotifyError
from monitor.core.model import AlertState
from tests.alerts.notifiers.helpers import PARAMS, aliyun_receiver, notifier, tencent_receiver
from tests.alerts.notifiers.providers import (
    ALIYUN_ID,
    ALIYUN_SECRET,
    TENCENT_ID,
    TENCENT_KEY,
    Provider,
)

CREDENTIALS = (ALIYUN_ID, ALIYUN_SECRET, TENCENT_ID, TENCENT_KEY)


def _send(server: Provider) -> str:
    receiver = aliyun_receiver if server.kind == "aliyun" else tencent_receiver
    n = notifier(receiver(server.endpoint))
    [target] = n.targets_of("duty-sms")
    return n.send(target, "", "【告警】机房A 温度 31.5", AlertState.FIRING, PARAMS)


@pytest.fixture(params=["aliyun", "tencent"])
def cloud(request: pytest.FixtureRequest) -> Provider:
    """Each fake provider in turn."""
    server: Provider = request.getfixturevalue(request.param)
    return server


def test_aliyun_sends_the_template_with_parameters_cut_to_35(aliyun: Provider) -> None:
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


def test_tencent_sends_positional_parameters_cut_to_the_limit(tencent: Provider) -> None:
    answer = _send(tencent)
    assert tencent.rejected == []
    assert "code=Ok" in answer and "request_id=a0aabda6-" in answer and "serial_no=" in answer
    [req] = tencent.requests
    assert req["action"] == "SendSms" and req["PhoneNumberSet"] == ["+8613900000002"]
    assert req["SmsSdkAppId"] == "1400006666" and req["TemplateId"] == "1234567"
    device, rule, value, clause = req["TemplateParamSet"]
    assert (device, value) == ("机房A-精密空调-1号", "31.5") and rule == "机房温度超过阈值"
    assert len(clause) == 12 and clause.endswith("…")


ANSWERS = {  # (provider, answer) → (error class, code named, seconds held)
    ("aliyun", "limit"): (Limited, "isv.BUSINESS_LIMIT_CONTROL", 60.0),
    ("tencent", "limit"): (Limited, "LimitExceeded.PhoneNumberDailyLimit", 86400.0),
    ("aliyun", "template"): (Misconfigured, "isv.SMS_TEMPLATE_ILLEGAL", None),
    ("tencent", "template"): (Misconfigured, "FailedOperation.TemplateIncorrectOrUnapproved", None),
    ("aliyun", "throttled"): (NotifyError, "ServiceUnavailable", None),
    ("tencent", "throttled"): (NotifyError, "ServerNetworkError", None),
}


@pytest.mark.parametrize("answer", ["limit", "template", "throttled"])
def test_each_refusal_carries_its_decision_and_code(cloud: Provider, answer: str) -> None:
    kind, code, held = ANSWERS[(cloud.kind, answer)]
    cloud.script = [answer]
    with pytest.raises(NotifyError) as caught:
        _send(cloud)
    err = caught.value
    assert type(err) is kind and code in str(err) and cloud.rejected == []
    assert err.retryable is (kind is not Misconfigured)  # flow control waits; a 5xx backs off
    if isinstance(err, Limited):
        assert err.retry_after == held
    if isinstance(err, Misconfigured):  # says what to check
        assert "template_code" in str(err) or "template_id" in str(err)


def test_a_wrong_secret_fails_the_servers_signature_check(cloud: Provider,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIYUN_AK_SECRET" if cloud.kind == "aliyun" else "TENCENT_SECRET_KEY", "wrong")
    with pytest.raises(Misconfigured) as caught:
        _send(cloud)
    assert cloud.rejected == ["signature"]
    assert caught.value.code in ("SignatureDoesNotMatch", "AuthFailure.SignatureFailure")


def test_no_answer_or_error_carries_a_credential_or_whole_number(cloud: Provider) -> None:
    cloud.script = ["ok", "limit", "template", "throttled"]
    said = []
    for _ in range(4):
        try:
            said.append(_send(cloud))
        except NotifyError as err:
            said.append(str(err))
    assert len(said) == 4 and cloud.rejected == []
    assert not [s for s in said for c in CREDENTIALS if c in s]
    assert not [s for s in said if "13800000000" in s or "13900000002" in s]  # masked: +86138****0000


@pytest.mark.parametrize(("code", "message", "held"), [
    ("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1", 60.0),
    ("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", 3600.0),
    ("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10", 86400.0),
    ("isv.DAY_LIMIT_CONTROL", "触发日发送限额", 86400.0)])
def test_aliyun_holds_for_the_window_it_names(code: str, message: str, held: float) -> None:
    from alerts.notifiers.aliyun import _classify

    err = _classify("aliyun_sms +86138****0000", code, message)
    assert isinstance(err, Limited) and err.retry_after == held
