"""Parse ``df -P -T`` (POSIX format with file-system type): use per mount point."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mount:
    """One mounted file system and how full it is (percent of blocks used)."""

    mount: str
    fstype: str
    used_percent: float


def parse(text: str) -> list[Mount]:
    """Mounts in ``df -P -T`` output; the header and lines that do not fit are skipped."""
    mounts = []
    for line in text.splitlines():
        parts = line.split()
        # Filesystem Type 1024-blocks Used Available Capacity Mounted-on (mount may hold spaces)
        if len(parts) < 7 or not parts[5].endswith("%") or not parts[5][:-1].isdigit():
            continue
        mounts.append(Mount(" ".join(parts[6:]), parts[1], float(parts[5][:-1])))
    return mounts
