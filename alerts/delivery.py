"""The delivery stage: rate limit → send → retry with backoff or fall back; plus the heartbeat.

Channels are sent to concurrently, each channel's messages in order. A message leaves the
outbox only when its channel accepted it (or refused it for good).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from alerts import heartbeat, retry
from alerts.notifiers.apprise import AppriseNotifier
from alerts.outbox import Message, Outbox
from alerts.ratelimit import RateLimit, plan
from monitor.core.errors import NotifyError

if TYPE_CHECKING:
    from pydantic import SecretStr

    from alerts.config import Receiver

log = logging.getLogger(__name__)


def receiver_of(target: str) -> str:
    """The receiver a channel id belongs to (``duty#ab12…`` → ``duty``)."""
    return target.rsplit("#", 1)[0]


class Delivery:
    """Sends due outbox messages through the notifier."""

    def __init__(self, outbox: Outbox, notifier: AppriseNotifier) -> None:
        self.outbox = outbox
        self.notifier = notifier
        self.receivers: Mapping[str, Receiver] = {}
        self.retry_initial, self.retry_max = 5.0, 600.0
        self.heartbeat_url: SecretStr | None = None
        self.heartbeat_interval = 300.0
        self.last_heartbeat: float | None = None
        self.limits = RateLimit()
        self.sent = 0
        self.failures = 0

    def configure(self, notifier: AppriseNotifier, receivers: Mapping[str, Receiver], *,
                  retry_initial: float, retry_max: float, heartbeat_url: SecretStr | None,
                  heartbeat_interval: float) -> None:
        """Take the (re)loaded channels and settings."""
        self.notifier, self.receivers = notifier, receivers
        self.retry_initial, self.retry_max = retry_initial, retry_max
        self.heartbeat_url, self.heartbeat_interval = heartbeat_url, heartbeat_interval

    async def run(self, now: float) -> int:
        """Try every due message once (digesting past rate limits); count the accepted."""
        by_target: dict[str, list[Message]] = {}
        for msg in self.outbox.due(now):
            by_target.setdefault(msg.target, []).append(msg)
        counts = await asyncio.gather(*(self._channel(t, msgs, now) for t, msgs in by_target.items()))
        if self.heartbeat_url is not None and heartbeat.due(self.last_heartbeat, now,
                                                             self.heartbeat_interval):
            self.last_heartbeat = now
            await asyncio.to_thread(heartbeat.ping, self.heartbeat_url.get_secret_value())
        return sum(counts)

    async def _channel(self, target: str, msgs: list[Message], now: float) -> int:
        rec = self.receivers.get(receiver_of(target))
        limit = rec.rate_limit if rec is not None else 0
        single, merged = plan(len(msgs), self.limits.available(target, limit, now))
        todo = msgs[:single]
        if merged:
            rest = msgs[single:]
            text = "\n\n".join(f"{m.title}\n{m.body}".strip() for m in rest)
            title = f"[合并] {len(rest)} 条通知" if (rec is None or rec.lang != "en") else \
                f"[DIGEST] {len(rest)} notifications"
            todo.append(self.outbox.merge(rest, title=title, body=text, now=now))
            log.info("rate limit: merged %d message(s) to %s into one", len(rest),
                     self.notifier.names.get(target, target))
        accepted = 0
        for msg in todo:
            if await self._send(msg, now):
                accepted += 1
                self.limits.record(target, now)
        return accepted

    async def _send(self, msg: Message, now: float) -> bool:
        try:
            await asyncio.to_thread(self.notifier.send, msg.target, msg.title, msg.body, msg.state)
        except NotifyError as err:
            self.failures += 1
            self._maybe_fall_back(msg, now, force=not err.retryable)
            if not err.retryable:
                log.error("notify dropped id=%d: %s", msg.id, err)
                self.outbox.done(msg, now)  # kept in the delivery log, not retried
                return False
            delay = retry.next_delay(msg.attempts + 1, initial=self.retry_initial, maximum=self.retry_max)
            log.warning("notify failed id=%d attempt=%d retry_in=%gs: %s",
                        msg.id, msg.attempts + 1, delay, err)
            self.outbox.failed(msg, error=str(err), next_try=now + delay)
            return False
        self.sent += 1
        self.outbox.done(msg, now)
        log.info("notified id=%d to=%s state=%s", msg.id, self.notifier.names.get(msg.target, msg.target),
                 msg.state.value)
        return True

    def _maybe_fall_back(self, msg: Message, now: float, *, force: bool) -> None:
        rec = self.receivers.get(receiver_of(msg.target))
        if rec is None or rec.fallback is None or msg.fell_back:
            return
        if not force and msg.attempts + 1 < rec.fallback_after:
            return
        targets = self.notifier.targets_of(rec.fallback)
        self.outbox.fall_back(msg, targets, now)
        log.warning("notify id=%d: %s keeps failing; copied to fallback receiver %s",
                    msg.id, rec.name, rec.fallback)
