"""The line protocol roomwatch writes: escaping, free-text labels as fields, alerts, precision."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from monitor.core.model import NO_ANNOTATIONS, Alert, AlertState, Reading, SeriesTable, Severity
from monitor.store import influx_lines
from monitor.store.influx_lines import alert_lines, reading_lines, tags_of


def test_tags_are_sorted_escaped_and_empty_values_left_out() -> None:
    labels = {"site": "a,b", "device": "th 1", "room": "", "sensor": "s=1"}
    [line] = reading_lines([Reading("temperature_celsius", 23.5, labels, 1_700_000_000.123)])
    assert line == r"temperature_celsius,device=th\ 1,sensor=s\=1,site=a\,b value=23.5 1700000000123"


def test_free_text_labels_become_string_fields_not_tags() -> None:
    labels = {"device": "sw", "in_window": "0", "diff": 'a "b"\n-c \\x', "version": "3", "previous": "2"}
    [line] = reading_lines([Reading("config_changed", 1.0, labels, 2.0)], precision="s")
    assert line == ('config_changed,device=sw,in_window=0 value=1.0,'
                    r'diff="a \"b\"\n-c \\x",previous="2",version="3" 2')
    assert tags_of(labels) == {"device": "sw", "in_window": "0"}


def test_non_finite_values_are_skipped_and_precision_scales_the_stamp() -> None:
    readings = [Reading("up", math.nan, {"device": "a"}, 1.0), Reading("up", 1.0, {"device": "a"}, 1.5)]
    assert reading_lines(readings, precision="us") == ["up,device=a value=1.0 1500000"]
    assert reading_lines(readings, precision="ns") == ["up,device=a value=1.0 1500000000"]


def test_same_labels_different_values_reuse_nothing_wrong() -> None:
    # The prefix cache is keyed by content: equal label sets share a prefix, others do not.
    a = Reading("if_in_bps", 1.0, {"device": "sw", "ifname": "Gi0/1"}, 1.0)
    b = Reading("if_in_bps", 2.0, {"device": "sw", "ifname": "Gi0/2"}, 1.0)
    c = Reading("if_out_bps", 3.0, {"device": "sw", "ifname": "Gi0/1"}, 1.0)
    assert reading_lines([a, b, c, a]) == [
        "if_in_bps,device=sw,ifname=Gi0/1 value=1.0 1000", "if_in_bps,device=sw,ifname=Gi0/2 value=2.0 1000",
        "if_out_bps,device=sw,ifname=Gi0/1 value=3.0 1000", "if_in_bps,device=sw,ifname=Gi0/1 value=1.0 1000"]


def test_alert_transitions_are_stamped_with_the_state_they_entered() -> None:
    base = dict(rule="room_temperature_high", labels={"device": "th1", "room": "A"},
                severity=Severity.CRITICAL, value=30.5, active_at=100.0, summary='温度 "30.5"',
                clause="003 中心机房巡检管理制度.md:12")
    firing = Alert(state=AlertState.FIRING, fired_at=160.0, **base)  # type: ignore[arg-type]
    resolved = Alert(state=AlertState.RESOLVED, fired_at=160.0, resolved_at=400.0, **base)  # type: ignore[arg-type]
    lines = alert_lines([firing, resolved], precision="s")
    assert lines[0] == (
        "alerts,device=th1,room=A,rule=room_temperature_high,severity=critical,state=firing "
        r'value=30.5,firing=1i,summary="温度 \"30.5\"",clause="003 中心机房巡检管理制度.md:12",'
        f'fingerprint="{firing.fingerprint}" 160')
    assert lines[1].startswith("alerts,device=th1,room=A,rule=room_temperature_high,severity=critical,"
                               "state=resolved value=30.5,firing=0i,")
    assert lines[1].endswith(" 400")


def test_a_payload_is_written_as_string_fields_on_readings_and_alerts() -> None:
    notes = {"diff": "-a\n+b", "version": "3"}
    [line] = reading_lines([Reading("config_changed", 1.0, {"device": "sw", "in_window": "0"}, 2.0, notes)],
                           precision="s")
    assert line == r'config_changed,device=sw,in_window=0 value=1.0,diff="-a\n+b",version="3" 2'
    alert = Alert(rule="config_changed", labels={"device": "sw"}, state=AlertState.FIRING,
                  severity=Severity.WARNING, value=1.0, active_at=2.0, annotations=notes)
    [line] = alert_lines([alert], precision="s")
    assert line.endswith(r',diff="-a\n+b",version="3" 2')


def _reference_line(r: Reading, scale: int) -> str:
    """One reading as the line protocol spec says, with no cache and no shortcut: the oracle."""
    def esc(text: str, special: str) -> str:
        return "".join("\\n" if c == "\n" else "\\" + c if c in special else c for c in text)

    def string(text: str) -> str:
        return esc(text.replace("\\", "\\\\"), '"')

    free = ("diff", "version", "previous")
    tags = "".join(f",{esc(k, ', =')}={esc(v, ', =')}" for k, v in sorted(r.labels.items())
                   if v != "" and k not in free)
    fields = [f"value={r.value!r}"]
    fields += [f'{k}="{string(v)}"' for k, v in sorted(r.labels.items()) if k in free]
    fields += [f'{esc(k, ", =")}="{string(v)}"' for k, v in sorted(r.annotations.items())]
    return f"{esc(r.metric, ', ')}{tags} {','.join(fields)} {round(r.ts * scale)}"


def test_cached_bytes_encoding_equals_the_spec_for_odd_labels_payloads_and_times(
        monkeypatch: pytest.MonkeyPatch) -> None:
    odd = ["plain", "a b", "a,b", "a=b", 'q"uote', "back\\slash", "new\nline", "总部 A,机房=1", ""]
    readings = []
    for i in range(400):
        labels = {"device": odd[i % len(odd)], "site": odd[(i // 3) % len(odd)], "ifname": f"Gi0/{i % 7}"}
        if i % 5 == 0:
            labels["diff"] = odd[i % len(odd)]  # free text: a string field, never a tag
        notes = {"snap shot": odd[(i + 1) % len(odd)]} if i % 11 == 0 else NO_ANNOTATIONS
        value = [1.0, -0.5, 1e21, 123456789.125, 3, math.nan][i % 6]
        metric = ["if_in_bps", "temp celsius", "a,b"][i % 3]
        readings.append(Reading(metric, value, labels, 1_700_000_000.0 + (i // 10) * 0.001, notes))
    # A tiny cache makes it clear and refill mid-stream; each reading twice: hits and misses.
    monkeypatch.setattr(influx_lines, "_PREFIX_CACHE", 5)
    encoder = influx_lines.LineEncoder("ms")
    want = [_reference_line(r, 1000) for r in readings + readings if math.isfinite(r.value)]
    wire = encoder.wire(readings) + encoder.wire(readings)
    assert [line.decode() for line in wire] == want
    assert encoder.readings(readings) == want[:len(want) // 2]


def test_bodies_of_readings_with_a_series_equal_the_spec_whichever_path_makes_them(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(influx_lines, "_PREFIX_CACHE", 5)  # clears and refills mid-write
    table = SeriesTable({"device": "sw 1", "site": "总部,A"})
    values = [0.0, -0.0, 1.0, 23.5, -7.25, 3, 1e-7, 1e16, 1e21, 123456789.125, 2.0 ** 60, 0.1 + 0.2]

    def write(metric: str, ts: list[float], **extra: str) -> list[Reading]:
        return [table.reading(metric, v, {"ifname": f"Gi0/{i % 4}", "load": "50%", **extra},
                              ts[i % len(ts)]) for i, v in enumerate(values)]

    plain = write("if_in_bps", [1_700_000_000.0])
    two_times = write("temp celsius", [1_700_000_000.0, 1_700_000_060.5])
    with_payload = [*plain[:3], replace(plain[3], annotations={"snapshot": "s1"})]
    with_nan = [*plain[:3], table.reading("if_in_bps", math.nan, {"ifname": "Gi0/9"}, 5.0)]
    fielded = write("config_changed", [7.0], diff="-a\n+b")
    no_series = [*plain[:2], Reading("up", 1.0, {"device": "x"}, 9.0)]
    encoder = influx_lines.LineEncoder("ms")
    # Both paths are tried: C loops for plain writes, line by line for anything odd.
    assert encoder._fast(plain) is not None and encoder._fast(two_times) is not None
    assert not any(encoder._fast(odd) for odd in (with_payload, with_nan, fielded, no_series))
    for readings in (plain, two_times, with_payload, with_nan, fielded, no_series, plain):
        body, count = encoder.body(readings)
        want = [_reference_line(r, 1000) for r in readings if math.isfinite(r.value)]
        got = body.decode().split("\n")
        assert got[-1] == "" and count == len(want) == len(got) - 1
        for line, spec in zip(got, want, strict=False):
            # The same line, but a value may be spelled differently (1e+16 or 1e16): same float.
            head, value, stamp = _split_value(line)
            spec_head, spec_value, spec_stamp = _split_value(spec)
            assert (head, stamp) == (spec_head, spec_stamp) and float(value) == float(spec_value)
            if 1e-4 <= abs(float(value)) < 1e16 or float(value) == 0:
                assert line == spec


def _split_value(line: str) -> tuple[str, str, str]:
    head, rest = line.split(" value=", 1)
    value, tail = rest.split(",", 1) if "," in rest.split(" ")[0] else rest.split(" ", 1)
    return head, value, tail


def test_a_long_write_is_encoded_in_chunks_each_by_the_path_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(influx_lines, "_CHUNK", 7)
    table = SeriesTable({"device": "sw1"})
    readings = [table.reading("if_in_bps", float(i), {"ifname": f"Gi0/{i % 5}"}, 1_700_000_000.0 + i // 10)
                for i in range(50)]
    readings[23] = table.reading("if_in_bps", math.nan, {"ifname": "Gi0/9"}, 1_700_000_002.0)
    readings[40] = replace(readings[40], annotations={"snapshot": "s1"})  # these two chunks go line by line
    body, count = influx_lines.LineEncoder("ms").body(readings)
    want = [_reference_line(r, 1000) for r in readings if math.isfinite(r.value)]
    assert body.decode().split("\n") == [*want, ""] and count == 49
