"""Tencent Cloud SMS (腾讯云短信, SendSms 2021-01-11) and voice messages (语音消息, VMS
SendTtsVoice) through Tencent's own Python SDKs.

The template's variables are positional ({1}, {2}…), mapped from alert fields in order and cut
to ``param_max`` characters. Per-number frequency limits (``LimitExceeded.PhoneNumber…``) become
:class:`~alerts.notifiers.sms.Limited`; unapproved template or sign become ``Misconfigured``.
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
name = "duty-sms-tc"
kind = "tencent_sms"
numbers = ["+8613800000000"]
format = "sms"
[notify.receivers.tencent_sms]
secret_id = "env:TENCENT_SECRET_ID"
secret_key = "env:TENCENT_SECRET_KEY"    # or file:NAME (systemd credentials)
sdk_app_id = "1400000000"
sign_name = "信息中心"
template_id = "1234567"                # e.g. 机房告警:{1} {2} 当前{3},依据{4}
params = ["device", "what", "value", "clause"]
param_max = 12                         # characters per variable your account is allowed
region = "ap-guangzhou"
endpoint = "sms.tencentcloudapi.com"
protocol = "https"
timeout = "10s"
"""

VOICE_SAMPLE = """\
[[notify.receivers]]
name = "duty-call-tc"                  # an [[notify.escalations]] level for critical alerts
kind = "tencent_voice"
numbers = ["张三"]
[notify.receivers.tencent_voice]
secret_id = "env:TENCENT_SECRET_ID"
secret_key = "env:TENCENT_SECRET_KEY"
voice_sdk_app_id = "1400000001"
template_id = "7654321"                # e.g. 机房紧急告警,{1},{2},请立即处理
params = ["device", "what"]
play_times = 2
endpoint = "vms.tencentcloudapi.com"
"""

# Per-number (and per-app) frequency limits, and how long each holds.
_LIMITS = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30.0,
    "LimitExceeded.PhoneNumberOneHourLimit": 3600.0,
    "LimitExceeded.PhoneNumberDailyLimit": 86400.0,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": 86400.0,
    "LimitExceeded.DeliveryFrequencyLimit": 60.0,
    "LimitExceeded.AppDailyLimit": 86400.0,
    "LimitExceeded.AppMainlandChinaDailyLimit": 86400.0,
    "LimitExceeded.AppGlobalDailyLimit": 86400.0,
}
_CODES = Codes(
    retry=("InternalError", "ServerNetworkError", "ClientNetworkError", "RequestLimitExceeded"),
    config=("FailedOperation.", "InvalidParameter", "UnauthorizedOperation.", "AuthFailure",
            "MissingParameter", "UnsupportedOperation."),
    hints={
        "FailedOperation.TemplateIncorrectOrUnapproved": " — template_id is wrong or not approved",
        "FailedOperation.SignatureIncorrectOrUnapproved": " — sign_name is wrong or not approved",
        "FailedOperation.InsufficientBalanceInSmsPackage": " — the SMS package is used up",
        "UnauthorizedOperation.SmsSdkAppIdVerifyFail": " — sdk_app_id does not belong to these credentials",
    })


class TencentOptions(PluginOptions):
    """What every Tencent Cloud kind shares: credentials, template parameters, where the API is."""

    secret_id: Secret = Field(description="SecretId (env:/file: secrets allowed).")
    secret_key: Secret = Field(description="SecretKey (env:/file: secrets allowed).")
    template_id: str = Field(min_length=1, description="The approved template's id.")
    params: list[str] = Field(default_factory=lambda: ["device", "what", "value", "clause"],
                              description="Alert fields for the template's {1}, {2}… in order.")
    param_max: int = Field(12, ge=1, description="Characters per variable (raise if your account allows).")
    region: str = Field("ap-guangzhou", description="API region.")
    protocol: Literal["https", "http"] = Field("https", description="http only for a local test server.")
    timeout: Duration = Field(10.0, gt=0, description="Request timeout.")

    _fields = field_validator("params")(check_fields)


class TencentSmsOptions(TencentOptions):
    """``[notify.receivers.tencent_sms]``: credentials, SDK app, sign, template and parameters."""

    sdk_app_id: str = Field(min_length=1, description="The SMS SdkAppId (14000…).")
    sign_name: str = Field(min_length=1, description="The approved SMS sign (签名).")
    endpoint: str = Field("sms.tencentcloudapi.com", description="API host[:port].")


