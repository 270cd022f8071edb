"""Aliyun SMS (阿里云短信, dysmsapi SendSms) and voice calls (语音通知, dyvmsapi SingleCallByTts)
through Aliyun's own Python SDKs.

An approved sign (签名) and template (模板) are required; the template's variables are mapped
from alert fields and cut to Aliyun's 35-character variable limit. Per-number flow control
(``isv.BUSINESS_LIMIT_CONTROL``: about 1 a minute, 5 an hour, 10 a day) becomes
:class:`~alerts.notifiers.sms.Limited`; template and sign refusals become ``Misconfigured``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, field_validator

from alerts.notifiers.sms import Answer, Codes, check_fields, classify, fill, masked
from monitor.core.durations import Duration
from monitor.core.errors import NotifyError
from monitor.core.options import PluginOptions
from monitor.core.secrets import Secret

log = logging.getLogger(__name__)

SAMPLE = """\
[[notify.receivers]]
name = "duty-sms"
kind = "aliyun_sms"
numbers = ["+8613800000000", "张三"]   # mobile numbers, or people on [notify.oncall]
format = "sms"
fallback = "duty-im"                   # told while Aliyun's per-number limit holds
[notify.receivers.aliyun_sms]
access_key_id = "env:ALIYUN_AK_ID"
access_key_secret = "env:ALIYUN_AK_SECRET"  # or file:NAME (systemd credentials)
sign_name = "信息中心"
template_code = "SMS_123456789"        # e.g. 机房告警:${device} ${rule} 当前${value},依据${clause}
params = { device = "device", rule = "what", value = "value", clause = "clause" }
param_max = 35                         # Aliyun cuts a variable at 35 characters
endpoint = "dysmsapi.aliyuncs.com"
protocol = "https"
timeout = "10s"
"""

VOICE_SAMPLE = """\
[[notify.receivers]]
name = "duty-call"                     # an [[notify.escalations]] level for critical alerts
kind = "aliyun_voice"
numbers = ["张三"]
[notify.receivers.aliyun_voice]
access_key_id = "env:ALIYUN_AK_ID"
access_key_secret = "env:ALIYUN_AK_SECRET"
tts_code = "TTS_123456789"             # e.g. 机房紧急告警,${device},${rule},请立即处理
called_show_number = ""                # empty: Aliyun's public number pool
play_times = 2
params = { device = "device", rule = "what" }
endpoint = "dyvmsapi.aliyuncs.com"
"""

# Codes that mean "this number may not be texted again for a while" and how long that is.
_LIMITS = {"isv.BUSINESS_LIMIT_CONTROL": 60.0, "isv.DAY_LIMIT_CONTROL": 86400.0}
_CODES = Codes(
    retry=("Throttling", "isp.", "ServiceUnavailable", "InternalError"),
    config=("isv.", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden", "InvalidVersion",
            "MissingParameter", "InvalidParameter"),
    hints={
        "isv.SMS_TEMPLATE_ILLEGAL": " — template_code is unknown or not approved for this account",
        "isv.SMS_SIGNATURE_ILLEGAL": " — sign_name is unknown or not approved",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL": " — the sign may not be used with this template",
        "isv.TEMPLATE_MISSING_PARAMETERS": " — params lacks a variable the template has",
        "isv.AMOUNT_NOT_ENOUGH": " — the account's balance is used up",
        "isv.TTS_TEMPLATE_ILLEGAL": " — tts_code is unknown or not approved",
    })


class AliyunOptions(PluginOptions):
    """What every Aliyun kind shares: credentials, template parameters, where the API is."""

    access_key_id: Secret = Field(description="AccessKey ID (env:/file: secrets allowed).")
    access_key_secret: Secret = Field(description="AccessKey secret (env:/file: secrets allowed).")
    params: dict[str, str] = Field(
        default_factory=lambda: {"device": "device", "rule": "what", "value": "value",
                                 "clause": "clause"},
        description="Template variable → alert field (device, rule, what, value, clause, more…).")
    param_max: int = Field(35, ge=1, description="Characters per variable (Aliyun: 35).")
    protocol: Literal["https", "http"] = Field("https", description="http only for a local test server.")
    timeout: Duration = Field(10.0, gt=0, description="Connect and read timeout.")

    _fields = field_validator("params")(check_fields)


class AliyunSmsOptions(AliyunOptions):
    """``[notify.receivers.aliyun_sms]``: credentials, sign, template and its parameters."""

    sign_name: str = Field(min_length=1, description="The approved SMS sign (签名).")
    template_code: str = Field(min_length=1, description="The approved template code (SMS_…).")
    endpoint: str = Field("dysmsapi.aliyuncs.com", description="API host[:port].")


class AliyunSms:
    """Sends one template message per number through ``dysmsapi`` SendSms."""

    kind = "aliyun_sms"

    def __init__(self, options: AliyunSmsOptions) -> None:
        self.options = options
        self._client: Any = None  # built on first send: constructing opens nothing

    def send(self, number: str, text: str, params: Mapping[str, str]) -> Answer:
        """Send the template to one number; classify Aliyun's answer."""
        from alibabacloud_dysmsapi20170525 import models
        from alibabacloud_dysmsapi20170525.client import Client

        o = self.options
        self._client = self._client or client(Client, o, o.endpoint)
        values = dict(fill(o.params, params, limit=o.param_max))
        request = models.SendSmsRequest(phone_numbers=number.removeprefix("+86"), sign_name=o.sign_name,
                                        template_code=o.template_code,
                                        template_param=json.dumps(values, ensure_ascii=False))
        body = call(f"{self.kind} {masked(number)}", lambda: self._client.send_sms(request))
        return Answer(code=str(body.code), request_id=str(body.request_id or ""),
                      detail=f"biz_id={body.biz_id}" if body.biz_id else "")


