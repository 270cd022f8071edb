"""Tencent Cloud SMS through Tencent's SDK against a local API that verifies TC3 signatures."""

from __future__ import annotations

import pytest

from alerts.notifiers.sms import Limited, Misconfigured
from monitor.errors import NotifyError
from monitor.model import AlertState
from tests.alerts.notifiers.helpers import PARAMS, notifier, tencent_receiver
from tests.alerts.notifiers.providers import TENCENT_ID, TENCENT_KEY, Provider


def _send(server: Provider, **over: object) -> str:
    n = notifier(tencent_receiver(server.endpoint, **over))
    [target] = n.targets_of("duty-sms")
    return n.send(target, "", "【告警】机房A 温度 31.5", AlertState.FIRING, PARAMS)


def test_ok_sends_positional_parameters_cut_to_the_limit(tencent: Provider) -> None:
    answer = _send(tencent)
    assert tencent.rejected == []
    assert "code=Ok" in answer and "request_id=a0aabda6-" in answer and "serial_no=" in answer
    [req] = tencent.requests
    assert req["action"] == "SendSms" and req["PhoneNumberSet"] == ["+8613900000002"]
    assert req["SmsSdkAppId"] == "1400006666" and req["TemplateId"] == "1234567"
    device, rule, value, clause = req["TemplateParamSet"]
    assert (device, value) == ("机房A-精密空调-1号", "31.5") and rule == "机房温度超过阈值"
    assert len(clause) == 12 and clause.endswith("…")


def test_daily_limit_is_a_hold_for_a_day(tencent: Provider) -> None:
    tencent.script = ["limit"]
    with pytest.raises(Limited) as caught:
        _send(tencent)
    assert caught.value.code == "LimitExceeded.PhoneNumberDailyLimit"
    assert caught.value.retry_after == 86400.0


def test_unapproved_template_is_a_configuration_error_naming_the_code(tencent: Provider) -> None:
    tencent.script = ["template"]
    with pytest.raises(Misconfigured) as caught:
        _send(tencent)
    assert "FailedOperation.TemplateIncorrectOrUnapproved" in str(caught.value)
    assert "template_id" in str(caught.value)


def test_bad_gateway_is_retried_with_backoff(tencent: Provider) -> None:
    tencent.script = ["throttled"]
    with pytest.raises(NotifyError) as caught:
        _send(tencent)
    assert caught.value.retryable and not isinstance(caught.value, Limited)
    assert "ServerNetworkError" in str(caught.value)


def test_a_wrong_key_fails_the_servers_signature_check(tencent: Provider,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENCENT_SECRET_KEY", "not-the-key")
    with pytest.raises(Misconfigured) as caught:
        _send(tencent)
    assert tencent.rejected == ["signature"] and "AuthFailure.SignatureFailure" in str(caught.value)


def test_no_answer_or_error_carries_a_credential(tencent: Provider) -> None:
    tencent.script = ["ok", "limit", "template", "throttled"]
    said = []
    for _ in range(4):
        try:
            said.append(_send(tencent))
        except NotifyError as err:
            said.append(str(err))
    assert len(said) == 4 and tencent.rejected == []
    assert not [s for s in said if TENCENT_KEY in s or TENCENT_ID in s]
