"""Line protocol as 动环 scripts and Telegraf print it."""

from collectors.lineproto import parse


def test_plain_value_with_tags_and_timestamp() -> None:
    result = parse("temperature_celsius,sensor=north,room=一号机房 value=23.5 1700000000000000000", 5.0)
    assert result.errors == []
    [r] = result.readings
    assert (r.metric, r.value, dict(r.labels), r.ts) == (
        "temperature_celsius", 23.5, {"sensor": "north", "room": "一号机房"}, 1.7e9)


def test_no_timestamp_takes_now_and_other_fields_get_suffix() -> None:
    result = parse("ups,unit=1 value=1i,load_percent=37.5,model=\"SMT 3000\",on=t", 42.0)
    assert [(r.metric, r.value, r.ts) for r in result.readings] == [
        ("ups", 1.0, 42.0), ("ups_load_percent", 37.5, 42.0), ("ups_on", 1.0, 42.0)]


def test_escapes_in_tags_and_quoted_spaces() -> None:
    result = parse('disk_used_percent,mount=/mnt/my\\ disk,note=a\\,b value=12 ', 1.0)
    assert result.errors == []
    assert dict(result.readings[0].labels) == {"mount": "/mnt/my disk", "note": "a,b"}
    quoted = parse('x msg="a b c",value=3 7000000000', 1.0)
    assert [(r.metric, r.value, r.ts) for r in quoted.readings] == [("x", 3.0, 7.0)]


def test_garbage_lines_are_reported_with_line_numbers() -> None:
    text = "\n".join([
        "# comment",
        "humidity_percent value=48",
        "this is not line protocol",
        "temp,sensor value=1",
        "temp value=abc",
        "temp value=nan",
        "temp value=1 notatime",
        'temp value="unterminated',
        "",
    ])
    result = parse(text, 0.0)
    assert [r.metric for r in result.readings] == ["humidity_percent"]
    assert [n for n, _ in result.errors] == [3, 4, 5, 6, 7, 8]
    assert "not a number" in dict(result.errors)[5]
