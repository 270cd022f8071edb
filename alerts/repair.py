"""Repair-time notices (002: 故障排除一般不超过2小时，特别情况不能超过4小时): tell again when a
firing critical alert passes each limit unresolved."""

from __future__ import annotations

from collections.abc import Sequence, Set

from monitor.core.model import Alert, AlertState, Severity


def notice_due(alert: Alert, limits: Sequence[float], done: Set[str], *, now: float,
               muted: bool) -> tuple[float | None, list[str]]:
    """The limit to tell about now (the highest passed and not yet told) and the kinds to mark.

    After a restart long into an outage only the highest limit passed is told, not every one.
    """
    if alert.state is not AlertState.FIRING or alert.severity is not Severity.CRITICAL or muted:
        return None, []
    start = alert.fired_at if alert.fired_at is not None else alert.active_at
    passed = sorted(limit for limit in limits if now >= start + limit)
    fresh = [limit for limit in passed if kind(limit) not in done]
    if not fresh:
        return None, []
    return passed[-1], [kind(limit) for limit in fresh]


def kind(limit: float) -> str:
    """The notices-table name of one limit."""
    return f"repair:{int(limit)}"