class TencentSms:
    """Sends one template message per number through SendSms."""

    kind = "tencent_sms"

    def __init__(self, options: TencentSmsOptions) -> None:
        self.options = options
        self._client: Any = None  # built on first send: constructing opens nothing

    def send(self, number: str, text: str, params: Mapping[str, str]) -> Answer:
        """Send the template to one number; classify Tencent's answer for it."""
        from tencentcloud.sms.v20210111 import models, sms_client

        o = self.options
        self._client = self._client or client(sms_client.SmsClient, o, o.endpoint)
        request = models.SendSmsRequest()
        request.from_json_string(json.dumps({
            "PhoneNumberSet": [number], "SmsSdkAppId": o.sdk_app_id, "SignName": o.sign_name,
            "TemplateId": o.template_id,
            "TemplateParamSet": [v for _, v in fill(o.params, params, limit=o.param_max)]}))
        who = f"{self.kind} {masked(number)}"
        response = call(who, lambda: self._client.SendSms(request))
        status = response.SendStatusSet[0] if response.SendStatusSet else None
        if status is None:
            raise NotifyError(f"{who}: answer without a send status", retryable=True)
        answer = Answer(code=str(status.Code), request_id=str(response.RequestId or ""),
                        detail=f"serial_no={status.SerialNo}" if status.SerialNo else "")
        if status.Code != "Ok":
            raise _classify(who, str(status.Code), str(status.Message or ""),
                            request_id=answer.request_id)
        return answer


class TencentVoiceOptions(TencentOptions):
    """``[notify.receivers.tencent_voice]``: a text-to-speech call (语音消息) with an approved template."""

    voice_sdk_app_id: str = Field(min_length=1, description="The voice VoiceSdkAppid.")
    play_times: int = Field(2, ge=1, le=3, description="How often the message is read out.")
    endpoint: str = Field("vms.tencentcloudapi.com", description="API host[:port].")


class TencentVoice:
    """Calls each number and reads the template out (SendTtsVoice); resolves are not phoned."""

    kind = "tencent_voice"

    def __init__(self, options: TencentVoiceOptions) -> None:
        self.options = options
        self._client: Any = None

    def send(self, number: str, text: str, params: Mapping[str, str]) -> Answer:
        """Place the call; the answer carries Tencent's call id."""
        if params.get("state") == "恢复":
            return Answer(code="skipped", detail="a resolve is not worth a phone call")
        from tencentcloud.vms.v20200902 import models, vms_client

        o = self.options
        self._client = self._client or client(vms_client.VmsClient, o, o.endpoint)
        request = models.SendTtsVoiceRequest()
        request.from_json_string(json.dumps({
            "TemplateId": o.template_id, "CalledNumber": number, "VoiceSdkAppid": o.voice_sdk_app_id,
            "PlayTimes": o.play_times,
            "TemplateParamSet": [v for _, v in fill(o.params, params, limit=o.param_max)]}))
        response = call(f"{self.kind} {masked(number)}", lambda: self._client.SendTtsVoice(request))
        call_id = response.SendStatus.CallId if response.SendStatus else ""
        return Answer(code="Ok", request_id=str(response.RequestId or ""),
                      detail=f"call_id={call_id}" if call_id else "")


def client(cls: Any, o: TencentOptions, endpoint: str) -> Any:
    """An SDK client of one Tencent Cloud product (it opens no connection until the first call)."""
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    http = HttpProfile(endpoint=endpoint, protocol=o.protocol, reqTimeout=int(o.timeout))
    cred = credential.Credential(o.secret_id.get_secret_value(), o.secret_key.get_secret_value())
    return cls(cred, o.region, ClientProfile(httpProfile=http))


def call(who: str, send: Any) -> Any:
    """Run one SDK call; raise what a request-level refusal or a transport failure means."""
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    try:
        return send()
    except TencentCloudSDKException as err:
        code, message = str(err.get_code()), str(err.get_message())[:200]
        raise _classify(who, code, message, request_id=str(err.get_request_id() or "")) from None
    except Exception as err:  # transport: connection refused, timeout
        raise NotifyError(f"{who}: {type(err).__name__}: {str(err)[:200]}", retryable=True) from None


def _classify(who: str, code: str, message: str, *, request_id: str = "") -> NotifyError:
    # voice's frequency codes are not all listed: any other LimitExceeded holds for an hour
    hold = _LIMITS.get(code, 3600.0 if code.startswith("LimitExceeded.") else None)
    return classify(who, code, message, codes=_CODES, hold=hold, request_id=request_id)
