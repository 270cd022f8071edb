"""Receiver configs for the SMS kinds pointed at the local fake providers."""

from __future__ import annotations

from typing import Any

from alerts.channels import from_settings
from alerts.config import NotifySettings
from alerts.notifiers.apprise import AppriseNotifier


def aliyun_receiver(endpoint: str, **over: Any) -> dict[str, Any]:
    """An ``aliyun_sms`` receiver whose SDK talks to ``endpoint`` over plain HTTP."""
    options = {"access_key_id": "env:ALIYUN_AK_ID", "access_key_secret": "env:ALIYUN_AK_SECRET",
               "sign_name": "信息中心", "template_code": "SMS_123456789", "endpoint": endpoint,
               "protocol": "http", "timeout": 5, **over.pop("options", {})}
    return {"name": "duty-sms", "kind": "aliyun_sms", "numbers": ["13800000000"], "format": "sms",
            "aliyun_sms": options, **over}


def tencent_receiver(endpoint: str, **over: Any) -> dict[str, Any]:
    """A ``tencent_sms`` receiver whose SDK talks to ``endpoint`` over plain HTTP."""
    options = {"secret_id": "env:TENCENT_SECRET_ID", "secret_key": "env:TENCENT_SECRET_KEY",
               "sdk_app_id": "1400006666", "sign_name": "信息中心", "template_id": "1234567",
               "endpoint": endpoint, "protocol": "http", "timeout": 5, **over.pop("options", {})}
    return {"name": "duty-sms", "kind": "tencent_sms", "numbers": ["+86 139 0000 0002"],
            "format": "sms", "tencent_sms": options, **over}


def notifier(*receivers: dict[str, Any]) -> AppriseNotifier:
    """The notifier the daemon would build from these receivers."""
    return from_settings(NotifySettings.model_validate({"receivers": list(receivers)}))


PARAMS = {"device": "机房A-精密空调-1号", "what": "机房温度超过阈值", "value": "31.5",
          "clause": "《信息中心机房管理制度》四、环境管理制度 第5条 机房温度应保持在规定范围内不得超过上限值",
          "more": ""}
