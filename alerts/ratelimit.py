"""Per-channel rate limits (IM robots cap messages per minute): messages over the limit wait
and are merged into one digest, never dropped."""

from __future__ import annotations

from collections import deque


class RateLimit:
    """A sliding one-minute window of send times per channel; ``limit`` 0 means none."""

    def __init__(self) -> None:
        self._sent: dict[str, deque[float]] = {}

    def available(self, target: str, limit: int, now: float) -> int | None:
        """How many more messages ``target`` may take now (None: unlimited)."""
        if limit <= 0:
            return None
        window = self._sent.setdefault(target, deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        return max(0, limit - len(window))

    def record(self, target: str, now: float) -> None:
        """Count one send."""
        self._sent.setdefault(target, deque()).append(now)


def plan(due: int, available: int | None) -> tuple[int, int]:
    """Of ``due`` waiting messages: how many go singly, how many merge into one digest after.

    With room for k, k-1 go singly and the rest share the k-th slot; with no room, none go.
    """
    if available is None or due <= available:
        return due, 0
    if available == 0:
        return 0, 0
    return available - 1, due - (available - 1)
