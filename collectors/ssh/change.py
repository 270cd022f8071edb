"""Change control: save a fetched configuration as a new version when it differs, and say
whether the change fell inside a declared maintenance window (003 forbids unrecorded changes)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from collectors.ssh import configs
from collectors.ssh.history import ConfigHistory, Version
from monitor.core.model import Reading
from monitor.core.windows import Window, active_window

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What one backup run found: the saved version (None if unchanged) and its diff."""

    changed: bool
    version: Version | None
    previous: Version | None
    diff: str
    window: str


def backup(
    history: ConfigHistory,
    device: str,
    device_type: str,
    raw: str,
    now: float,
    *,
    windows: Sequence[Window],
    labels: Mapping[str, str],
) -> Outcome:
    """Normalise and mask ``raw``; save it if it differs from the last version.

    The first backup of a device is a baseline, not a change.
    """
    text = configs.mask(configs.normalise(device_type, raw))
    previous = history.latest(device)
    window = active_window(list(windows), labels, now)
    name = window.name if window else ""
    if previous is not None and previous.text == text:
        history.mark_checked(device, now)
        return Outcome(changed=False, version=None, previous=previous, diff="", window=name)
    saved = history.add(device, text, now, name)
    history.mark_checked(device, now)
    if previous is None:
        log.info("device=%s configuration baseline saved as version 1", device)
        return Outcome(changed=False, version=saved, previous=None, diff="", window=name)
    diff = configs.unified_diff(previous.text, text, f"{device} v{previous.version}",
                                f"{device} v{saved.version}")
    log.info("device=%s configuration changed: version %d saved (%s)", device, saved.version,
             f"inside maintenance window {name!r}" if name else "outside any maintenance window")
    return Outcome(changed=True, version=saved, previous=previous, diff=diff, window=name)


def readings(outcome: Outcome, now: float, diff_limit: int) -> list[Reading]:
    """``config_changed`` for this run: 1 with the change's labels, or 0 when unchanged.

    Labels of a change: ``in_window`` "1"/"0", ``window`` (its name or ""), ``version`` and
    ``previous`` (for ``roomwatch config-history DEVICE --diff``) and ``diff``, the masked
    unified diff trimmed to ``diff_limit`` characters, so the alert body carries it.
    """
    if not outcome.changed or outcome.version is None or outcome.previous is None:
        return [Reading("config_changed", 0.0, {}, now)]
    where = (f"inside maintenance window {outcome.window!r}" if outcome.window
             else "outside any declared maintenance window (003: changes must be recorded)")
    head = f"{where}; version {outcome.previous.version} -> {outcome.version.version} at " \
           f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(outcome.version.ts))}\n"
    labels = {
        "in_window": "1" if outcome.window else "0",
        "window": outcome.window,
        "version": str(outcome.version.version),
        "previous": str(outcome.previous.version),
        "diff": head + configs.trim(outcome.diff, diff_limit),
    }
    return [Reading("config_changed", 1.0, labels, now)]
