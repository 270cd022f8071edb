"""Parse ``systemctl list-units --state=failed --no-legend --plain``: the failed units."""

from __future__ import annotations


def failed_units(text: str) -> list[str]:
    """Unit names, one per line of output (``●`` markers and blank lines ignored)."""
    units = []
    for line in text.splitlines():
        parts = line.replace("●", " ").split()
        if parts and "." in parts[0]:
            units.append(parts[0])
    return units