class AliyunVoiceOptions(AliyunOptions):
    """``[notify.receivers.aliyun_voice]``: a text-to-speech call (语音通知) with an approved TTS template."""

    tts_code: str = Field(min_length=1, description="The approved TTS template code (TTS_…).")
    called_show_number: str = Field("", description="Number shown to the called; empty: Aliyun's pool.")
    play_times: int = Field(2, ge=1, le=3, description="How often the message is read out.")
    endpoint: str = Field("dyvmsapi.aliyuncs.com", description="API host[:port].")


class AliyunVoice:
    """Calls each number and reads the template out (SingleCallByTts); resolves are not phoned."""

    kind = "aliyun_voice"

    def __init__(self, options: AliyunVoiceOptions) -> None:
        self.options = options
        self._client: Any = None

    def send(self, number: str, text: str, params: Mapping[str, str]) -> Answer:
        """Place the call; the answer carries Aliyun's call id."""
        if params.get("state") == "恢复":
            return Answer(code="skipped", detail="a resolve is not worth a phone call")
        from alibabacloud_dyvmsapi20170525 import models
        from alibabacloud_dyvmsapi20170525.client import Client

        o = self.options
        self._client = self._client or client(Client, o, o.endpoint)
        values = dict(fill(o.params, params, limit=o.param_max))
        request = models.SingleCallByTtsRequest(
            called_number=number.removeprefix("+86"), called_show_number=o.called_show_number or None,
            tts_code=o.tts_code, tts_param=json.dumps(values, ensure_ascii=False), play_times=o.play_times)
        body = call(f"{self.kind} {masked(number)}", lambda: self._client.single_call_by_tts(request))
        return Answer(code=str(body.code), request_id=str(body.request_id or ""),
                      detail=f"call_id={body.call_id}" if body.call_id else "")


def client(cls: Any, o: AliyunOptions, endpoint: str) -> Any:
    """An SDK client of one Aliyun product (it opens no connection until the first call)."""
    from alibabacloud_tea_openapi import models as openapi

    timeout_ms = int(o.timeout * 1000)
    return cls(openapi.Config(
        access_key_id=o.access_key_id.get_secret_value(),
        access_key_secret=o.access_key_secret.get_secret_value(),
        endpoint=endpoint, protocol=o.protocol, connect_timeout=timeout_ms, read_timeout=timeout_ms))


def call(who: str, send: Any) -> Any:
    """Run one SDK call; return the answer's body if its Code is OK, else raise what it means."""
    try:
        response = send()
    except Exception as err:  # the SDK raises TeaException for HTTP errors, others for transport
        code = str(getattr(err, "code", "") or type(err).__name__)
        message = str(getattr(err, "message", "") or err)[:200]
        data = getattr(err, "data", None)
        status = data.get("statusCode") if isinstance(data, dict) else None
        if isinstance(status, int) and status >= 500:  # the gateway's trouble, whatever the code
            raise NotifyError(f"{who}: HTTP {status} {code}: {message}", retryable=True) from None
        raise _classify(who, code, message) from None
    body = response.body
    if body.code != "OK":
        raise _classify(who, str(body.code), str(body.message or ""), request_id=str(body.request_id or ""))
    return body


def _classify(who: str, code: str, message: str, *, request_id: str = "") -> NotifyError:
    hold = _limit_wait(code, message) if code in _LIMITS else None
    return classify(who, code, message, codes=_CODES, hold=hold, request_id=request_id)


def _limit_wait(code: str, message: str) -> float:
    """Aliyun says which window tripped (触发分钟级/小时级/天级流控): wait that window out."""
    if "天级" in message or code == "isv.DAY_LIMIT_CONTROL":
        return 86400.0
    if "小时级" in message:
        return 3600.0
    return _LIMITS[code]
