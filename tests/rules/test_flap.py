"""Flap damping (Icinga's method: last 20 results, start above 30 %, stop below 25 %) as timeline
tables through the real engine and the shipped pack."""

from __future__ import annotations

import pytest

from monitor.core.model import Alert, AlertState, Reading
from rules.engine import Engine
from rules.flap import MARK, WINDOW, Flap
from rules.loader import load_pack

PACK = load_pack("regulation")
UPLINK = {"device": "core-sw-1", "kind": "switch", "ifname": "Gi0/1", "role": "uplink"}
F, R = AlertState.FIRING, AlertState.RESOLVED


def test_history_starts_above_30_and_stops_below_25_percent() -> None:
    flap, seen = Flap(), []
    for bad in [True, False] * 4 + [False] * 20:  # 8 changes, then calm
        flap = flap.record(bad)
        seen.append((round(flap.percent), flap.flapping))
    assert seen[:8] == [(5, False), (10, False), (15, False), (20, False), (25, False), (30, False),
                        (35, True), (40, True)]  # 7 changes of 20 is the first share above 30 %
    # calm results push changes out of the window one by one: 25 % still flaps, 20 % stops
    assert [p for p, flapping in seen if flapping][-1] == 25
    assert (20, False) in seen[8:] and seen[-1] == (0, False) and len(seen) - 8 == WINDOW


def run(engine: Engine, timeline: list[tuple[int, float | None]]) -> list[tuple[int, AlertState, bool]]:
    """Feed (second, value) rows (None: no reading) evaluating every 10 s; (second, state, flapping)."""
    out: list[tuple[int, AlertState, bool]] = []
    readings = dict(timeline)
    for second in range(0, max(readings) + 1, 10):
        if readings.get(second) is not None:
            engine.ingest([Reading("if_oper_up", readings[second] or 0.0, UPLINK, float(second))])
        out += [(second, a.state, a.annotations.get(MARK) == "1") for a in engine.evaluate(float(second))
                if a.state is not AlertState.PENDING]
    return out


def test_an_uplink_dropping_every_two_minutes_is_told_once_as_flapping_then_its_resolve() -> None:
    # down 30 s of every 120 s (trap at the drop, trap at the return, a poll every minute):
    # for = "1m" restarts on every up sample and would never page
    timeline: list[tuple[int, float | None]] = []
    for cycle in range(30):  # an hour of drops
        t = cycle * 120
        timeline += [(t, 0.0), (t + 30, 1.0), (t + 60, 1.0)]
    calm = 30 * 120
    timeline += [(calm + 60 * k, 1.0) for k in range(30)]  # then 30 calm polls
    got = run(Engine(PACK), timeline)
    assert [(state, flapping) for _, state, flapping in got] == [(F, True), (R, True)]
    fired, resolved = got[0][0], got[1][0]
    assert fired < 10 * 60  # caught within the first few drops
    assert calm < resolved <= calm + 20 * 60  # kept quiet until it settled, then told


def test_a_steady_breach_is_not_flapping() -> None:
    timeline: list[tuple[int, float | None]] = [(60 * k, 0.0) for k in range(10)] + \
        [(600 + 60 * k, 1.0) for k in range(3)]
    assert run(Engine(PACK), timeline) == [(60, F, False), (600, R, False)]


@pytest.mark.parametrize("calm_after", [8, 40])
def test_a_rule_without_for_stops_paging_each_change_once_flapping(calm_after: int) -> None:
    engine = Engine(PACK)
    ups = {"device": "ups-1", "kind": "ups"}
    told: list[Alert] = []
    values = [1.0, 0.0] * calm_after + [0.0] * 25
    for k, value in enumerate(values):
        engine.ingest([Reading("ups_on_bypass", value, ups, 60.0 * k)])
        told += engine.evaluate(60.0 * k)
    states = [(a.state, a.annotations.get(MARK) == "1") for a in told]
    # fires and resolves on its own until the 7th change in the window: told once more, as
    # flapping, then held firing until the changes leave the window, and its resolve told
    assert states == [(F, False), (R, False)] * 3 + [(F, True), (R, True)]
