"""Linux posture over a real sshd on loopback with a throw-away user: one SSH round trip per
poll (plus the slow run every slow_interval), the same parsers as on the local host, the
host key checked, failures reported as 无法检查 instead of silence."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from collectors.posture import collector as collector_mod
from collectors.posture.collector import PostureCollector, WithPosture
from collectors.posture.options import CHECKS, PostureOptions
from collectors.ssh import hostkeys
from monitor.core.model import Reading

from .conftest import Server
from .test_local_host import by

NOW = 1_796_000_000.0


def policy_files(where: Path) -> PostureOptions:
    (where / "login.defs").write_text("PASS_MAX_DAYS\t60\n")
    (where / "pwquality.conf").write_text("minlen = 10\nucredit = -1\nlcredit = -1\ndcredit = -1\n")
    (where / "common-password").write_text("password requisite pam_pwquality.so retry=3\n")
    (where / "app.log").write_text("x" * 500)
    for name in ("login.defs", "pwquality.conf", "common-password", "app.log"):
        (where / name).chmod(0o644)
    return PostureOptions(login_defs=str(where / "login.defs"), pwquality_conf=str(where / "pwquality.conf"),
                          pam_password=[str(where / "common-password")], log_files=[str(where / "app.log")])


def test_one_round_trip_per_poll_and_same_parsers_as_local(
        tmp_path: Path, linux_server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = collector_mod.run_ssh

    def counted(target: Any, command: str, stdin: str | None = None) -> str:
        calls.append("slow" if stdin and "dpkg-query" in stdin else "poll")
        return real(target, command, stdin)

    monkeypatch.setattr(collector_mod, "run_ssh", counted)
    # All checks but patches: apt's solver takes many seconds here; the local test covers it.
    opts = policy_files(linux_server.sshd.public_dir).model_copy(
        update={"checks": [c for c in CHECKS if c != "patches"]})
    remote = PostureCollector("db-01", opts, state_dir=tmp_path / "r", target=linux_server.target)
    local = PostureCollector("db-01", opts, state_dir=tmp_path / "l")

    async def polls() -> tuple[list[Reading], list[Reading], list[Reading]]:
        first = await remote.collect(NOW)
        await remote.slow_done()
        second = await remote.collect(NOW + 60)
        here = await local.collect(NOW + 60)
        await remote.close()
        await local.close()
        return first, second, here

    first, second, here = asyncio.run(polls())
    assert calls == ["poll", "slow", "poll"]
    got, mine = by(second), by(here)
    for metric in ("password_min_length", "password_classes_required", "password_max_age_days",
                   "usb_storage_allowed", "optical_drive_enabled", f"log_truncated,path={opts.log_files[0]}"):
        assert got[metric] == mine[metric], metric
    assert got["password_min_length"] == 10 and got["password_max_age_days"] == 60
    assert got["software_installed_packages"] > 50
    assert {r.labels["check"] for r in first if r.metric == "posture_check_unavailable"} == set(opts.checks)
    assert linux_server.sshd.password not in repr(first + second)


def test_truncated_log_over_ssh(tmp_path: Path, linux_server: Server) -> None:
    opts = policy_files(linux_server.sshd.public_dir).model_copy(update={"checks": ["logs"]})
    col = PostureCollector("db-01", opts, state_dir=tmp_path, target=linux_server.target)
    log_file = Path(opts.log_files[0])
    assert by(asyncio.run(col.collect(NOW)))[f"log_truncated,path={log_file}"] == 0
    log_file.write_text("")
    assert by(asyncio.run(col.collect(NOW + 60)))[f"log_truncated,path={log_file}"] == 1


def test_unknown_host_key_is_refused_and_said(tmp_path: Path, linux_server: Server) -> None:
    linux_server.target.known_hosts.unlink()
    col = PostureCollector("win", PostureOptions(checks=["egress"]), state_dir=tmp_path,
                           target=linux_server.target, reports_host_key=True)
    assert by(asyncio.run(col.collect(NOW))) == {"ssh_host_key_unknown": 1.0, "ssh_host_key_changed": 0.0}


class _Dead:
    async def collect(self, now: float) -> list[Reading]:
        return [Reading("cpu_percent", 3.0, {}, now)]

    async def close(self) -> None:
        return None


def test_posture_failure_keeps_the_host_readings_and_says_why(
        tmp_path: Path, linux_server: Server, caplog: pytest.LogCaptureFixture) -> None:
    bad = replace(linux_server.target, password="Wr0ng-pw-planted")
    col = WithPosture(_Dead(), PostureCollector("db-01", PostureOptions(), state_dir=tmp_path, target=bad))
    async def poll() -> list[Reading]:
        try:
            return await col.collect(NOW)
        finally:
            await col.close()

    with caplog.at_level(logging.WARNING):
        readings = asyncio.run(poll())
    got = {r.metric: r for r in readings}
    assert got["cpu_percent"].value == 3.0
    flags = [r for r in readings if r.metric == "posture_check_unavailable"]
    assert len(flags) == len(CHECKS) and all(r.value == 1 for r in flags)
    assert "authentication failed" in flags[0].labels["reason"]
    assert "Wr0ng-pw-planted" not in caplog.text + repr(readings)
    assert hostkeys.known_key(bad.known_hosts, "127.0.0.1", bad.port) is not None
