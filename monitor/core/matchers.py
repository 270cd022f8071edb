"""Label matchers, one syntax everywhere (rules, routes, inhibitions, silences, escalations):
``name=value``, ``name!=value``, ``name=~regex``, ``name!~regex``, as Alertmanager writes them.

A ``{ label = "value" }`` table is equality. The rule files' older table form (``"~re"``,
``"!x"``, ``"!~re"``, ``"=x"`` literal) is still read by ``from_table``; the loader warns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_FORM = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label condition; regexes are anchored at both ends, as in Alertmanager. A missing
    label is the empty string."""

    name: str
    op: str
    value: str
    regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.op in ("=~", "!~") and self.regex is None:
            object.__setattr__(self, "regex", re.compile(self.value))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this condition."""
        have = labels.get(self.name, "")
        if self.regex is None:
            return (have == self.value) is (self.op == "=")
        return (self.regex.fullmatch(have) is not None) is (self.op == "=~")

    __call__ = matches

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


def from_table(label: str, text: str) -> Matcher:
    """One ``{ label = "text" }`` entry: equality, or the rule files' older form (``~re`` regex,
    a leading ``!`` negates, a leading ``=`` takes the rest literally). ``re.error`` for a bad
    regular expression."""
    negate = text.startswith("!")
    body = text[1:] if negate else text
    if body.startswith("~"):
        return Matcher(label, "!~" if negate else "=~", body[1:])
    return Matcher(label, "!=" if negate else "=", body.removeprefix("="))


def is_old_form(text: str) -> bool:
    """Whether a table value uses the older prefixed form (``~``, ``!`` or ``=``)."""
    return text.startswith(("~", "!", "="))


def all_match(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher holds (no matchers: always)."""
    for m in matchers:  # noqa: SIM110 -- a plain loop: every new series runs this for every rule
        if not m.matches(labels):
            return False
    return True
