"""The [syslog] section through config, wiring and the running daemon: a device's "log cleared"
is judged and told at once and the message lands in the evidence store; config errors name the
field."""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pytest

from collectors.syslog.receiver import SyslogListener
from monitor import config as config_mod
from monitor import daemon, wiring
from monitor.core.errors import ConfigError
from tests.procs import running

CLEARED = (b'<189>Dec  3 2026 16:00:00 core-sw %%01SHELL/5/CMDRECORD(s)[31]:Recorded command information. '
           b'(Task=VT0, Ip=192.0.2.7, VpnName=, User=admin, AuthenticationMethod="Password", '
           b'Command="reset logbuffer")')


def _config(tmp_path: Path, receiver_url: str, syslog: str) -> Path:
    path = tmp_path / "r.toml"
    path.write_text(
        f'state_dir = "{tmp_path}/state"\n[rules]\nevaluate_interval = "60s"\n'
        f'[notify]\nurls = ["{receiver_url}"]\n'
        '[[devices]]\nname = "nms"\nkind = "server"\ninterval = "60s"\nlocal = {}\n'
        '[[devices]]\nname = "core-sw"\nkind = "switch"\naddress = "127.0.0.1"\nroom = "A"\n'
        'interval = "60s"\n'
        'exec = { command = ["true"] }\n'
        f"{syslog}", encoding="utf-8")
    return path


def test_a_cleared_log_is_told_at_once_and_kept_as_evidence(tmp_path: Path, receiver) -> None:  # type: ignore[no-untyped-def]
    path = _config(tmp_path, receiver.url, '[syslog]\nenabled = true\nlisten = ["udp://127.0.0.1:0"]\n')
    settings, _ = config_mod.load(path)
    parts = wiring.build(settings, "r.toml")
    [listener] = [lst for lst in parts.listeners if isinstance(lst, SyslogListener)]
    d = daemon.Daemon(settings, parts, config_path=path)
    with running(d):
        deadline = time.monotonic() + 10
        while not listener.bound and time.monotonic() < deadline:
            time.sleep(0.02)
        [(_host, port)] = listener.bound.values()
        sent = time.monotonic()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(CLEARED, ("127.0.0.1", port))
        while time.monotonic() < sent + 10 and not receiver.bodies():
            time.sleep(0.02)
        assert time.monotonic() - sent < 2.0  # neither the 60 s evaluation tick nor a poll was waited for
        [body] = receiver.bodies()
        assert "core-sw" in body["message"] + body["title"]
        alert = next(a for a in parts.engine.active() if a.rule == "logs_cleared_on_device")
        assert alert.labels["room"] == "A" and alert.labels["kind"] == "switch"
        db = tmp_path / "state" / "syslog.db"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
                rows = conn.execute("SELECT device, event FROM messages").fetchall()
            if rows:
                break
            time.sleep(0.05)
        assert rows == [("core-sw", "log_cleared")]


def test_syslog_absent_by_default_and_no_listener(tmp_path: Path) -> None:
    settings, _ = config_mod.load(_config(tmp_path, "json://127.0.0.1:1/", ""))
    assert settings.syslog is None and not wiring.syslog_on(settings)
    assert not any(isinstance(lst, SyslogListener) for lst in wiring.build_listeners(settings))


@pytest.mark.parametrize(("syslog", "expected"), [
    ('[syslog]\nenabled = true\nlisten = ["tls://0.0.0.0:6514"]\n',
     "r.toml: syslog: a tls:// listener needs tls_cert and tls_key"),
    ('[syslog]\nlisten = ["http://0.0.0.0:514"]\n',
     "r.toml: syslog.listen: 'http://0.0.0.0:514': scheme must be udp://, tcp:// or tls://"),
    ('[syslog]\n[syslog.charset]\n"core-sw" = "klingon"\n',
     "r.toml: syslog.charset: core-sw: unknown charset 'klingon'"),
])
def test_config_errors_name_the_field(tmp_path: Path, syslog: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_mod.load(_config(tmp_path, "json://127.0.0.1:1/", syslog))
    assert any(expected in p for p in err.value.problems), err.value.problems
