"""Tencent Cloud SMS (腾讯云短信, SendSms 2021-01-11) through Tencent's own Python SDK.

The template's variables are positional ({1}, {2}…), mapped from alert fields in order and cut
to ``param_max`` characters. Per-number frequency limits (``LimitExceeded.PhoneNumber…``) become
:class:`~alerts.notifiers.sms.Limited`; unapproved template or sign become ``Misconfigured``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from alerts.notifiers.sms import Answer, Codes, check_fields, classify, fill, masked
from monitor.durations import Duration
from monitor.errors import NotifyError
from monitor.secrets import Secret

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


class TencentSmsOptions(BaseModel):
    """``[notify.receivers.tencent_sms]``: credentials, SDK app, sign, template and parameters."""

    model_config = ConfigDict(extra="forbid")

    secret_id: Secret = Field(description="SecretId (env:/file: secrets allowed).")
    secret_key: Secret = Field(description="SecretKey (env:/file: secrets allowed).")
    sdk_app_id: str = Field(min_length=1, description="The SMS SdkAppId (14000…).")
    sign_name: str = Field(min_length=1, description="The approved SMS sign (签名).")
    template_id: str = Field(min_length=1, description="The approved template's id.")
    params: list[str] = Field(default_factory=lambda: ["device", "what", "value", "clause"],
                              description="Alert fields for the template's {1}, {2}… in order.")
    param_max: int = Field(12, ge=1, description="Characters per variable (raise if your account allows).")
    region: str = Field("ap-guangzhou", description="API region.")
    endpoint: str = Field("sms.tencentcloudapi.com", description="API host[:port].")
    protocol: Literal["https", "http"] = Field("https", description="http only for a local test server.")
    timeout: Duration = Field(10.0, gt=0, description="Request timeout.")

    _fields = field_validator("params")(check_fields)

    def secret_values(self) -> list[str]:
        """The credentials, for the log redaction filter."""
        return [self.secret_id.get_secret_value(), self.secret_key.get_secret_value()]


class TencentSms:
    """Sends one template message per number through SendSms."""

    kind = "tencent_sms"

    def __init__(self, options: TencentSmsOptions) -> None:
        self.options = options
        self._client: Any = None  # built on first send: constructing opens nothing

    def _sdk(self) -> Any:
        if self._client is None:
            from tencentcloud.common import credential
            from tencentcloud.common.profile.client_profile import ClientProfile
            from tencentcloud.common.profile.http_profile import HttpProfile
            from tencentcloud.sms.v20210111 import sms_client

            o = self.options
            http = HttpProfile(endpoint=o.endpoint, protocol=o.protocol, reqTimeout=int(o.timeout))
            cred = credential.Credential(o.secret_id.get_secret_value(), o.secret_key.get_secret_value())
            self._client = sms_client.SmsClient(cred, o.region, ClientProfile(httpProfile=http))
        return self._client

    def send(self, number: str, text: str, params: Mapping[str, str]) -> Answer:
        """Send the template to one number; classify Tencent's answer for it."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        o = self.options
        request = models.SendSmsRequest()
        request.from_json_string(json.dumps({
            "PhoneNumberSet": [number], "SmsSdkAppId": o.sdk_app_id, "SignName": o.sign_name,
            "TemplateId": o.template_id,
            "TemplateParamSet": [v for _, v in fill(o.params, params, limit=o.param_max)]}))
        who = f"tencent_sms {masked(number)}"
        try:
            response = self._sdk().SendSms(request)
        except TencentCloudSDKException as err:
            code, message = str(err.get_code()), str(err.get_message())[:200]
            raise _classify(who, code, message, request_id=str(err.get_request_id() or "")) from None
        except Exception as err:  # transport: connection refused, timeout
            raise NotifyError(f"{who}: {type(err).__name__}: {str(err)[:200]}", retryable=True) from None
        status = response.SendStatusSet[0] if response.SendStatusSet else None
        if status is None:
            raise NotifyError(f"{who}: answer without a send status", retryable=True)
        answer = Answer(code=str(status.Code), request_id=str(response.RequestId or ""),
                        detail=f"serial_no={status.SerialNo}" if status.SerialNo else "")
        if status.Code != "Ok":
            raise _classify(who, str(status.Code), str(status.Message or ""),
                            request_id=answer.request_id)
        return answer


def _classify(who: str, code: str, message: str, *, request_id: str = "") -> NotifyError:
    return classify(who, code, message, codes=_CODES, hold=_LIMITS.get(code), request_id=request_id)
