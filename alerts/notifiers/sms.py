"""What every SMS receiver kind shares: phone numbers, template parameters, answers and limits.

A cloud provider's per-number flow control is not a failure to retry blindly: it raises
:class:`Limited`, which delivery turns into a wait, a digest and the receiver's fallback. A
refusal that only a person can fix (unapproved template or sign) raises :class:`Misconfigured`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from monitor.core.errors import NotifyError
from monitor.core.model import Alert, AlertState

_CN_MOBILE = re.compile(r"1[3-9]\d{9}")

FIELDS = ("device", "rule", "what", "value", "threshold", "severity", "since", "clause", "place",
          "state", "count", "more", "kind", "level")
"""Alert fields an SMS template parameter may take (``more`` is the digest's 另有 N 条告警)."""


def normalize_phone(text: str) -> str:
    """``+8613800000000`` from any common way of writing a mainland mobile number.

    Accepts ``13800000000``, ``8613800000000``, ``+86 138 0000 0000``, ``+86-138-0000-0000`` and
    ``0086…``; raises ValueError naming the text otherwise (the number is not a secret).
    """
    digits = re.sub(r"[\s\-()]", "", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
            break
    if not _CN_MOBILE.fullmatch(digits):
        raise ValueError(f"{text!r} is not a mainland China mobile number (+86 1[3-9]xxxxxxxxx)")
    return "+86" + digits


def is_phone(text: str) -> bool:
    """Whether ``text`` is a mobile number (else, in ``numbers``, it names a person on the rota)."""
    try:
        normalize_phone(text)
    except ValueError:
        return False
    return True


def masked(number: str) -> str:
    """A number as logs and test-notify show it: ``+86138****0000``."""
    return number[:-8] + "****" + number[-4:] if len(number) > 8 else number


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """What a provider (or the local daemon) said to one send: shown by test-notify and logs."""

    code: str
    request_id: str = ""
    detail: str = ""

    def __str__(self) -> str:
        parts = [f"code={self.code}"]
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        if self.detail:
            parts.append(self.detail)
        return " ".join(parts)


class Limited(NotifyError):
    """The provider's flow control refused this number for now: wait ``retry_after`` seconds,
    then send what waited as one digest; meanwhile the receiver's fallback is told."""

    def __init__(self, message: str, *, code: str, retry_after: float) -> None:
        super().__init__(message, retryable=True)
        self.code = code
        self.retry_after = retry_after


class Misconfigured(NotifyError):
    """A refusal only a person can fix (template, sign, app id, balance): said once, not retried."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, retryable=False)
        self.code = code


@dataclass(frozen=True, slots=True, kw_only=True)
class Codes:
    """How one provider's answer codes map onto decisions (code prefixes)."""

    retry: tuple[str, ...]
    """Transient: retried with backoff (gateway errors, API-wide throttling)."""
    config: tuple[str, ...]
    """Only a person can fix these: template, sign, credentials, balance."""
    hints: Mapping[str, str]
    """What to check, per code, appended to the configuration error."""


def classify(who: str, code: str, message: str, *, codes: Codes, hold: float | None,
             request_id: str = "") -> NotifyError:
    """The error one refusal becomes: a hold of ``hold`` seconds (flow control), a retry, or a
    configuration error naming the code. ``who`` names the channel, never a credential."""
    said = f"{who}: {code}: {message}" + (f" (request_id={request_id})" if request_id else "")
    if hold is not None:
        return Limited(said, code=code, retry_after=hold)
    if code.startswith(codes.retry):
        return NotifyError(said, retryable=True)
    if code.startswith(codes.config):
        return Misconfigured(said + codes.hints.get(code, ""), code=code)
    return NotifyError(said, retryable=True)


class Sender(Protocol):
    """One configured SMS kind: sends one text (or one template with parameters) to one number."""

    kind: str

    def send(self, number: str, text: str, params: Mapping[str, str]) -> Answer:
        """Deliver, returning the provider's answer; raise NotifyError (or a subclass) if refused."""
        ...


def params_of(firing: Sequence[Alert], resolved: Sequence[Alert] = (), *, kind: str = "alert",
              extra: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The values SMS template parameters are mapped from: the message's first alert (the same
    values the text templates see) and a count."""
    # imported here: config loading (roomwatch check, config validate) need not load Jinja2
    from alerts.render import fields

    alerts = [*firing, *resolved]
    out = {name: "" for name in FIELDS}
    if alerts:
        view = fields(alerts[0])
        out.update({k: str(view.get(k, "")) for k in FIELDS if k in view})
        out["since"] = str(view["since_short"] if firing else view["resolved_short"])
    out["state"] = "告警" if firing else ("恢复" if resolved else "测试")
    out["count"] = str(len(alerts))
    out["kind"] = kind
    out.update({k: str(v) for k, v in (extra or {}).items() if k in FIELDS and v is not None})
    return out


def fill(mapping: Mapping[str, str] | Sequence[str], params: Mapping[str, str], *,
         limit: int) -> list[tuple[str, str]]:
    """Template variables with their values, each cut to ``limit`` characters (the provider's
    per-parameter length); an empty value becomes ``-`` since providers refuse empty ones."""
    pairs = mapping.items() if isinstance(mapping, Mapping) else ((str(i + 1), f) for i, f in
                                                                   enumerate(mapping))
    out = []
    for name, field in pairs:
        value = " ".join(str(params.get(field, "")).split()) or "-"
        out.append((name, value if len(value) <= limit else value[: limit - 1] + "…"))
    return out


def digest_suffix(rest: Sequence[AlertState], lang: str | None) -> str:
    """``另有 N 条告警`` (with how many of them are resolves) for messages folded into one."""
    resolves = sum(1 for s in rest if s is AlertState.RESOLVED)
    if lang == "en":
        return f"+{len(rest)} more" + (f" ({resolves} resolved)" if resolves else "")
    return f"另有{len(rest)}条告警" + (f"(其中{resolves}条已恢复)" if resolves else "")


def check_fields(mapping: Mapping[str, str] | Sequence[str]) -> Mapping[str, str] | Sequence[str]:
    """Reject a template parameter mapped from a field that does not exist."""
    fields = mapping.values() if isinstance(mapping, Mapping) else mapping
    bad = [f for f in fields if f not in FIELDS]
    if bad:
        raise ValueError(f"unknown field {bad[0]!r}; one of {', '.join(FIELDS)}")
    return mapping
