"""Login rate limiting: after a few wrong passwords for one name from a client, or from one client
over all names, wait."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

FREE_FAILURES = 5
"""Wrong passwords allowed before the next attempt must wait."""


@dataclass(kw_only=True)
class Throttle:
    """Failures per key (``user:NAME@ADDRESS`` and ``client:ADDRESS``); from the ``FREE_FAILURES``-th on,
    each key waits ``base`` seconds, doubling per further failure up to ``most``. A success
    clears the name's count. Time is a parameter."""

    base: float = 30.0
    most: float = 900.0
    _failures: dict[str, int] = field(default_factory=dict)
    _until: dict[str, float] = field(default_factory=dict)

    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attempt(self, keys: list[str], now: float) -> float:
        """Start a password check: the seconds to wait first (0: go ahead), and if none, the
        attempt already counted as wrong until ``succeeded`` says otherwise. Checked and counted
        in one step, so checks running side by side in worker threads cannot all slip past the limit."""
        with self._lock:
            wait = self.wait(keys, now)
            if wait <= 0:
                self.failed(keys, now)
            return wait

    def wait(self, keys: list[str], now: float) -> float:
        """Seconds until these keys may try again (0: now)."""
        return max([0.0, *(self._until.get(k, now) - now for k in keys)])

    def failed(self, keys: list[str], now: float) -> None:
        """Count one wrong password against every key."""
        for key in keys:
            n = self._failures.get(key, 0) + 1
            self._failures[key] = n
            if n >= FREE_FAILURES:
                self._until[key] = now + min(self.most, self.base * 2 ** (n - FREE_FAILURES))
        if len(self._failures) > 10_000:  # a flood of made-up names must not grow memory for ever
            self._forget(now)

    def succeeded(self, keys: list[str]) -> None:
        """A right password: these keys start afresh."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
                self._until.pop(key, None)

    def _forget(self, now: float) -> None:
        for key in [k for k, until in self._until.items() if until <= now]:
            self._failures.pop(key, None)
            self._until.pop(key, None)
        for key in [k for k in self._failures if k not in self._until]:
            del self._failures[key]
