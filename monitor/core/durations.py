"""Parse human durations such as ``90s``, ``5m``, ``2h``, ``7d`` or ``1h30m`` into seconds."""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
# Nothing roomwatch waits for or keeps is longer; the bound refuses inf, nan and 1e308, which
# overflow sleeps and timestamps far from the config that caused them.
LONGEST = 100 * 366 * 86400.0


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``value``; a bare number is seconds. Raises ValueError with the bad text."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        return _bounded(value, value)
    text = value.strip().replace(" ", "")
    if not text:
        raise ValueError("empty duration")
    try:
        seconds = float(text)
    except ValueError:
        pos, seconds = 0, 0.0
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNIT[match.group(2)]
            pos = match.end()
        if pos != len(text):
            raise ValueError(f"{value!r} is not a duration like 30s, 5m, 2h, 1d") from None
    return _bounded(seconds, value)


def parse_typed_duration(text: str) -> float:
    """Seconds in a duration a person typed on a command line, which must carry its unit: a bare
    ``2`` after ``--for`` is refused (2 seconds or 2 hours? config files keep bare seconds)."""
    try:
        float(text.strip())
    except ValueError:
        return parse_duration(text)
    raise ValueError(f"{text!r} has no unit: write e.g. {text.strip()}s, {text.strip()}m or {text.strip()}h")


def _bounded(seconds: float, value: object) -> float:
    try:
        seconds = float(seconds)
    except OverflowError:
        seconds = math.inf
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
    if math.isnan(seconds):
        raise ValueError(f"{shown} is not a number")
    if seconds < 0:
        raise ValueError(f"{shown} is negative")
    if seconds > LONGEST:
        raise ValueError(f"{shown} is longer than 100 years; give a finite duration like 5m or 30d")
    return seconds


def format_duration(seconds: float) -> str:
    """A short human form: ``45s``, ``5m``, ``2h30m``, ``3d``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts)


def _seconds(value: object) -> object:
    # Only text and numbers are durations; anything else goes on to pydantic's own type error.
    return parse_duration(value) if isinstance(value, str | int | float) else value


Duration = Annotated[float, BeforeValidator(_seconds)]
"""A config field in seconds that also takes ``"90s"``, ``"5m"``, ``"1h30m"``…"""
