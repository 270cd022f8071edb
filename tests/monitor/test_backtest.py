"""``roomwatch rules backtest`` on a real SQLite store: last week's readings through the current
rules and a candidate file, per-rule incidents, notifications and longest firing, and the difference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.cli import parser
from monitor.core.model import Reading
from monitor.store.sqlite import SQLiteStore

NOW = 1_700_000_000.0
SENSOR = {"device": "th-1", "kind": "sensor", "sensor": "t1", "room": "一号机房"}
CANDIDATE = """
[[rules]]
name = "room_temperature"
metric = "temperature_celsius"
matchers = ["kind=sensor"]
outside = [18.0, 29.0]
hysteresis = 0.5
for = "10m"
severity = "warning"
summary = "{device} 机房温度 {value:.1f} °C"
clause = "《本院信息机房管理规定》第十二条"
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """Config and store: two days of a sensor, a 30-minute 28.6 °C spell, a 3-minute 29.5 °C one."""
    state = tmp_path / "state"
    state.mkdir()
    store = SQLiteStore(state / "roomwatch.db")
    start = NOW - 2 * 86400
    readings = []
    for k in range(2 * 1440):  # one reading a minute
        t = start + 60 * k
        value = 24.0
        if 600 <= k < 630:
            value = 28.6
        elif 2000 <= k < 2003:
            value = 29.5
        readings.append(Reading("temperature_celsius", value, SENSOR, t))
    store.write(readings)
    store.flush()
    store.close()
    (tmp_path / "rules.toml").write_text(CANDIDATE, encoding="utf-8")
    config = tmp_path / "r.toml"
    config.write_text(f'state_dir = "{state}"\n[notify]\nurls = ["json://127.0.0.1:9/"]\n', encoding="utf-8")
    return config


def backtest(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    args = parser().parse_args(["rules", "backtest", *argv])
    code: int = args.handler(args, now=NOW)
    return code, capsys.readouterr().out


def test_the_week_through_current_and_candidate_rules(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = backtest(capsys, "-c", str(site), "--since", "7d", "--json",
                         "--rules", str(site.parent / "rules.toml"))
    assert code == 0
    doc = json.loads(out)
    assert doc["readings"] == 2 * 1440
    row = next(r for r in doc["rules"] if r["rule"] == "room_temperature")
    # today: two incidents, each paged and resolved (urls shorthand: told at once, no grouping)
    assert row["current"] == {"incidents": 2, "notifications": 4, "longest_firing_s": 30 * 60}
    # 29 °C for 10 minutes: the 28.6 spell is normal, the 3-minute 29.5 blip never lasts 10 min
    assert row["candidate"] == {"incidents": 0, "notifications": 0, "longest_firing_s": 0}


def test_table_shows_the_difference_and_a_short_span(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = backtest(capsys, "-c", str(site), "--rules", str(site.parent / "rules.toml"))
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("room_temperature"))
    assert line.split()[:4] == ["room_temperature", "2", "4", "0h30m"] and "0 (-2), 0 (-4), -" in line
    code, out = backtest(capsys, "-c", str(site), "--since", "1h")  # before the spells: nothing
    assert code == 0 and "(no rule fired)" in out and "60 reading(s)" in out


def test_a_bad_since_or_rule_file_is_a_usage_error(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert backtest(capsys, "-c", str(site), "--since", "soon")[0] == 2
    bad = site.parent / "bad.toml"
    bad.write_text('[[rules]]\nname = "x"\n', encoding="utf-8")
    code, out = backtest(capsys, "-c", str(site), "--rules", str(bad))
    assert code == 2 and "bad.toml" in out
