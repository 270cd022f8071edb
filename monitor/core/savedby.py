"""Who changed it: a device's ``config_saved{user}`` (syslog) joined to its next ``config_changed``.

The SSH poller sees *what* changed (a diff) at its next backup; the device's own syslog said
*who* saved it, usually minutes before. ``SavedBy.annotate`` passes readings through, remembers
the latest save per device, and puts its user into the payload of that device's next change
(``user``, ``saved_by``, and a first line of the diff the alert carries). Time comes with the
readings; nothing here reads the clock.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from monitor.core.model import Reading

_DEVICES = 10000


class SavedBy:
    """Remembers each device's latest save for ``lookback`` seconds; one save names one change."""

    def __init__(self, lookback: float = 24 * 3600.0) -> None:
        self.lookback = lookback
        self._saved: dict[str, tuple[float, str]] = {}

    def annotate(self, readings: Sequence[Reading]) -> list[Reading]:
        """``readings``, with the saver added to each ``config_changed`` that follows a save."""
        out = list(readings)
        for i, r in enumerate(out):
            device = r.labels.get("device", "")
            if r.metric == "config_saved" and r.value > 0 and device:
                if len(self._saved) >= _DEVICES and device not in self._saved:
                    self._saved.clear()
                self._saved[device] = (r.ts, r.labels.get("user", "?"))
            elif r.metric == "config_changed" and r.value > 0 and device in self._saved:
                at, user = self._saved[device]
                if not 0 <= r.ts - at <= self.lookback:
                    continue
                del self._saved[device]
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))
                saved_by = f"{user} (syslog, {when})"
                notes = {**r.annotations, "user": user, "saved_by": saved_by}
                if "diff" in notes:
                    notes["diff"] = f"保存者 / saved by: {saved_by}\n" + notes["diff"]
                out[i] = replace(r, annotations=notes)
        return out
