"""Declared maintenance and change windows: weekly recurring or one-off, matched by labels.

Shared by the alert pipeline (silence during maintenance) and change control (a configuration
change inside a declared window is expected; outside one it breaks 003's change rule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator


def check_zone(value: str) -> str:
    """``value`` if it names an IANA time zone (empty allowed: this machine's zone)."""
    if value:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known time zone (e.g. Asia/Shanghai)") from None
    return value


TimeZone = Annotated[str, AfterValidator(check_zone)]
"""A config field naming an IANA time zone such as Asia/Shanghai."""

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Window(BaseModel):
    """One ``[[maintenance]]`` table.

    Weekly: ``days = ["sat"]``, ``start = "22:00"``, ``end = "02:00"`` (may cross midnight).
    One-off: ``from = "2026-11-28T22:00"``, ``until = "2026-11-29T02:00"``.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, description="Shown in alerts and reports.")
    match: dict[str, str] = Field(default_factory=dict, description="Labels it covers; {} = all.")
    days: list[str] = Field(default_factory=list, description="Weekly: mon … sun.")
    start: dt.time | None = Field(None, description="Weekly: local start time HH:MM.")
    end: dt.time | None = Field(None, description="Weekly: local end time HH:MM.")
    from_: dt.datetime | None = Field(None, alias="from", description="One-off: local start.")
    until: dt.datetime | None = Field(None, description="One-off: local end.")
    timezone: TimeZone = Field("Asia/Shanghai", description="Time zone of the times above.")

    @field_validator("days")
    @classmethod
    def _days(cls, value: list[str]) -> list[str]:
        full = {d: d for d in _DAYS} | {name: name[:3] for name in (
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
        bad = [d for d in value if d.lower() not in full]
        if bad:
            raise ValueError(f"{bad[0]!r} is not one of {', '.join(_DAYS)}")
        return [full[d.lower()] for d in value]

    @model_validator(mode="after")
    def _shape(self) -> Window:
        weekly = bool(self.days) or self.start is not None or self.end is not None
        once = self.from_ is not None or self.until is not None
        if weekly == once:
            raise ValueError("give either days/start/end (weekly) or from/until (one-off)")
        if weekly and (not self.days or self.start is None or self.end is None):
            raise ValueError("a weekly window needs days, start and end")
        if once and (self.from_ is None or self.until is None or self.until <= self.from_):
            raise ValueError("a one-off window needs from < until")
        return self

    def covers(self, labels: Mapping[str, str]) -> bool:
        """Whether the window applies to a series with these labels."""
        return all(labels.get(k) == v for k, v in self.match.items())

    def active(self, now: float) -> bool:
        """Whether ``now`` (epoch seconds) falls inside the window."""
        zone = ZoneInfo(self.timezone)
        local = dt.datetime.fromtimestamp(now, zone)
        if self.from_ is not None and self.until is not None:
            start = self.from_.replace(tzinfo=self.from_.tzinfo or zone)
            end = self.until.replace(tzinfo=self.until.tzinfo or zone)
            return start <= local < end
        assert self.start is not None and self.end is not None
        clock = local.time().replace(tzinfo=None)
        today = _DAYS[local.weekday()]
        yesterday = _DAYS[(local.weekday() - 1) % 7]
        if self.start <= self.end:
            return today in self.days and self.start <= clock < self.end
        # Crosses midnight: the evening part belongs to the listed day, the morning part to the
        # day after it.
        return (today in self.days and clock >= self.start) or (
            yesterday in self.days and clock < self.end
        )


def active_window(windows: list[Window], labels: Mapping[str, str], now: float) -> Window | None:
    """The first window covering ``labels`` that is open at ``now``, if any."""
    for window in windows:
        if window.covers(labels) and window.active(now):
            return window
    return None
