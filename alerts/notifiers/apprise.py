"""Deliver messages through apprise URLs (json://, form://, mailto://, dingtalk://, wecombot://,
feishu://, SMS gateways…): one channel per URL, each retried and reported on its own."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from typing import Any

from alerts.config import NotifySettings
from alerts.notifiers import dingtalk
from monitor.core.errors import NotifyError
from monitor.core.model import AlertState

log = logging.getLogger(__name__)

# apprise keeps one logger for every plugin; capturing it per send must not interleave.
_capture_lock = threading.Lock()


def target_id(url: str, receiver: str = "default") -> str:
    """A stable, secret-free id of one URL of one receiver: the outbox's channel key."""
    return f"{receiver}#{hashlib.sha256(url.encode()).hexdigest()[:10]}"


class AppriseNotifier:
    """Channels by id; ``receivers`` lists (name, config location, urls)."""

    def __init__(self, urls: Sequence[str] = (), *,
                 receivers: Sequence[tuple[str, str, Sequence[str]]] = ()) -> None:
        """Check every URL now; a bad one raises ValueError naming where it is, not its text."""
        import apprise

        self._apprise = apprise
        self._plugins: dict[str, Any] = {}
        self.names: dict[str, str] = {}
        self.receivers: dict[str, list[str]] = {}
        bad = []
        every = [("default", "notify.urls", urls)] if urls else []
        for name, where, group in [*every, *receivers]:
            self.receivers[name] = []
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
        return list(self._plugins)

    def targets_of(self, receiver: str) -> list[str]:
        """The channels of one receiver (none if it is unknown)."""
        return self.receivers.get(receiver, [])

    def plugin(self, target: str) -> Any:
        """The apprise plugin behind a channel (tests redirect its API host)."""
        return self._plugins[target]

    def send(self, target: str, title: str, body: str, state: AlertState) -> None:
        """Deliver one message; raise NotifyError(retryable=True) with apprise's reason."""
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


def from_settings(settings: NotifySettings) -> AppriseNotifier:
    """Every channel of a ``[notify]`` section: receivers, the shorthand URLs, people on call."""
    receivers: list[tuple[str, str, Sequence[str]]] = [
        (r.name, f"notify.receivers[{i}].urls", [u.get_secret_value() for u in r.urls])
        for i, r in enumerate(settings.receivers)]
    receivers += [(f"oncall:{p.name}", f"notify.oncall.people[{i}].urls",
                   [u.get_secret_value() for u in p.urls])
                  for i, p in enumerate(settings.oncall.people)]
    return AppriseNotifier([u.get_secret_value() for u in settings.urls], receivers=receivers)
