"""Exponential backoff for failed deliveries."""

from __future__ import annotations


def next_delay(attempts: int, *, initial: float, maximum: float) -> float:
    """Delay before the next try after ``attempts`` failures: initial, 2×, 4× … capped."""
    return float(min(maximum, initial * (2 ** max(0, attempts - 1))))
