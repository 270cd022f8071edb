"""Deliver messages through apprise URLs (json://, mailto://, dingtalk://, wecombot://, feishu://…)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from typing import Any

from monitor.errors import NotifyError
from monitor.model import AlertState

log = logging.getLogger(__name__)

# apprise keeps one logger for every plugin; capturing it per send must not interleave.
_capture_lock = threading.Lock()


def target_id(url: str) -> str:
    """A stable, secret-free id of one URL, used as the receiver key in the outbox."""
    return hashlib.sha256(url.encode()).hexdigest()[:12]


class AppriseNotifier:
    """One apprise plugin per URL, so each URL is retried and reported on its own."""

    def __init__(self, urls: Sequence[str]) -> None:
        """Check every URL now; a bad one raises ValueError naming its index, not its text."""
        import apprise

        self._apprise = apprise
        self._plugins: dict[str, Any] = {}
        self.names: dict[str, str] = {}
        bad = []
        for index, url in enumerate(urls):
            plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
            if plugin is None:
                scheme = url.split("://", 1)[0] if "://" in url else "?"
                bad.append(f"notify.urls[{index}]: not a URL apprise understands (scheme {scheme!r})")
                continue
            key = target_id(url)
            self._plugins[key] = plugin
            self.names[key] = plugin.url(privacy=True).split("?", 1)[0]
        if bad:
            raise ValueError("\n".join(bad))

    @property
    def targets(self) -> list[str]:
        """Ids of every configured receiver URL."""
        return list(self._plugins)

    def send(self, target: str, title: str, body: str, state: AlertState) -> None:
        """Deliver one message; raise NotifyError(retryable=True) with apprise's reason."""
        plugin = self._plugins.get(target)
        if plugin is None:
            raise NotifyError(f"receiver {target} is no longer configured", retryable=False)
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
