"""Counter rates as a timeline: wraps, resets, reboots and gaps give no spike."""

from __future__ import annotations

import pytest

from collectors.snmp.interfaces import RateState

# (ts, counter, bits, expected rate per second or None)
TIMELINE = [
    (0.0, 1000.0, 64, None),                 # first sample: nothing to compare with
    (60.0, 7000.0, 64, 100.0),
    (120.0, 7000.0, 64, 0.0),
    (180.0, 10.0, 64, None),                 # 64-bit counter went back: reset, not a wrap
    (240.0, 6010.0, 64, 100.0),
    (2000.0, 9010.0, 64, None),              # gap longer than max_gap
    (2060.0, 15010.0, 64, 100.0),
    (2120.0, 15010.0, 32, None),             # 64 -> 32-bit fallback: new baseline
]


def test_timeline_64bit() -> None:
    state = RateState(max_gap=900)
    for ts, value, bits, expected in TIMELINE:
        assert state.rate(("1", "in"), value, bits, ts, max_per_s=1e6) == expected, ts


@pytest.mark.parametrize(("prev", "now_value", "max_per_s", "expected"), [
    (2**32 - 600.0, 5400.0, 1e6, 100.0),     # plausible 32-bit wrap
    (2**32 - 600.0, 5400.0, None, None),     # speed unknown: cannot tell a wrap from a reset
    (3_000_000_000.0, 5.0, 1000.0, None),    # wrapped delta far above port speed: a reset
])
def test_32bit_wrap(prev: float, now_value: float, max_per_s: float | None, expected: float | None) -> None:
    state = RateState()
    state.rate(("1", "in"), prev, 32, 0.0, max_per_s)
    assert state.rate(("1", "in"), now_value, 32, 60.0, max_per_s) == expected


def test_reboot_forgets_samples() -> None:
    state = RateState()
    state.restarted(100_000)
    state.rate(("1", "in"), 5000.0, 64, 0.0)
    state.restarted(50)  # sysUpTime went back
    assert state.rate(("1", "in"), 9000.0, 64, 60.0) is None
    assert state.rate(("1", "in"), 15000.0, 64, 120.0) == 100.0
