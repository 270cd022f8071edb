"""Calendar arithmetic for inspections: local days, ISO weeks and the time zone they live in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open interval ``[start, end)`` of epoch seconds with a name people read."""

    label: str
    start: float
    end: float


def zone(name: str | None) -> tzinfo:
    """The named IANA zone, or this machine's local zone when ``name`` is empty."""
    if not name:
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a known time zone (e.g. Asia/Shanghai)") from None


def day_span(day: date, tz: tzinfo) -> Span:
    """The local calendar day ``day`` (midnight to midnight, DST-safe)."""
    start = datetime.combine(day, time(0), tz).timestamp()
    end = datetime.combine(day + timedelta(days=1), time(0), tz).timestamp()
    return Span(day.isoformat(), start, end)


def parse_day(text: str, now: float, tz: tzinfo) -> date:
    """``YYYY-MM-DD``, ``today`` or ``yesterday`` as a local date."""
    today = datetime.fromtimestamp(now, tz).date()
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--date {text!r}: expected YYYY-MM-DD, today or yesterday") from None


def parse_week(text: str, now: float, tz: tzinfo) -> tuple[int, int]:
    """``2026-W47``, ``last`` (the previous ISO week) or ``this`` as (ISO year, ISO week)."""
    today = datetime.fromtimestamp(now, tz).date()
    if text in ("last", "this"):
        day = today - timedelta(days=7) if text == "last" else today
        year, week, _ = day.isocalendar()
        return year, week
    match = _WEEK.match(text.strip())
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            pass
        else:
            return year, week
    raise ValueError(f"--week {text!r}: expected YYYY-Www (e.g. 2026-W47), last or this")


def week_days(year: int, week: int) -> list[date]:
    """Monday to Sunday of an ISO week."""
    monday = date.fromisocalendar(year, week, 1)
    return [monday + timedelta(days=i) for i in range(7)]


def week_span(year: int, week: int, tz: tzinfo) -> Span:
    """The whole ISO week in local time."""
    days = week_days(year, week)
    return Span(f"{year}-W{week:02d}", day_span(days[0], tz).start, day_span(days[-1], tz).end)


def local(ts: float | None, tz: tzinfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An epoch time as local text; ``—`` for none."""
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, tz).strftime(fmt)
