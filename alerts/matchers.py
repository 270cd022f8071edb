"""Label matchers as Alertmanager writes them: ``name=value``, ``!=``, ``=~`` (regex), ``!~``.

An alert's labels are matched together with ``alertname`` (its rule) and ``severity``, so a
route can say ``severity=critical`` and a silence ``alertname=device_down``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from monitor.core.model import Alert

_FORM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label condition; regexes are anchored at both ends, as in Alertmanager."""

    name: str
    op: str
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this condition (a missing label is the empty string)."""
        have = labels.get(self.name, "")
        if self.op == "=":
            return have == self.value
        if self.op == "!=":
            return have != self.value
        found = re.fullmatch(self.value, have) is not None
        return found if self.op == "=~" else not found

    def __str__(self) -> str:
        return f"{self.name}{self.op}{self.value}"


def parse_matcher(text: str) -> Matcher:
    """``device=core-sw-1`` → Matcher; ValueError names the text when it is not one."""
    found = _FORM.match(text)
    if not found:
        raise ValueError(f"{text!r} is not a matcher like device=core-sw-1 or severity=~warn.*")
    name, op, value = found.groups()
    value = value.strip('"')
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"{text!r}: bad regular expression: {err}") from None
    return Matcher(name, op, value)


def parse_matchers(texts: Iterable[str]) -> tuple[Matcher, ...]:
    """Several matchers; the first bad one raises."""
    return tuple(parse_matcher(t) for t in texts)


def from_dict(equal: Mapping[str, str]) -> tuple[Matcher, ...]:
    """``{device = "x"}`` tables as equality matchers."""
    return tuple(Matcher(k, "=", v) for k, v in sorted(equal.items()))


def all_match(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher holds (no matchers: always)."""
    return all(m.matches(labels) for m in matchers)


def alert_labels(alert: Alert) -> dict[str, str]:
    """The labels matchers see: the alert's own plus ``alertname`` and ``severity``."""
    return {**alert.labels, "alertname": alert.rule, "severity": alert.severity.value}
