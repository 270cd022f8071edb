"""Errors that carry the decision the caller must make (retry or not, where the problem is)."""

from __future__ import annotations

from collections.abc import Sequence


class RoomwatchError(Exception):
    """Base of every error roomwatch raises on purpose."""


class ConfigError(RoomwatchError):
    """A configuration (or rule, or inventory) file has problems; every one is listed.

    Each problem is one line already prefixed with its location, e.g.
    ``roomwatch.toml: devices[2].kind: 'swtich' is not one of switch, router, …``.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class CollectError(RoomwatchError):
    """A collector could not read a device this cycle; the device is reported ``up 0``."""


class StoreError(RoomwatchError):
    """A store refused or failed a write; ``retryable`` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class NotifyError(RoomwatchError):
    """A notification was not delivered; ``retryable`` says whether trying again can help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable
