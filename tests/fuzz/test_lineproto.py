"""The line-protocol parser on any text: it returns readings and per-line errors, never raises,
and what it returns is well-formed (a line it could not read is reported, not half-read)."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from collectors import lineproto

# Built from the protocol's own pieces so that most examples get deep into the parser.
_PIECES = st.sampled_from(["temperature_celsius", "humidity_percent", ",", "=", " ", "\\", '"',
                           "value", "sensor", "t1", "21.5", "-3e2", "1i", "7u", "true", "F", "inf",
                           "-inf", "nan", "NaN", "1e400", "1700000000000000000", "\n", "#", "\t",
                           "\r", "机房", "\x00", "\u2028", "\x85", "0x1F", ""])
_TEXT = st.one_of(st.text(max_size=300),
                  st.lists(st.one_of(_PIECES, st.text(max_size=5)), max_size=60).map("".join))


@given(_TEXT)
def test_any_text_parses_to_readings_and_line_errors(text: str) -> None:
    result = lineproto.parse(text, 1000.0)
    lines = len(text.splitlines())
    for number, reason in result.errors:
        assert 1 <= number <= lines and isinstance(reason, str) and reason
    for r in result.readings:
        assert isinstance(r.metric, str) and r.metric
        assert isinstance(r.value, float) and not math.isnan(r.value)
        assert isinstance(r.ts, float)
        assert all(isinstance(k, str) and isinstance(v, str) and k and v for k, v in r.labels.items())


@given(st.lists(st.tuples(st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
                          st.floats(allow_nan=False, allow_infinity=False)), min_size=1, max_size=20))
def test_well_formed_lines_read_back_exactly(rows: list[tuple[str, float]]) -> None:
    text = "\n".join(f"{name},sensor=s{i} value={value!r}" for i, (name, value) in enumerate(rows))
    result = lineproto.parse(text, 5.0)
    assert result.errors == []
    assert [(r.metric, r.value, r.labels["sensor"]) for r in result.readings] == [
        (name, value, f"s{i}") for i, (name, value) in enumerate(rows)]
