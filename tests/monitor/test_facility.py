"""Working hours stamped on door readings: in_hours = 1 inside a declared window, 0 outside."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

from monitor.core.model import Reading
from monitor.core.windows import Window
from monitor.facility import HoursStamp


class Fixed:
    """A collector that reports what it was given."""

    def __init__(self, readings: list[Reading]) -> None:
        self.readings = readings
        self.closed = False

    async def collect(self, now: float) -> list[Reading]:
        return [Reading(r.metric, r.value, dict(r.labels), now) for r in self.readings]

    async def close(self) -> None:
        self.closed = True


def at(day: int, hour: int) -> float:
    return dt.datetime(2026, 12, day, hour, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


def test_doors_carry_the_hour_they_were_read_in_and_other_readings_pass() -> None:
    weekdays = Window.model_validate({"name": "工作日", "days": ["mon", "tue", "wed", "thu", "fri"],
                                      "start": "08:00", "end": "18:00", "match": {"room": "一号机房"}})
    inner = Fixed([Reading("door_open", 1.0, {"door": "正门"}, 0.0),
                   Reading("water_leak", 0.0, {"zone": "北"}, 0.0)])
    stamp = HoursStamp(inner, [weekdays], {"device": "dh", "room": "一号机房"})
    other_room = HoursStamp(inner, [weekdays], {"device": "dh2", "room": "二号机房"})
    rows = [  # (when, collector, in_hours of the door reading)
        (at(3, 10), stamp, "1"),       # Thursday 10:00
        (at(3, 19), stamp, "0"),       # Thursday 19:00
        (at(5, 10), stamp, "0"),       # Saturday
        (at(3, 10), other_room, "0"),  # the window covers room 一号机房 only
    ]
    for now, collector, expected in rows:
        got = asyncio.run(collector.collect(now))
        assert got[0].labels == {"door": "正门", "in_hours": expected}
        assert got[1].labels == {"zone": "北"}
    asyncio.run(stamp.close())
    assert inner.closed
