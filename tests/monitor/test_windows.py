"""Maintenance windows: weekly (also across midnight) and one-off, in the site's time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from monitor.core.windows import Window, active_window

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH).timestamp()


WEEKLY = Window(name="w", days=["sat"], start=dt.time(22), end=dt.time(2), match={"room": "A"})


@pytest.mark.parametrize(("when", "expected"), [
    ("2026-11-28 21:59", False),  # Saturday before
    ("2026-11-28 22:00", True),
    ("2026-11-29 01:59", True),   # Sunday morning belongs to Saturday's window
    ("2026-11-29 02:00", False),
    ("2026-11-29 22:30", False),  # Sunday evening is not listed
])
def test_weekly_window_across_midnight(when: str, expected: bool) -> None:
    assert WEEKLY.active(at(when)) is expected


def test_one_off_and_matching() -> None:
    once = Window.model_validate({"name": "cut", "from": "2026-11-28T22:00",
                                  "until": "2026-11-29T04:00", "match": {"device": "core"}})
    assert once.active(at("2026-11-29 03:59")) and not once.active(at("2026-11-29 04:00"))
    assert active_window([WEEKLY, once], {"device": "core"}, at("2026-11-29 03:00")) is once
    assert active_window([WEEKLY, once], {"device": "x", "room": "A"}, at("2026-11-29 03:00")) is None


def test_bad_windows_are_refused() -> None:
    with pytest.raises(ValidationError, match="either days/start/end"):
        Window(name="x")
    with pytest.raises(ValidationError, match="'sunday-ish' is not one of"):
        Window(name="x", days=["sunday-ish"], start=dt.time(1), end=dt.time(2))
    with pytest.raises(ValidationError, match="from < until"):
        Window.model_validate({"name": "x", "from": "2026-01-02T00:00", "until": "2026-01-01T00:00"})
