"""Catalog events to readings, with the little state they need (counters, a sliding window).

Time is a parameter: a message's own receipt time drives the window, and ``recent(now)`` is
called by the receiver's stats tick so a brute-force count falls back to 0 when it stops.
Every map here is bounded, so a flood of distinct users or sources cannot grow it for ever.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence

from collectors.syslog.catalog import Event
from collectors.syslog.parse import Message
from monitor.core.model import Reading
from monitor.core.windows import Window, active_window

_KEYS = 10000          # distinct (device, user, source) counters / (device, source) windows kept
_PER_SOURCE = 1000     # timestamps kept per source: a count past this is already brute force
_NOTE = 500            # characters of the message carried as payload


class Tally:
    """Turns events into readings: ``login_failed_total{user,source}`` (counter),
    ``login_failures_recent{source}`` (failures in the last ``window`` seconds),
    ``config_saved{user,in_window,window}`` and ``device_log_cleared``."""

    def __init__(self, *, window: float, windows: Sequence[Window] = ()) -> None:
        self.window = window
        self.windows = list(windows)
        self._failed: OrderedDict[tuple[str, ...], float] = OrderedDict()
        self._recent: OrderedDict[tuple[str, str], tuple[dict[str, str], deque[float]]] = OrderedDict()
        self._told: dict[tuple[str, str], int] = {}

    def readings(self, msg: Message, event: Event, labels: Mapping[str, str]) -> list[Reading]:
        """The readings one event makes (``labels``: the sender's device labels)."""
        now = msg.received
        note = {"message": msg.text[:_NOTE]}
        if event.command:
            note["command"] = event.command[:_NOTE]
        if event.event == "login_failed":
            return self._login_failed(event, labels, now, note)
        if event.event == "config_saved":
            window = active_window(self.windows, labels, now)
            name = window.name if window else ""
            tags = {**labels, "user": event.user or "?", "in_window": "1" if window else "0", "window": name}
            return [Reading("config_saved", 1.0, tags, now, note)]
        if event.event == "log_cleared":
            note["user"] = event.user or "?"
            return [Reading("device_log_cleared", 1.0, dict(labels), now, note)]
        return []

    def recent(self, now: float) -> list[Reading]:
        """``login_failures_recent`` of every source whose count changed since last told
        (so a source that stopped falls back to 0 and its brute-force alert resolves)."""
        out: list[Reading] = []
        for key, (labels, stamps) in list(self._recent.items()):
            count = self._count(stamps, now)
            if self._told.get(key) != count:
                self._told[key] = count
                out.append(Reading("login_failures_recent", float(count), dict(labels), now))
            if not count:
                del self._recent[key]
                self._told.pop(key, None)
        return out

    def _login_failed(self, event: Event, labels: Mapping[str, str], now: float,
                      note: dict[str, str]) -> list[Reading]:
        device = labels.get("device", "")
        source = event.source or "?"
        key = (device, event.user, source)
        total = self._failed.pop(key, 0.0) + 1.0
        self._failed[key] = total
        if len(self._failed) > _KEYS:
            self._failed.popitem(last=False)
        tags = {**labels, "user": event.user or "?", "source": source}
        out = [Reading("login_failed_total", total, tags, now, note)]
        wkey = (device, source)
        entry = self._recent.pop(wkey, None)
        if entry is None:
            entry = ({**labels, "source": source}, deque(maxlen=_PER_SOURCE))
        self._recent[wkey] = entry
        if len(self._recent) > _KEYS:
            old, _ = self._recent.popitem(last=False)
            self._told.pop(old, None)
        entry[1].append(now)
        count = self._count(entry[1], now)
        self._told[wkey] = count
        out.append(Reading("login_failures_recent", float(count), dict(entry[0]), now, note))
        return out

    def _count(self, stamps: deque[float], now: float) -> int:
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        return len(stamps)
