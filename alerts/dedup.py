"""Decide from the notification log whether a transition must be told to a receiver.

Keyed by what was last *told*, not by engine state, so a lost or rolled-back engine state
after a crash can neither page twice nor swallow a resolve.
"""

from __future__ import annotations

from monitor.model import AlertState


def should_notify(state: AlertState, last_told: AlertState | None) -> bool:
    """Firing is told unless firing was the last thing told; resolved only after a firing."""
    if state is AlertState.FIRING:
        return last_told is not AlertState.FIRING
    if state is AlertState.RESOLVED:
        return last_told is AlertState.FIRING
    return False
