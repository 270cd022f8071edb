"""The dispatcher: log every transition, queue what must be told, deliver from the outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

from alerts import dedup, message, retry
from alerts.outbox import Message, Outbox
from monitor.errors import NotifyError
from monitor.model import Alert, AlertState

log = logging.getLogger(__name__)


class Notifier(Protocol):
    """A channel: its receiver ids, their printable names, and a blocking send."""

    names: dict[str, str]

    @property
    def targets(self) -> list[str]: ...

    def send(self, target: str, title: str, body: str, state: AlertState) -> None: ...


class Dispatcher:
    """Turns alert transitions into durable messages and delivers them with retries.

    ``submit`` is cheap and synchronous (called right after evaluation); ``deliver`` does the
    network I/O in worker threads and is called from the daemon's loop.
    """

    def __init__(
        self,
        outbox: Outbox,
        notifier: Notifier,
        *,
        lang: str = "zh",
        retry_initial: float = 5.0,
        retry_max: float = 600.0,
    ) -> None:
        self.outbox = outbox
        self.notifier = notifier
        self.lang = lang
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.sent = 0
        self.failures = 0

    def submit(self, alerts: Sequence[Alert], now: float) -> int:
        """Log each transition and queue it for every receiver that must hear it."""
        queued = 0
        for alert in alerts:
            if alert.state is AlertState.PENDING:
                continue
            level = logging.WARNING if alert.state is AlertState.FIRING else logging.INFO
            log.log(
                level,
                "alert=%s state=%s severity=%s device=%s value=%g summary=%s",
                alert.rule, alert.state.value, alert.severity.value,
                alert.labels.get("device", "?"), alert.value, alert.summary,
            )
            title, body = message.render(alert, self.lang)
            for target in self.notifier.targets:
                last = self.outbox.last_told(alert.fingerprint, target)
                if not dedup.should_notify(alert.state, last):
                    continue
                self.outbox.enqueue(
                    target=target, fingerprint=alert.fingerprint, state=alert.state,
                    labels=alert.labels, title=title, body=body, now=now,
                )
                queued += 1
        return queued

    async def deliver(self, now: float) -> int:
        """Try every due message once; return how many were accepted."""
        accepted = 0
        for msg in self.outbox.due(now):
            if await self._send(msg, now):
                accepted += 1
        return accepted

    async def _send(self, msg: Message, now: float) -> bool:
        try:
            await asyncio.to_thread(self.notifier.send, msg.target, msg.title, msg.body, msg.state)
        except NotifyError as err:
            self.failures += 1
            if not err.retryable:
                log.error("notify dropped id=%d: %s", msg.id, err)
                self.outbox.done(msg, now)  # kept in the delivery log, not retried
                return False
            delay = retry.next_delay(msg.attempts + 1, initial=self.retry_initial,
                                     maximum=self.retry_max)
            log.warning("notify failed id=%d attempt=%d retry_in=%gs: %s",
                        msg.id, msg.attempts + 1, delay, err)
            self.outbox.failed(msg, error=str(err), next_try=now + delay)
            return False
        self.sent += 1
        self.outbox.done(msg, now)
        name = self.notifier.names.get(msg.target, msg.target)
        log.info("notified id=%d to=%s state=%s", msg.id, name, msg.state.value)
        return True
