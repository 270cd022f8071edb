"""Deliver messages through apprise URLs (json://, form://, mailto://, dingtalk://, wecombot://,
feishu://, SMS gateways…) and the SMS kinds (Aliyun, Tencent Cloud, gammu-smsd, smstools): one
channel per URL or phone number, each retried and reported on its own."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from alerts.notifiers import dingtalk
from alerts.notifiers.sms import Sender, masked
from monitor.core.errors import NotifyError
from monitor.core.model import AlertState

log = logging.getLogger(__name__)

# apprise keeps one logger for every plugin; capturing it per send must not interleave.
_capture_lock = threading.Lock()


def target_id(url: str, receiver: str = "default") -> str:
    """A stable, secret-free id of one URL of one receiver: the outbox's channel key."""
    return f"{receiver}#{hashlib.sha256(url.encode()).hexdigest()[:10]}"


class AppriseNotifier:
    """Channels by id; ``receivers`` lists (name, config location, urls), ``sms`` lists
    (name, sender, numbers): one channel per number."""

    def __init__(self, urls: Sequence[str] = (), *,
                 receivers: Sequence[tuple[str, str, Sequence[str]]] = (),
                 sms: Sequence[tuple[str, Sender, Sequence[str]]] = ()) -> None:
        """Check every URL now; a bad one raises ValueError naming where it is, not its text."""
        import apprise

        self._apprise = apprise
        self._plugins: dict[str, Any] = {}
        self._sms: dict[str, tuple[Sender, str]] = {}
        self.names: dict[str, str] = {}
        self.receivers: dict[str, list[str]] = {}
        bad = []
        every = [("default", "notify.urls", urls)] if urls else []
        for name, sender, numbers in sms:
            self.receivers.setdefault(name, [])
            for number in numbers:
                key = target_id(f"{sender.kind}:{number}", name)
                self._sms[key] = (sender, number)
                self.names[key] = f"{name}: {sender.kind} {masked(number)}"
                self.receivers[name].append(key)
        for name, where, group in [*every, *receivers]:
            self.receivers.setdefault(name, [])
            for index, url in enumerate(group):
                plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
                if plugin is None:
                    scheme = url.split("://", 1)[0] if "://" in url else "?"
                    bad.append(f"{where}[{index}]: not a URL apprise understands (scheme {scheme!r})")
                    continue
                key = target_id(url, name)
                self._plugins[key] = dingtalk.fix(plugin)
                self.names[key] = f"{name}: " + plugin.url(privacy=True).split("?", 1)[0]
                self.receivers[name].append(key)
        if bad:
            raise ValueError("\n".join(bad))

    @property
    def targets(self) -> list[str]:
        """Ids of every channel."""
        return [*self._plugins, *self._sms]

    def targets_of(self, receiver: str) -> list[str]:
        """The channels of one receiver (none if it is unknown)."""
        return self.receivers.get(receiver, [])

    def plugin(self, target: str) -> Any:
        """The apprise plugin behind a channel (tests redirect its API host)."""
        return self._plugins[target]

    def send(self, target: str, title: str, body: str, state: AlertState,
             params: Mapping[str, str] | None = None) -> str:
        """Deliver one message and return the channel's answer; raise NotifyError with its reason
        (apprise's, or the SMS provider's code; ``params`` fill SMS templates)."""
        if target in self._sms:
            sender, number = self._sms[target]
            text = f"{title}\n{body}".strip() if title else body
            return str(sender.send(number, text, params or {}))
        plugin = self._plugins.get(target)
        if plugin is None:
            raise NotifyError(f"channel {target} is no longer configured", retryable=False)
        kind = {
            AlertState.FIRING: self._apprise.NotifyType.FAILURE,
            AlertState.RESOLVED: self._apprise.NotifyType.SUCCESS,
        }.get(state, self._apprise.NotifyType.INFO)
        with _capture_lock, self._apprise.LogCapture(level=logging.WARNING) as captured:
            ok = plugin.notify(body=body, title=title, notify_type=kind)
            reason = captured.getvalue().strip().splitlines()
        if not ok:
            why = reason[-1] if reason else "refused"
            raise NotifyError(f"{self.names[target]}: {why}", retryable=True)
        return "accepted"
