"""Configuration backup and change control against fake-switches' Cisco model on loopback."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest
from netmiko import ConnectHandler

from alerts.message import render
from collectors.ssh import hostkeys
from collectors.ssh.collector import SshCollector, SshShared
from collectors.ssh.options import SshOptions
from monitor.commands import config_history
from monitor.core.model import Alert, AlertState, Severity
from monitor.core.windows import Window

from .conftest import FakeSwitch

PLANTED = ["Pl4ntedFakeEnable", "Pl4ntedFakeUserPw", "Pl4ntedFakeComm", "sw-login-pw", "enable-pw"]
EXTRA = "\n".join(
    [
        "enable secret 5 $1$Pl4nt$Pl4ntedFakeEnable",
        "username admin privilege 15 secret 0 Pl4ntedFakeUserPw",
        "snmp-server community Pl4ntedFakeComm RO",
    ]
)
ZONE = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZONE).timestamp()  # a Monday morning
DAY = 86400.0


def configure(switch: FakeSwitch, *lines: str) -> None:
    """Change the running configuration the way an operator would (fake-switches has no `end`)."""
    conn = ConnectHandler(
        device_type="cisco_ios",
        host="127.0.0.1",
        port=switch.port,
        username=switch.username,
        password=switch.password,
        secret=switch.enable,
        allow_agent=False,
        use_keys=False,
    )
    try:
        conn.enable()
        for line in ["configure terminal", *lines, "exit", "exit"]:
            conn.send_command_timing(line, last_read=0.3, read_timeout=5)
    finally:
        conn.disconnect()


def changes(readings: list) -> list:
    return [r for r in readings if r.metric == "config_changed"]


@pytest.mark.parametrize("fake_cisco", [EXTRA], indirect=True)
def test_one_change_one_config_changed_with_masked_diff(
    fake_cisco: FakeSwitch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    window = Window.model_validate(
        {"name": "周四晚割接", "from": "2026-03-05T22:00", "until": "2026-03-06T02:00"}
    )
    shared = SshShared.create(tmp_path / "state", [window])
    hostkeys.record(
        shared.known_hosts, "127.0.0.1", fake_cisco.port, hostkeys.fetch_key("127.0.0.1", fake_cisco.port, 5)
    )
    options = SshOptions.model_validate(
        {
            "device_type": "cisco_ios",
            "username": fake_cisco.username,
            "password": fake_cisco.password,
            "enable_secret": fake_cisco.enable,
            "port": fake_cisco.port,
            "backup_interval": "1d",
        }
    )
    col = SshCollector("fake-sw", options, address="127.0.0.1", labels={"device": "fake-sw"}, shared=shared)

    with caplog.at_level(logging.DEBUG):
        baseline = asyncio.run(col.collect(T0))
        assert [(r.value, dict(r.labels)) for r in changes(baseline)] == [(0.0, {})]
        assert changes(asyncio.run(col.collect(T0 + 60))) == []  # not due yet: no fetch

        configure(fake_cisco, "interface FastEthernet0/3", "description to-room2")
        first = changes(asyncio.run(col.collect(T0 + DAY)))
        again = changes(asyncio.run(col.collect(T0 + 2 * DAY)))  # nothing changed since

        configure(fake_cisco, "vlan 30", "name cameras")
        inside = changes(asyncio.run(col.collect(dt.datetime(2026, 3, 5, 23, 0, tzinfo=ZONE).timestamp())))

    assert [r.value for r in first] == [1.0] and [r.value for r in again] == [0.0]
    labels = first[0].labels
    assert (labels["in_window"], labels["window"], labels["previous"], labels["version"]) == (
        "0",
        "",
        "1",
        "2",
    )
    diff = labels["diff"]
    assert diff.startswith("outside any declared maintenance window (003")
    assert "--- fake-sw v1\n+++ fake-sw v2\n" in diff
    assert " interface FastEthernet0/3\n+ description to-room2\n" in diff
    assert [
        line for line in diff.splitlines() if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ] == ["+ description to-room2"]

    assert [r.value for r in inside] == [1.0]
    assert (inside[0].labels["in_window"], inside[0].labels["window"]) == ("1", "周四晚割接")
    assert "inside maintenance window '周四晚割接'" in inside[0].labels["diff"]
    assert "+vlan 30" in inside[0].labels["diff"]

    alert = Alert(
        rule="config_changed",
        labels={"device": "fake-sw", **labels},
        state=AlertState.FIRING,
        severity=Severity.WARNING,
        value=1.0,
        active_at=T0 + DAY,
        summary="配置变更",
    )
    title, body = render(alert)
    assert "description to-room2" in body

    stored = (tmp_path / "state" / "configs.db").read_bytes()
    everything = {
        "storage": stored.decode("utf-8", "replace"),
        "diff": diff,
        "alert": title + body,
        "log": caplog.text,
        "readings": repr(baseline + first + inside),
    }
    leaks = {where: s for where, text in everything.items() for s in PLANTED if s in text}
    assert leaks == {}
    assert "enable secret 5 <secret-hidden>" in everything["storage"]

    config = tmp_path / "rw.toml"
    config.write_text(f'state_dir = "{tmp_path}/state"\n')
    args = argparse.Namespace(config=config, device="fake-sw", diff=None, show=None)
    assert config_history.run(args) == 0
    listing = capsys.readouterr().out
    assert "(outside any window)" in listing and "周四晚割接" in listing and len(listing.splitlines()) == 4
    assert (
        config_history.run(argparse.Namespace(config=config, device="fake-sw", diff=[1, 2], show=None)) == 0
    )
    assert "+ description to-room2" in capsys.readouterr().out
    assert (
        config_history.run(argparse.Namespace(config=config, device="fake-sw", diff=[1, 9], show=None)) == 2
    )
