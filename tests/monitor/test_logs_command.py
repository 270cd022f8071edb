"""``roomwatch logs verify|search`` on a real evidence store: 0 when every day holds, 1 naming the
day whose row was altered, 2 for usage; search filters and prints JSON."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collectors.syslog.parse import parse
from monitor.cli import main
from monitor.store.evidence import Evidence

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY1 = dt.datetime(2026, 12, 1, 10, tzinfo=SHANGHAI).timestamp()
LINES = [b"<38>Dec  1 10:00:00 web1 sshd[1]: Failed password for root from 192.0.2.66 port 22 ssh2",
         b"<27>Dec  1 10:00:02 web1 kernel: EXT4-fs error (device sda1)",
         "<134>Dec  1 10:00:03 old-sw 用户登录失败".encode("gbk")]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    conf = tmp_path / "roomwatch.toml"
    state = tmp_path / "state"
    conf.write_text(f'state_dir = "{state}"\n[report]\ntimezone = "Asia/Shanghai"\n'
                    '[syslog]\nenabled = true\nlisten = ["udp://127.0.0.1:0"]\n')
    state.mkdir(mode=0o700)
    ev = Evidence(state / "syslog.db", zone=SHANGHAI)
    for day in range(2):
        ev.append([parse(line, received=DAY1 + day * 86400 + i, source="192.0.2.7", device="web1")
                   for i, line in enumerate(LINES)])
    ev.seal(DAY1 + 86400)
    ev.close()
    return conf


def test_verify_ok_then_an_altered_row_is_named(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "verify", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "2026-12-01" in out and "2 day(s) checked, 0 broken" in out
    with sqlite3.connect(config.parent / "state" / "syslog.db") as db:
        db.execute("UPDATE messages SET text = 'kernel: all fine' WHERE day = '2026-12-02' AND seq = 2")
    assert main(["logs", "verify", "-c", str(config), "--json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert got["broken"] == ["2026-12-02"]
    [bad] = [d for d in got["days"] if d["problem"]]
    assert bad["problem"] == "message 2 was altered (its hash does not follow the chain)"
    assert main(["logs", "verify", "-c", str(config), "--since", "2026-12-01"]) == 1
    assert main(["logs", "verify", "-c", str(config), "--since", "yesterday-ish"]) == 2


def test_search(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs", "search", "-c", str(config), "--text", "登录", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == ["用户登录失败"] * 2
    assert main(["logs", "search", "-c", str(config), "--severity", "err", "--since", "2026-12-02"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert line == "2026-12-02 10:00:01  web1  err      kernel: EXT4-fs error (device sda1)"


def test_no_store_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    conf = tmp_path / "roomwatch.toml"
    conf.write_text(f'state_dir = "{tmp_path / "empty"}"\n')
    assert main(["logs", "verify", "-c", str(conf)]) == 2
    assert "no syslog evidence store" in capsys.readouterr().err
