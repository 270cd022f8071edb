"""Linux checks over SSH against a real sshd; host keys refused until trusted; bad logins."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import socket
import subprocess
from pathlib import Path

import paramiko
import pytest

from collectors.ssh import hostkeys
from collectors.ssh.collector import SshCollector, SshShared
from collectors.ssh.options import SshOptions
from monitor.commands import ssh as ssh_cmd
from monitor.scheduler import Job, collect_once
from rules.loader import load_pack

from .conftest import Sshd

DATA = Path(__file__).parents[1] / "data"


def write_config(tmp_path: Path, sshd: Sshd, password: str) -> Path:
    path = tmp_path / "roomwatch.toml"
    path.write_text(
        f'state_dir = "{tmp_path}/state"\n[[devices]]\nname = "db-01"\nkind = "server"\n'
        f'address = "127.0.0.1"\nport = {sshd.port}\n'
        f'ssh = {{ device_type = "linux", username = "{sshd.user}", password = "env:RW_TEST_PW", '
        f'mdstat = "{sshd.public_dir}/mdstat", command_timeout = "20s" }}\n'
    )
    return path


def collector(tmp_path: Path, sshd: Sshd, password: str) -> SshCollector:
    shutil.copy(DATA / "mdstat_degraded.txt", sshd.public_dir / "mdstat")
    (sshd.public_dir / "mdstat").chmod(0o644)
    options = SshOptions.model_validate(
        {
            "device_type": "linux",
            "username": sshd.user,
            "password": password,
            "mdstat": str(sshd.public_dir / "mdstat"),
            "command_timeout": "20s",
        }
    )
    shared = SshShared.create(tmp_path / "state", [])
    return SshCollector("db-01", options, address="127.0.0.1", port=sshd.port, shared=shared)


def trust(config: Path, fingerprint: str | None) -> int:
    return ssh_cmd.run_trust(argparse.Namespace(config=config, device="db-01", fingerprint=fingerprint))


def fingerprint_of(pub: Path) -> str:
    out = subprocess.run(["ssh-keygen", "-lf", str(pub)], check=True, capture_output=True, text=True)
    return out.stdout.split()[1]


def test_unknown_key_refused_then_trusted_then_linux_checks(
    tmp_path: Path, sshd: Sshd, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RW_TEST_PW", sshd.password)
    col = collector(tmp_path, sshd, sshd.password)
    first = asyncio.run(col.collect(1000.0))
    values = {r.metric: r.value for r in first}
    assert values == {"ssh_host_key_unknown": 1.0, "ssh_host_key_changed": 0.0}

    config = write_config(tmp_path, sshd, sshd.password)
    real = fingerprint_of(sshd.host_key.with_suffix(".pub"))
    assert trust(config, "SHA256:" + "A" * 43) == ssh_cmd.EXIT_REFUSED
    assert "refused" in capsys.readouterr().err
    assert not col.shared.known_hosts.exists()
    assert trust(config, real) == 0
    assert real in capsys.readouterr().out
    assert trust(config, real) == 0  # idempotent

    readings = asyncio.run(col.collect(1060.0))
    by = {(r.metric, tuple(sorted(r.labels.items()))): r.value for r in readings}
    assert by[("ssh_host_key_unknown", ())] == 0.0
    raid = {dict(labels)["array"]: v for (metric, labels), v in by.items() if metric == "raid_degraded"}
    assert 1.0 in raid.values() and 0.0 in raid.values()
    assert by[("disk_used_percent", (("mount", "/"),))] > 0
    assert sshd.password not in repr(readings)


def test_changed_key_is_refused_as_a_security_event(
    tmp_path: Path, sshd: Sshd, caplog: pytest.LogCaptureFixture
) -> None:
    col = collector(tmp_path, sshd, sshd.password)
    other = paramiko.Ed25519Key.from_private_key_file(str(_other_key(tmp_path)))
    hostkeys.record(col.shared.known_hosts, "127.0.0.1", sshd.port, other)
    with caplog.at_level(logging.WARNING):
        readings = asyncio.run(col.collect(1000.0))
    assert {r.metric: r.value for r in readings} == {"ssh_host_key_unknown": 0.0, "ssh_host_key_changed": 1.0}
    assert "HOST KEY CHANGED" in caplog.text and hostkeys.fingerprint(other) in caplog.text


def test_wrong_password_is_an_authentication_failure_not_down(
    tmp_path: Path, sshd: Sshd, caplog: pytest.LogCaptureFixture
) -> None:
    col = collector(tmp_path, sshd, "Wr0ng-Pl4nted-pw")
    key = hostkeys.fetch_key("127.0.0.1", sshd.port, 5)
    hostkeys.record(col.shared.known_hosts, "127.0.0.1", sshd.port, key)
    job = Job(device="db-01", labels={"device": "db-01"}, collector=col, interval=60, timeout=30)
    with caplog.at_level(logging.WARNING):
        readings = asyncio.run(collect_once(job, 1000.0))
        again = asyncio.run(collect_once(job, 1060.0))
    values = {r.metric: r.value for r in readings}
    assert values == {"ssh_auth_failed": 1.0, "ssh_host_key_unknown": 0.0, "ssh_host_key_changed": 0.0,
                      "up": 1.0}
    assert {r.metric: r.value for r in again} == values
    [line] = [r.getMessage() for r in caplog.records]  # once, not once per poll
    assert "login refused" in line and sshd.user in line and "Wr0ng-Pl4nted-pw" not in caplog.text
    [rule] = [r for r in load_pack("regulation") if r.name == "ssh_auth_failed"]
    assert rule.metric == "ssh_auth_failed" and "登录被拒绝" in rule.summary and "无响应" not in rule.summary


def test_a_device_that_never_sends_a_banner_is_one_line_not_tracebacks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as silent:  # accepts, then says nothing: a hung or non-SSH service
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        options = SshOptions.model_validate({"device_type": "linux", "username": "x", "password": "y",
                                             "connect_timeout": "0.5s"})
        col = SshCollector("db-02", options, address="127.0.0.1", port=port,
                           shared=SshShared.create(tmp_path / "state", []))
        job = Job(device="db-02", labels={"device": "db-02"}, collector=col, interval=60, timeout=30)
        with caplog.at_level(logging.DEBUG):
            for minute in range(3):
                readings = asyncio.run(collect_once(job, 1000.0 + 60 * minute))
                assert [(r.metric, r.value) for r in readings] == [("up", 0.0)]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        f"device=db-02 collection failed: ssh db-02: 127.0.0.1:{port}"
        " accepted the connection but no SSH handshake followed within 0.5s (no banner: not an SSH "
        "server, or hung)"]
    assert not any(r.exc_info or "Traceback" in r.getMessage() for r in caplog.records)


def _other_key(tmp_path: Path) -> Path:
    path = tmp_path / "other_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path
