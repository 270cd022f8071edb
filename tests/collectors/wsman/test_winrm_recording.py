"""The winrm transport against a loopback WS-Management listener replaying a PowerShell JSON
recording (no Windows here): pywinrm's real conversation (basic auth over TLS, a shell, the
encoded command, receives after an OperationTimeout fault), the same parsers as over OpenSSH;
a wrong password and a listener that never answers become ``up 0`` with errors that never
carry the password."""

from __future__ import annotations

import asyncio
import logging
import socket
from datetime import datetime
from pathlib import Path

import pytest

from collectors.posture import windows_script
from collectors.posture.options import CHECKS
from monitor import config, wiring
from monitor.core.model import Reading
from monitor.scheduler import collect_once

from .wsman import listening

RECORDINGS = Path(__file__).parents[1] / "posture" / "data"
NOW = datetime.fromisoformat("2026-12-03T12:00:00+00:00").timestamp()
PASSWORD = "Wr0ng-or-Right!7"


def _settings(tmp_path: Path, winrm: str, extra: str = "") -> config.Settings:
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'state_dir = "{tmp_path}/state"\n[[devices]]\nname = "win-old-01"\nkind = "server"\n'
                    f'address = "127.0.0.1"\nroom = "一号机房"\n{extra}\n[devices.winrm]\n{winrm}\n',
                    encoding="utf-8")
    return config.load(path)[0]


def _poll(settings: config.Settings) -> list[Reading]:
    [job] = wiring.build_jobs(settings)

    async def run() -> list[Reading]:
        try:
            return await collect_once(job, NOW)
        finally:
            await job.collector.close()
    return asyncio.run(run())


def _by(readings: list[Reading]) -> dict[str, float]:
    return {r.metric + "".join(f",{k}={v}" for k, v in sorted(r.labels.items())
                               if k in ("check", "mount", "update", "product")): r.value for r in readings}


def _tls(port: int, ca: Path, password: str = "env:RW_TEST_WINRM_PASSWORD") -> str:
    return (f'username = "roomwatch"\npassword = "{password}"\nauth = "basic"\nhttps = true\n'
            f'port = {port}\nca_file = "{ca}"\noperation_timeout = "1s"\nread_timeout = "5s"\n'
            'command_timeout = "20s"')


def test_winrm_recording_readings_and_every_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RW_TEST_WINRM_PASSWORD", PASSWORD)
    recording = (RECORDINGS / "windows_ps51_en.json").read_bytes()
    with listening(tmp_path, username="roomwatch", password=PASSWORD, stdout=recording) as wsman:
        port = int(wsman.endpoint.rsplit(":", 1)[1].split("/")[0])
        readings = _poll(_settings(tmp_path, _tls(port, wsman.ca_file)))
        assert not wsman.open_shells  # the shell was closed, not left to count against MaxShellsPerUser
    assert wsman.scripts == [windows_script.script(CHECKS, server=True)]
    assert wsman.codepages == ["65001"]
    assert wsman.actions == ["Create", "Command", "Receive", "Receive", "Receive", "Signal", "Delete"]
    got = _by(readings)
    assert got["up"] == 1 and got["memory_percent"] == 75 and got["disk_used_percent,mount=C:"] == 70
    assert got["cpu_percent"] == 16 and got["uptime_seconds"] == 3 * 86400 - 120
    assert got["patch_security_pending"] == 2 and got["patch_pending_update,update=KB5048661"] == 1
    assert got["av_running,product=defender"] == 1 and got["egress_mail_connections"] == 1
    flags = {k.split("=", 1)[1]: v for k, v in got.items() if k.startswith("posture_check_unavailable")}
    assert set(flags) == set(CHECKS) and flags["software"] == 1  # no approved baseline: 无法检查
    assert sum(flags.values()) == 1
    assert all(r.labels["device"] == "win-old-01" for r in readings)
    assert "ssh_host_key_unknown" not in got and got["winrm_auth_failed"] == 0  # no SSH involved


def test_winrm_recording_posture_off_keeps_the_server_readings(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RW_TEST_WINRM_PASSWORD", PASSWORD)
    recording = (RECORDINGS / "windows_ps7_zh.json").read_bytes()
    with listening(tmp_path, username="roomwatch", password=PASSWORD, stdout=recording) as wsman:
        port = int(wsman.endpoint.rsplit(":", 1)[1].split("/")[0])
        got = _by(_poll(_settings(tmp_path, _tls(port, wsman.ca_file), extra="posture = false")))
    assert wsman.scripts == [windows_script.script([], server=True)]
    assert got == {"up": 1.0, "winrm_auth_failed": 0.0, "cpu_percent": 7.0, "memory_percent": 75.0,
                   "uptime_seconds": 2.5 * 86400, "disk_used_percent,mount=C:": 90.0}


def test_winrm_recording_wrong_password_is_a_clear_error_without_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("RW_TEST_WINRM_PASSWORD", PASSWORD)
    recording = (RECORDINGS / "windows_ps51_en.json").read_bytes()
    with listening(tmp_path, username="roomwatch", password="the-right-one", stdout=recording) as wsman:
        port = int(wsman.endpoint.rsplit(":", 1)[1].split("/")[0])
        settings = _settings(tmp_path, _tls(port, wsman.ca_file))
        [job] = wiring.build_jobs(settings)
        with caplog.at_level(logging.DEBUG):
            readings = asyncio.run(collect_once(job, NOW))
    # It answered: not down, but nothing was checked (its own rule, as ssh_auth_failed).
    assert _by(readings) == {"up": 1.0, "winrm_auth_failed": 1.0} and not wsman.scripts
    assert "login refused for user 'roomwatch'" in caplog.text
    assert "wrong user name or password" in caplog.text
    assert PASSWORD not in caplog.text


def test_winrm_recording_untrusted_certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RW_TEST_WINRM_PASSWORD", PASSWORD)
    with listening(tmp_path, username="roomwatch", password=PASSWORD, stdout=b"{}") as wsman:
        port = int(wsman.endpoint.rsplit(":", 1)[1].split("/")[0])
        other = tmp_path / "other"
        other.mkdir()
        from .wsman import certificate
        wrong_ca, _ = certificate(other)
        [job] = wiring.build_jobs(_settings(tmp_path, _tls(port, wrong_ca)))
        readings = asyncio.run(collect_once(job, NOW))
    assert _by(readings) == {"up": 0.0} and "certificate" in (job.failing or "") and not wsman.actions


def test_winrm_listener_that_never_answers_is_up_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RW_TEST_WINRM_PASSWORD", PASSWORD)
    # A listening socket nobody accepts from: TCP connects, no HTTP answer ever comes.
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen(4)
        port = mute.getsockname()[1]
        winrm = (f'username = "roomwatch"\npassword = "env:RW_TEST_WINRM_PASSWORD"\nport = {port}\n'
                 'operation_timeout = "1s"\nread_timeout = "2s"')
        [job] = wiring.build_jobs(_settings(tmp_path, winrm))
        readings = asyncio.run(collect_once(job, NOW))
    assert _by(readings) == {"up": 0.0}
    assert job.failing is not None and "did not answer within 2s" in job.failing
    assert PASSWORD not in job.failing


def test_winrm_options_refuse_basic_without_tls(tmp_path: Path) -> None:
    with pytest.raises(Exception, match=r"devices\[0\].*basic.*https"):
        _settings(tmp_path, 'username = "roomwatch"\npassword = "x"\nauth = "basic"')
