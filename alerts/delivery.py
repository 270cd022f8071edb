"""The delivery stage: rate limit → send → retry with backoff or fall back; plus the heartbeat.

Channels are sent to concurrently, each channel's messages in order. A message leaves the
outbox only when its channel accepted it (or refused it for good). A provider's flow control
(SMS per-number limits) holds its channel: the fallback is told meanwhile, and what waited goes
as one digest ("另有 N 条告警") when the hold ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from alerts import heartbeat, retry
from alerts.notifiers.apprise import AppriseNotifier
from alerts.notifiers.sms import Limited, Misconfigured, digest_suffix
from alerts.outbox import Message, Outbox
from alerts.ratelimit import RateLimit, plan
from alerts.render import SMS_SEGMENT
from monitor.core.errors import NotifyError
from monitor.core.model import AlertState

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
        self.held: dict[str, float] = {}  # channel → until when the provider's flow control holds it
        self.limited = 0  # messages a provider's flow control held back (folded into a digest later)
        self._counted: set[int] = set()
        self._said: set[tuple[str, str]] = set()

    def configure(self, notifier: AppriseNotifier, receivers: Mapping[str, Receiver], *,
                  retry_initial: float, retry_max: float, heartbeat_url: SecretStr | None,
                  heartbeat_interval: float) -> None:
        """Take the (re)loaded channels and settings."""
        self.notifier, self.receivers = notifier, receivers
        self.retry_initial, self.retry_max = retry_initial, retry_max
        self.heartbeat_url, self.heartbeat_interval = heartbeat_url, heartbeat_interval
        self._said.clear()  # a reloaded config may have fixed what was refused: say it again if not

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
        until = self.held.get(target)
        if until is not None and now < until:
            for msg in msgs:  # waits for the digest; the fallback hears of it now
                self._hold(msg, now)
            return 0
        if until is not None:
            del self.held[target]
            self._counted.difference_update(m.id for m in msgs)
            if len(msgs) > 1:
                msgs = [self._fold(msgs, rec, now)]
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
            if target in self.held:
                self._hold(msg, now)  # held by the send before it: waits for the digest
                continue
            if await self._send(msg, now):
                accepted += 1
                self.limits.record(target, now)
        return accepted

    def _hold(self, msg: Message, now: float) -> None:
        if msg.id not in self._counted:
            self._counted.add(msg.id)
            self.limited += 1
        self._maybe_fall_back(msg, now, force=True)

    def _fold(self, msgs: list[Message], rec: Receiver | None, now: float) -> Message:
        """What waited out a hold, as one message: the newest firing one (else the newest), and
        另有 N 条告警 for the rest, resolves counted among them."""
        firing = [m for m in msgs if m.state is AlertState.FIRING]
        shown = (firing or msgs)[-1]
        rest = [m for m in msgs if m is not shown]
        more = digest_suffix([m.state for m in rest], rec.lang if rec is not None else None)
        body = shown.body
        if rec is not None and rec.format == "sms" and len(body) + len(more) + 1 > SMS_SEGMENT:
            body = body[: max(0, SMS_SEGMENT - len(more) - 2)] + "…"
        log.info("flow control over: %d waiting message(s) to %s sent as one digest", len(msgs),
                 self.notifier.names.get(shown.target, shown.target))
        return self.outbox.merge(msgs, title=shown.title, body=f"{body} {more}".strip(), now=now,
                                 params={**shown.params, "more": more, "count": str(len(msgs))})

    async def _send(self, msg: Message, now: float) -> bool:
        try:
            await asyncio.to_thread(self.notifier.send, msg.target, msg.title, msg.body, msg.state,
                                    msg.params)
        except Limited as err:
            self.held[msg.target] = now + err.retry_after
            self._hold(msg, now)
            log.warning("notify id=%d held %gs by flow control (%s); the fallback is told, what waits "
                        "goes as one digest: %s", msg.id, err.retry_after, err.code, err)
            self.outbox.failed(msg, error=str(err), next_try=now + err.retry_after)
            return False
        except NotifyError as err:
            self.failures += 1
            self._maybe_fall_back(msg, now, force=not err.retryable)
            if not err.retryable:
                self._drop(msg, err)
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

    def _drop(self, msg: Message, err: NotifyError) -> None:
        if not isinstance(err, Misconfigured):
            log.error("notify dropped id=%d: %s", msg.id, err)
            return
        key = (msg.target, err.code)
        if key in self._said:  # a configuration error is said once, not once per alert
            log.info("notify dropped id=%d: %s again", msg.id, err.code)
            return
        self._said.add(key)
        log.error("notify configuration error %s, messages to %s are dropped until it is fixed: %s",
                  err.code, self.notifier.names.get(msg.target, msg.target), err)

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
