"""Shared helpers for pipeline tests: alerts, a dispatcher from a [notify] dict, the queue."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from alerts.config import NotifySettings
from alerts.dispatch import Dispatcher
from alerts.notifiers.apprise import from_settings
from alerts.outbox import Message, Outbox
from monitor.core.model import Alert, AlertState, Severity


def alert(device: str, rule: str = "room_temperature", state: AlertState = AlertState.FIRING, *,
          severity: Severity = Severity.WARNING, at: float = 0.0, resolved: float | None = None,
          value: float = 30.0, **labels: str) -> Alert:
    """One alert on ``device`` that became firing at ``at``."""
    return Alert(rule=rule, labels={"device": device, **labels}, state=state, severity=severity,
                 value=value, active_at=at, fired_at=at, resolved_at=resolved,
                 summary=f"{rule} on {device}", clause="002:故障处理")


def dispatcher(tmp_path: Path, notify: dict[str, Any], **kw: Any) -> Dispatcher:
    """A dispatcher built as the daemon builds it."""
    settings = NotifySettings.model_validate(notify)
    return Dispatcher(Outbox(tmp_path / "alerts.db"), from_settings(settings), settings=settings, **kw)


def queued(d: Dispatcher, *, clear: bool = True) -> list[tuple[str, str, str]]:
    """(receiver, state, title) of every waiting message; ``clear`` marks them delivered."""
    msgs: list[Message] = d.outbox.due(math.inf)
    if clear:
        for m in msgs:
            d.outbox.done(m, 0.0)
    return [(m.target.rsplit("#", 1)[0], m.state.value, m.title) for m in msgs]


def receivers(d: Dispatcher) -> list[str]:
    """Receiver of every waiting message (marking them delivered)."""
    return [r for r, _, _ in queued(d)]
