"""Reading the values of a rule or override table: each helper checks one key and appends a
located problem (``where.key: what is wrong``) instead of raising, so a file's every mistake
is reported at once."""

from __future__ import annotations

import difflib
import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from monitor.core.durations import parse_duration
from monitor.core.matchers import Matcher, from_table, is_old_form, parse_matcher
from monitor.core.model import Severity
from rules.rule import Condition, Op, number

BOUNDS = ("above", "below", "outside")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

log = logging.getLogger(__name__)


def unknown(table: Mapping[str, Any], known: Sequence[str], at: str, problems: list[str]) -> None:
    for key in table:
        if key not in known:
            problems.append(f"{at}.{key}: unknown key{guess(str(key), known)}")


def guess(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else " (a typo?)"


def text(table: Mapping[str, Any], key: str, at: str, problems: list[str]) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{at}.{key}: expected a string, got {value!r}")
        return None
    return value


def real(value: Any, at: str, problems: list[str]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(f"{at}: expected a number, got {value!r}")
        return None
    return float(value)


def match_table(value: Any, at: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(value, Mapping):
        problems.append(f'{at}: expected a table such as {{ kind = "sensor" }}, got {value!r}')
        return {}
    out: dict[str, str] = {}
    for label, text in value.items():
        if not _LABEL.fullmatch(label):
            problems.append(f"{at}.{label}: not a label name")
        elif isinstance(text, int) and not isinstance(text, bool):
            out[label] = str(text)  # ``level = 1``: labels are strings, the intent is clear
        elif not isinstance(text, str):
            problems.append(f"{at}.{label}: expected a string, got {text!r}")
        else:
            try:
                matcher = from_table(label, text)
            except re.error as err:
                problems.append(f"{at}.{label}: bad regular expression {text!r}: {err}")
                continue
            if is_old_form(text):
                log.warning("%s.%s: %r is the old matcher form; write matchers = [%r] "
                            "(the old form still works)", at, label, text, str(matcher))
            out[label] = text
    return out


def matcher_list(value: Any, at: str, problems: list[str]) -> tuple[Matcher, ...]:
    """``matchers = ["kind!=sensor", "ifname=~Gi.*"]``: the routes' syntax, in rules too."""
    if not isinstance(value, list) or not all(isinstance(text, str) for text in value):
        problems.append(f'{at}: expected a list such as ["kind!=sensor"], got {value!r}')
        return ()
    out = []
    for i, text in enumerate(value):
        try:
            out.append(parse_matcher(text))
        except ValueError as err:
            problems.append(f"{at}[{i}]: {err}")
    return tuple(out)


def condition(table: Mapping[str, Any], at: str, problems: list[str], *,
            required: bool) -> Condition | None:
    given = [k for k in BOUNDS if k in table]
    if len(given) > 1:
        problems.append(f"{at}: {' and '.join(given)} both given; use exactly one "
                        f"(outside = [low, high] for a range)")
        return None
    if not given:
        if required:
            problems.append(f"{at}: needs one of above, below, outside")
        return None
    key = given[0]
    value = table[key]
    if key != "outside":
        x = real(value, f"{at}.{key}", problems)
        if x is None:
            return None
        return Condition.above(x) if key == "above" else Condition.below(x)
    if not isinstance(value, list) or len(value) != 2:
        problems.append(f"{at}.outside: expected [low, high], got {value!r}")
        return None
    lo, hi = (real(v, f"{at}.outside", problems) for v in value)
    if lo is None or hi is None:
        return None
    if lo > hi:
        problems.append(f"{at}.outside: low {number(lo)} is above high {number(hi)}")
        return None
    return Condition.outside(lo, hi)


def hysteresis_of(table: Mapping[str, Any], at: str, problems: list[str]) -> float | None:
    if "hysteresis" not in table:
        return None
    h = real(table["hysteresis"], f"{at}.hysteresis", problems)
    if h is not None and h < 0:
        problems.append(f"{at}.hysteresis: {number(h)} is negative")
        return None
    return h


def check_hysteresis(bounds: Condition, h: float, at: str, problems: list[str]) -> None:
    if bounds.op is Op.OUTSIDE and 2 * h > bounds.hi - bounds.lo:
        problems.append(f"{at}: {number(h)} leaves no recovery range inside {bounds.threshold} "
                        f"(at most {number((bounds.hi - bounds.lo) / 2)})")


def for_seconds(table: Mapping[str, Any], at: str, problems: list[str]) -> float | None:
    if "for" not in table:
        return None
    value = table["for"]
    if not isinstance(value, str | int | float):
        problems.append(f'{at}.for: expected a duration such as "5m", got {value!r}')
        return None
    try:
        return parse_duration(value)
    except ValueError as err:
        problems.append(f"{at}.for: {err}")
        return None


def severity_of(table: Mapping[str, Any], at: str, problems: list[str]) -> Severity | None:
    if "severity" not in table:
        return None
    value = table["severity"]
    try:
        return Severity(value)
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        problems.append(f"{at}.severity: {value!r} is not one of {names}")
        return None
