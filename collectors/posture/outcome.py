"""What one posture check found: values, and why (part of) it could not run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from monitor.core.model import Reading

# Per-item readings (one offending account, connection or log file) are capped so that one
# badly configured server cannot flood the store; the count metric still says how many.
DETAIL_CAP = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """A check's values (metric, value, labels) and ``unavailable``: the reason it could not
    run, wholly or in part ("" when it ran). A partial check is still reported 无法检查."""

    values: tuple[tuple[str, float, Mapping[str, str]], ...] = ()
    unavailable: str = ""

    def readings(self, check: str, now: float) -> list[Reading]:
        """The values as readings, then ``posture_check_unavailable{check}``."""
        out = [Reading(metric, float(value), dict(labels), now) for metric, value, labels in self.values]
        if self.unavailable:
            out.append(Reading("posture_check_unavailable", 1.0,
                               {"check": check, "reason": self.unavailable[:200]}, now))
        else:
            out.append(Reading("posture_check_unavailable", 0.0, {"check": check}, now))
        return out


@dataclass(slots=True)
class Builder:
    """Collects a check's values; ``missing`` notes what could not be read."""

    values: list[tuple[str, float, Mapping[str, str]]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def add(self, metric: str, value: float, **labels: str) -> None:
        """One value."""
        self.values.append((metric, float(value), labels))

    def details(self, metric: str, keys: Iterable[str], label: str) -> None:
        """``metric{label=key}`` = 1 for the first DETAIL_CAP keys (sorted)."""
        for key in sorted(set(keys))[:DETAIL_CAP]:
            self.add(metric, 1.0, **{label: key})

    def lack(self, reason: str) -> None:
        """Note something the check needed and could not read."""
        self.missing.append(reason)

    def done(self) -> Outcome:
        """The outcome; all reasons joined."""
        return Outcome(values=tuple(self.values), unavailable="; ".join(self.missing))


def unavailable(reason: str) -> Outcome:
    """A check that could not run at all."""
    return Outcome(unavailable=reason)
