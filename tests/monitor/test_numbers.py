"""Numbers as people read them (monitor.core.numbers), and summaries that keep the digits that
make the case against a threshold."""

from __future__ import annotations

import pytest

from monitor.core.model import Severity
from monitor.core.numbers import Shown, plain
from rules.rule import Condition, Rule


@pytest.mark.parametrize(("value", "text"), [
    (4_924_460.0, "4924460"), (28.04, "28.04"), (0.5, "0.5"), (-3.0, "-3"), (0.0, "0"), (-0.0, "0"),
    (12.345678, "12.3457"), (0.000123, "0.000123"), (1e20, "100000000000000000000"),
    (float("inf"), "inf"),
])
def test_plain(value: float, text: str) -> None:
    assert plain(value) == text


@pytest.mark.parametrize(("value", "spec", "text"), [
    (28.04, ".1f", "28.04"),   # would read "28.0", inside 18–28
    (29.0, ".1f", "29.0"),     # clear of the bound: the template's own digits
    (28.0, ".1f", "28.0"),     # on the bound itself: nothing to separate
    (27.96, ".0f", "27.96"),   # would read "28"
    (17.96, ".1f", "17.96"),   # would read "18.0"
    (28.04, "g", "28.04"),     # other formats are a float's
])
def test_shown_keeps_the_digits_that_separate_it_from_a_bound(value: float, spec: str, text: str) -> None:
    assert format(Shown(value, (18.0, 28.0)), spec) == text


def test_a_room_temperature_summary_does_not_round_a_breach_onto_its_threshold() -> None:
    rule = Rule(name="room_temperature", metric="temperature_celsius", condition=Condition.outside(18, 28),
                severity=Severity.WARNING,
                summary="{device} 机房温度 {value:.1f} °C，超出 {threshold} °C 范围",
                clause="《信息中心机房管理制度》四、环境管理制度 第5条")
    text = rule.render({"device": "th"}, 28.04, rule.condition)
    assert text.startswith("th 机房温度 28.04 °C，超出 18")
    assert rule.render({"device": "th"}, 29.0, rule.condition).startswith("th 机房温度 29.0 °C")
