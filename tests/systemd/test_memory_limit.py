"""The daemon's unit caps its memory: whatever a device sends, the kernel stops it at MemoryMax."""

from __future__ import annotations

from monitor.units import render


def test_daemon_unit_sets_a_memory_limit() -> None:
    service = render()["roomwatch.service"].splitlines()
    [limit] = [line.split("=", 1)[1] for line in service if line.startswith("MemoryMax=")]
    assert limit.endswith("G") and 0 < float(limit[:-1]) <= 4
