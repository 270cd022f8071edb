"""The alert state machine as timeline tables, like Prometheus ``alerting_test.go``.

Each row is ``(minute, value or None, expected state or None)``: None as a value means the
series is absent at that minute. Every table runs through the pure ``step`` and through the
``Engine`` (one reading per row, nothing ingested for None, ``stale_after`` under a minute),
which must agree.
"""

from __future__ import annotations

import pytest

from monitor.core.model import Alert, AlertState, Reading, Severity
from rules.engine import Engine
from rules.rule import Condition, Rule, step

P, F, R = AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED
T0 = 1_700_000_000.0
LABELS = {"device": "room1-th", "kind": "sensor"}
Row = tuple[float, float | None, AlertState | None]


def _rule(cond: Condition, for_s: float = 0.0) -> Rule:
    return Rule(name="t", metric="temperature_celsius", condition=cond, for_s=for_s,
                severity=Severity.WARNING, summary="{device} {value:.1f} 超出 {threshold}", clause="c")


TABLES: dict[str, tuple[Rule, list[Row]]] = {
    "for 5m: pending until five minutes, then firing, resolve, refire with a new timer": (
        _rule(Condition.above(28), for_s=300), [
            (0, 25.0, None),
            (1, 29.0, P),
            (3, 29.0, P),
            (5, 29.5, P),   # four minutes since 1
            (6, 29.0, F),   # five
            (7, 30.0, F),
            (8, 27.0, R),
            (9, 27.0, None),
            (10, 29.0, P),  # a new breach, a new active_at
            (14, 29.0, P),
            (15, 29.0, F),
        ]),
    "pending that stops being breached is dropped and restarts its timer": (
        _rule(Condition.above(28), for_s=300), [
            (0, 29.0, P),
            (2, 28.0, None),  # 28 is normal (above means > 28)
            (3, 29.0, P),
            (7, 29.0, P),     # would have fired at 5 with the old timer
            (8, 29.0, F),
        ]),
    "hysteresis: fire above 28, resolve only at or below 27.5": (
        _rule(Condition.above(28, hysteresis=0.5)), [
            (0, 28.0, None),
            (1, 28.1, F),
            (2, 27.8, F),
            (3, 27.6, F),
            (4, 27.5, R),
            (5, 28.0, None),
            (6, 28.01, F),
        ]),
    "outside with hysteresis on both sides": (
        _rule(Condition.outside(18, 28, hysteresis=0.5)), [
            (0, 17.9, F),
            (1, 18.0, F),     # normal again, but not yet recovered
            (2, 18.5, R),
            (3, 28.0, None),
            (4, 28.1, F),
            (5, 27.6, F),
            (6, 27.5, R),
        ]),
    "absent series: pending dropped, firing resolved": (
        _rule(Condition.above(28), for_s=120), [
            (0, 30.0, P),
            (1, None, None),
            (2, 30.0, P),
            (4, 30.0, F),
            (5, None, R),
            (6, None, None),
            (7, 30.0, P),
        ]),
    "for 0 fires at once and a breach after a resolve is a new alert": (
        _rule(Condition.below(1)), [
            (0, 1.0, None),
            (1, 0.0, F),
            (2, 1.0, R),
            (3, 0.0, F),
            (4, 0.0, F),
        ]),
}


def _run_step(rule: Rule, rows: list[Row], ignore_for: bool = False) -> list[Alert | None]:
    eff = rule.effective(LABELS)
    assert eff is not None
    alert: Alert | None = None
    seen = []
    for minute, value, _ in rows:
        alert = step(alert, value, T0 + minute * 60, rule=rule, labels=LABELS, eff=eff,
                     ignore_for=ignore_for)
        seen.append(alert)
    return seen


def _run_engine(rule: Rule, rows: list[Row], ignore_for: bool = False) -> list[AlertState | None]:
    engine = Engine([rule], stale_after=30.0)
    states: list[AlertState | None] = []
    for minute, value, _ in rows:
        now = T0 + minute * 60
        if value is not None:
            engine.ingest([Reading(rule.metric, value, LABELS, now)])
        changes = engine.evaluate(now, ignore_for=ignore_for)
        active = engine.active()
        assert len(active) <= 1 and len(changes) <= 1
        if changes and changes[0].state is R:
            states.append(R)
        else:
            states.append(active[0].state if active else None)
    return states


@pytest.mark.parametrize("name", TABLES)
def test_timeline(name: str) -> None:
    rule, rows = TABLES[name]
    expected = [state for _, _, state in rows]
    assert [a.state if a else None for a in _run_step(rule, rows)] == expected
    assert _run_engine(rule, rows) == expected


def test_timestamps_and_value_follow_the_life() -> None:
    rule, rows = TABLES["for 5m: pending until five minutes, then firing, resolve, refire with a new timer"]
    seen = _run_step(rule, rows)
    pending, firing, later, resolved = seen[1], seen[4], seen[5], seen[6]
    assert pending and firing and later and resolved
    assert (pending.active_at, pending.fired_at, pending.resolved_at) == (T0 + 60, None, None)
    assert (firing.active_at, firing.fired_at) == (T0 + 60, T0 + 360)
    assert (later.value, later.summary) == (30.0, "room1-th 30.0 超出 28")
    assert (resolved.value, resolved.resolved_at, resolved.fired_at) == (27.0, T0 + 480, T0 + 360)
    assert resolved.summary == later.summary  # the resolve message still says what was wrong
    refired = seen[8]
    assert refired and refired.active_at == T0 + 600


def test_ignore_for_fires_at_once_and_promotes_pending() -> None:
    rule = _rule(Condition.above(28), for_s=600)
    rows: list[Row] = [(0, 30.0, F), (1, 30.0, F), (2, 20.0, R)]
    assert [a.state if a else None for a in _run_step(rule, rows, ignore_for=True)] == [F, F, R]
    assert _run_engine(rule, rows, ignore_for=True) == [F, F, R]
    eff = rule.effective(LABELS)
    assert eff is not None
    pending = step(None, 30.0, T0, rule=rule, labels=LABELS, eff=eff)
    assert pending and pending.state is P
    promoted = step(pending, 30.0, T0 + 1, rule=rule, labels=LABELS, eff=eff, ignore_for=True)
    assert promoted and promoted.state is F and promoted.active_at == T0


def test_nan_counts_as_absent() -> None:
    rule = _rule(Condition.above(28))
    eff = rule.effective(LABELS)
    assert eff is not None
    firing = step(None, 30.0, T0, rule=rule, labels=LABELS, eff=eff)
    assert firing and firing.state is F
    gone = step(firing, float("nan"), T0 + 60, rule=rule, labels=LABELS, eff=eff)
    assert gone and gone.state is R and gone.value == 30.0


def test_step_is_pure_and_keeps_the_same_object_when_nothing_changes() -> None:
    rule = _rule(Condition.above(28), for_s=300)
    eff = rule.effective(LABELS)
    assert eff is not None
    pending = step(None, 30.0, T0, rule=rule, labels=LABELS, eff=eff)
    assert pending is not None
    again = step(pending, 30.0, T0 + 60, rule=rule, labels=LABELS, eff=eff)
    assert again is pending
    assert step(pending, 30.0, T0 + 60, rule=rule, labels=LABELS, eff=eff) is pending
