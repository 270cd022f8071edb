"""Who changed it: a device's ``config_saved{user}`` (syslog) joined to its ``config_changed``.

The SSH poller sees *what* changed (a diff) at its next backup; the device's own syslog said
*who* saved it, usually minutes before. ``SavedBy.annotate`` passes readings through and joins
them both ways: a save remembered per device puts its user into the payload of that device's
next change (``user``, ``saved_by``, and a first line of the diff the alert carries); a change
that came first waits ``after`` seconds for its save, and when the save arrives the change is
given again with the user (same series and time: stores that keep payloads replace it, the
rules see the same value). One save names one change. Time comes with the readings; nothing
here reads the clock.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TypeVar

from monitor.core.model import Reading

_DEVICES = 10000
T = TypeVar("T")


class SavedBy:
    """Remembers each device's latest save for ``lookback`` seconds and its latest change not yet
    named for ``after`` seconds (a save that arrives later than that names nothing past)."""

    def __init__(self, lookback: float = 24 * 3600.0, after: float = 600.0) -> None:
        self.lookback = lookback
        self.after = after
        self._saved: dict[str, tuple[float, str]] = {}
        self._changed: dict[str, Reading] = {}

    def annotate(self, readings: Sequence[Reading]) -> list[Reading]:
        """``readings`` with the saver added to each ``config_changed`` that follows a save,
        plus, after a save, the earlier unnamed change it explains, named."""
        out: list[Reading] = []
        for r in readings:
            device = r.labels.get("device", "")
            if r.metric == "config_saved" and r.value > 0 and device:
                out.append(r)
                user = r.labels.get("user", "?")
                change = self._changed.pop(device, None)
                if change is not None and abs(r.ts - change.ts) <= self.after:
                    out.append(_named(change, user, r.ts))
                    continue
                _bounded(self._saved, device)
                self._saved[device] = (r.ts, user)
            elif r.metric == "config_changed" and r.value > 0 and device:
                saved = self._saved.get(device)
                if saved is not None and 0 <= r.ts - saved[0] <= self.lookback:
                    del self._saved[device]
                    out.append(_named(r, saved[1], saved[0]))
                    continue
                _bounded(self._changed, device)
                self._changed[device] = r
                out.append(r)
            else:
                out.append(r)
        return out


def _named(change: Reading, user: str, saved_at: float) -> Reading:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(saved_at))
    saved_by = f"{user} (syslog, {when})"
    notes = {**change.annotations, "user": user, "saved_by": saved_by}
    if "diff" in notes:
        notes["diff"] = f"保存者 / saved by: {saved_by}\n" + notes["diff"]
    return replace(change, annotations=notes)


def _bounded(seen: dict[str, T], device: str) -> None:
    if len(seen) >= _DEVICES and device not in seen:
        seen.clear()
