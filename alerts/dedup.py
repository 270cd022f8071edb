"""The dedup stage: decide from the notification log whether a group or an alert must be told.

Keyed by what was last *told*, not by engine state, so a lost or rolled-back engine state
after a crash can neither page twice nor swallow a resolve. An alert told as firing stays in
the log while it is muted, so its resolve is told even if it was silenced or inhibited after
the page went out (the complaint of alertmanager#226 and #2754).
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Entry:
    """What one receiver was last told about one group: the firing alerts, when, and how many
    messages in a row told exactly that (the page and its reminders)."""

    firing: frozenset[str]
    ts: float
    sent: int = 1


def needs_update(entry: Entry | None, *, firing: Set[str], resolved: Set[str],
                 unacked: Set[str], now: float, repeat: float) -> bool:
    """Group form (Alertmanager's DedupStage.needsUpdate, resolves kept through mutes).

    ``firing`` are the group's unmuted firing alerts, ``resolved`` its resolved ones that were
    told firing, ``unacked`` the firing ones nobody acknowledged (only those repeat).
    """
    if entry is None:
        return bool(firing)
    if not firing <= entry.firing or resolved:
        return True
    return bool(unacked) and now >= entry.ts + repeat


def reminder(entry: Entry | None, *, firing: Set[str], resolved: Set[str]) -> int:
    """The ordinal of this message if it repeats the last one unchanged (2 for the first
    reminder, shown as 第 2 次提醒), else 0: a page repeated every ``repeat_interval`` while
    nobody acknowledges it says so, so people can tell a new problem from an old one."""
    if entry is None or not firing or resolved or not firing <= entry.firing:
        return 0
    return entry.sent + 1


def told_after(entry: Entry | None, *, firing: Set[str], still_firing: Set[str]) -> frozenset[str]:
    """The firing set to log after a message: what it told, plus muted alerts told before."""
    before = entry.firing if entry else frozenset()
    return frozenset(firing) | (before & frozenset(still_firing))
