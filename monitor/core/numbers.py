"""Numbers as people read them: plain decimals, never ``4.92446e+06``, and as many digits as
it takes not to round a value onto the threshold it broke."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

_FIXED = re.compile(r"\.(\d+)f")
MOST_DIGITS = 6


def plain(value: float) -> str:
    """``4924460``, ``28.04``, ``0.5``, ``-3``: up to 4 decimals, no exponent; tiny values keep
    3 significant digits (``0.000123``); inf and nan as Python names them."""
    if not math.isfinite(value):
        return str(value)
    if value != 0 and abs(value) < 0.001:
        return f"{value:.3g}" if abs(value) < 1e-12 else f"{value:.{2 - math.floor(math.log10(abs(value)))}f}"
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


class Shown(float):
    """A value for a message template: ``{value:.1f}`` gives more digits when the rounded text
    would land on one of ``bounds`` the value is not equal to (28.04 → "28.04", not "28.0",
    beside "outside 18–28"); any other format is a float's."""

    bounds: tuple[float, ...]

    def __new__(cls, value: float, bounds: Iterable[float] = ()) -> Shown:
        shown = super().__new__(cls, value)
        shown.bounds = tuple(b for b in bounds if math.isfinite(b))
        return shown

    def __format__(self, spec: str) -> str:
        text = float.__format__(self, spec)
        fixed = _FIXED.fullmatch(spec)
        if not fixed:
            return text
        digits = int(fixed.group(1))
        while digits < MOST_DIGITS and any(float(text) == b != float(self) for b in self.bounds):
            digits += 1
            text = float.__format__(self, f".{digits}f")
        return text
