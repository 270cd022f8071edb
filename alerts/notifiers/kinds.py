"""The phone receiver kinds (SMS and voice), one line each: kind → the class that sends for it."""

from __future__ import annotations

import importlib
from typing import Any

from alerts.notifiers.sms import Sender

KINDS = {
    "aliyun_sms": "alerts.notifiers.aliyun:AliyunSms",
    "tencent_sms": "alerts.notifiers.tencent:TencentSms",
    "gammu": "alerts.notifiers.gammu:GammuSms",
    "smstools": "alerts.notifiers.smstools:Smstools",
    "aliyun_voice": "alerts.notifiers.aliyun:AliyunVoice",
    "tencent_voice": "alerts.notifiers.tencent:TencentVoice",
}

SAMPLES = {
    "aliyun_sms": "alerts.notifiers.aliyun:SAMPLE",
    "tencent_sms": "alerts.notifiers.tencent:SAMPLE",
    "gammu": "alerts.notifiers.gammu:SAMPLE",
    "smstools": "alerts.notifiers.smstools:SAMPLE",
    "aliyun_voice": "alerts.notifiers.aliyun:VOICE_SAMPLE",
    "tencent_voice": "alerts.notifiers.tencent:VOICE_SAMPLE",
}
"""Where each kind's documented TOML snippet is."""


def _load(path: str) -> Any:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def build(kind: str, options: Any) -> Sender:
    """The sender of one receiver; raises ValueError when its options cannot work here."""
    sender: Sender = _load(KINDS[kind])(options)
    return sender


def sample(kind: str) -> str:
    """The documented TOML snippet of one kind."""
    return str(_load(SAMPLES[kind]))


def commented() -> str:
    """Every kind's sample, commented out, for ``roomwatch config sample`` (each needs credentials
    or a local daemon, so none can be active in a sample that must load as it is)."""
    lines = ["# SMS and voice receivers (kind = aliyun_sms | tencent_sms | gammu | smstools | aliyun_voice |",
             "# tencent_voice; apprise is the default). Each needs its table; numbers are +86 mobiles or",
             "# names of [notify.oncall] people, and [notify.oncall] sms = NAME texts whoever is on call.",
             "# `roomwatch test-notify NAME` prints the provider's answer. Voice receivers are meant as",
             "# [[notify.escalations]] levels for critical alerts."]
    for kind in KINDS:
        lines.append("#")
        lines += [f"# {line}" if line else "#" for line in sample(kind).splitlines()]
    return "\n".join(lines) + "\n"
