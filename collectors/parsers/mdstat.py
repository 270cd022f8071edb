"""Parse Linux software RAID state from ``/proc/mdstat``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_ARRAY = re.compile(r"^(md\w+)\s*:\s*(\w+)(?:\s+\(\w+\))?\s*(\S+)?")
_STATUS = re.compile(r"\[(\d+)/(\d+)\]\s+\[([U_]+)\]")


@dataclass(frozen=True, slots=True)
class Array:
    """One md array: its name, level, and whether it is missing members or inactive."""

    name: str
    level: str
    degraded: bool
    members_up: int
    members_total: int


def parse(text: str) -> list[Array]:
    """Arrays in ``/proc/mdstat`` text; an inactive array counts as degraded."""
    arrays: list[Array] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = _ARRAY.match(line)
        if not match:
            continue
        name, state, level = match.group(1), match.group(2), match.group(3) or ""
        if state == "inactive":
            arrays.append(Array(name, level, True, 0, 0))
            continue
        status = _STATUS.search(lines[i + 1]) if i + 1 < len(lines) else None
        if status is None:
            # raid0/linear print no [n/m]; nothing says they are degraded.
            arrays.append(Array(name, level, False, 0, 0))
            continue
        total, up = int(status.group(1)), int(status.group(2))
        arrays.append(Array(name, level, up < total or "_" in status.group(3), up, total))
    return arrays
