"""NTP state from ``timedatectl show`` and ``chronyc -c tracking``."""

from __future__ import annotations


def timedatectl_synced(text: str) -> bool | None:
    """``NTPSynchronized=yes|no`` from ``timedatectl show``; None if absent."""
    for line in text.splitlines():
        key, _, value = line.strip().partition("=")
        if key == "NTPSynchronized":
            return value.strip() == "yes"
    return None


def chrony_offset_seconds(text: str) -> float | None:
    """The last offset (seconds, signed) from ``chronyc -c tracking`` (CSV), None if absent.

    Fields: reference id, name, stratum, ref time, system time, last offset, … — the
    "system time" (field 5) is how far the clock is from NTP time right now.
    """
    for line in text.splitlines():
        fields = line.strip().split(",")
        if len(fields) >= 6:
            try:
                return float(fields[4])
            except ValueError:
                return None
    return None


def chrony_synced(text: str) -> bool | None:
    """Whether chrony has a reference (stratum below 16 and a reference id other than 0)."""
    for line in text.splitlines():
        fields = line.strip().split(",")
        if len(fields) >= 6:
            try:
                return fields[0] not in ("00000000", "0") and int(fields[2]) < 16
            except ValueError:
                return None
    return None
