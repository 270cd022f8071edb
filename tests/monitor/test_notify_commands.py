"""``silence add|list|expire``, ``ack`` and ``test-notify`` against a real state directory."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from alerts.ack import Acks
from alerts.db import Database
from alerts.state import State
from monitor.commands import ack, silence, test_notify

from ..alerts.helpers import alert


def _config(tmp_path: Path, url: str = "json://127.0.0.1:9/") -> Path:
    path = tmp_path / "r.toml"
    path.write_text(f'state_dir = "{tmp_path}/state"\ndevices = []\n[notify]\nurls = ["{url}"]\n'
                    f'[[notify.receivers]]\nname = "bad"\nurls = ["json://127.0.0.1:1/x"]\n')
    return path


def test_silence_add_list_expire(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path)
    ns = argparse.Namespace(config=cfg, matchers=["device=core-sw-1"], duration="2h", comment="割接",
                            by="张三")
    assert silence.run_add(ns) == 0
    assert "silence 1 added: device=core-sw-1 for 2h" in capsys.readouterr().out
    assert silence.run_list(argparse.Namespace(config=cfg, all=False, json=True)) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["matchers"] == ["device=core-sw-1"] and row["by"] == "张三" and row["active"]
    assert silence.run_expire(argparse.Namespace(config=cfg, id=1)) == 0
    assert silence.run_expire(argparse.Namespace(config=cfg, id=1)) == 1
    bad = argparse.Namespace(config=cfg, matchers=["device"], duration="2h", comment="", by="x")
    assert silence.run_add(bad) == 2


def test_silence_for_needs_a_unit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path)
    bare = argparse.Namespace(config=cfg, matchers=["device=x"], duration="2", comment="", by="x")
    assert silence.run_add(bare) == 2
    err = capsys.readouterr().err
    assert "'2' has no unit: write e.g. 2s, 2m or 2h" in err
    assert not (tmp_path / "state" / "alerts.db").exists()  # nothing was stored


def test_ack_by_id_and_by_matchers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path)
    (tmp_path / "state").mkdir()
    db = Database(tmp_path / "state" / "alerts.db")
    state = State(db)
    with db.transaction() as tx:
        for a in (alert("core-sw-1"), alert("th-1"), alert("th-2")):
            state.put_alert(tx, a)
    one = alert("core-sw-1").fingerprint
    assert ack.run(argparse.Namespace(config=cfg, what=[one], by="李四", comment="到场")) == 0
    assert ack.run(argparse.Namespace(config=cfg, what=["device=~th-.*"], by="王五", comment="")) == 0
    assert ack.run(argparse.Namespace(config=cfg, what=["device=nope"], by="x", comment="")) == 1
    acks = Acks(db).all()
    assert {a.by for a in acks.values()} == {"李四", "王五"} and len(acks) == 3


def test_test_notify_reports_success_and_failure(receiver, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path, receiver.url)
    assert test_notify.run(argparse.Namespace(config=cfg, receiver="default")) == 0
    assert receiver.bodies()[0]["title"] == "[测试] roomwatch 通知测试"
    assert test_notify.run(argparse.Namespace(config=cfg, receiver="bad")) == 1
    assert "FAILED bad:" in capsys.readouterr().out
    assert test_notify.run(argparse.Namespace(config=cfg, receiver="nobody")) == 2


def test_nothing_matching_says_which_config_and_state_dir(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _config(tmp_path)
    where = f"looked in config {cfg}, state directory {tmp_path}/state"
    assert ack.run(argparse.Namespace(config=cfg, what=["device=nope"], by="x", comment="")) == 1
    assert capsys.readouterr().out == f"ack: no firing alert matches (0 firing; {where})\n"
    assert silence.run_expire(argparse.Namespace(config=cfg, id=7)) == 1
    assert capsys.readouterr().out == f"no running silence 7 ({where})\n"
    assert silence.run_list(argparse.Namespace(config=cfg, all=False, json=False)) == 0
    assert capsys.readouterr().out == f"no silences ({where})\n"
    ns = argparse.Namespace(config=cfg, matchers=["device=core-sw-l"], duration="2h", comment="", by="x")
    assert silence.run_add(ns) == 0
    assert capsys.readouterr().out.splitlines()[1] == f"note: no current alert matches it ({where})"
    assert test_notify.run(argparse.Namespace(config=cfg, receiver="nobody")) == 2
    assert capsys.readouterr().out == f"no receiver named 'nobody' (known: bad, default; {where})\n"
