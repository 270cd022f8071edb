"""Long builds in slices: a generator yields between slices, run at once or sliced on the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Generator, Iterable
from typing import TypeVar

T = TypeVar("T")

Steps = Generator[None, None, T]
"""A build that yields (nothing) wherever it may pause, and returns its result."""

EVERY = 100
"""Rows (devices, alerts, template chunks) in one slice: about a millisecond of work."""


def at_once(steps: Steps[T]) -> T:
    """Run a sliced build to its end (in a worker thread, or where nothing else waits)."""
    while True:
        done, result = _step(steps)
        if done:
            return result  # type: ignore[return-value]


async def sliced(steps: Steps[T]) -> T:
    """Run a sliced build on the running loop, letting every other task run between slices
    (the daemon's polls wait at most one slice, not one build)."""
    while True:
        done, result = _step(steps)
        if done:
            return result  # type: ignore[return-value]
        await asyncio.sleep(0)


def _step(steps: Steps[T]) -> tuple[bool, T | None]:
    """One slice: (False, None) when it paused, (True, result) when the build ended."""
    try:
        next(steps)
    except StopIteration as end:
        return True, end.value
    return False, None


async def joined(chunks: Iterable[str], every: int = EVERY * 5) -> str:
    """``"".join(chunks)`` of a lazily rendered template (``Template.generate``), in slices."""
    parts: list[str] = []
    for n, chunk in enumerate(chunks, 1):
        parts.append(chunk)
        if n % every == 0:
            await asyncio.sleep(0)
    return "".join(parts)
