"""The [traps] section through config, wiring and the running daemon: a trap is judged and told at
once, not at the next evaluation tick or poll; config errors name the field; secrets are masked."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from collectors.traps.receiver import TrapListener
from monitor import config as config_mod
from monitor import daemon, wiring
from monitor.core.errors import ConfigError
from tests.procs import running

UPS = "127.0.0.3"
COMMUNITY = "wiring-trap-s3cret"


def _config(tmp_path: Path, receiver_url: str, traps: str) -> Path:
    path = tmp_path / "r.toml"
    path.write_text(
        f'state_dir = "{tmp_path}/state"\n[rules]\nevaluate_interval = "60s"\n'
        f'[notify]\nurls = ["{receiver_url}"]\n'
        '[[devices]]\nname = "nms"\nkind = "server"\ninterval = "60s"\nlocal = {}\n'
        f'[[devices]]\nname = "ups-1"\nkind = "ups"\naddress = "{UPS}"\nroom = "UPS间"\ninterval = "60s"\n'
        'exec = { command = ["true"] }\n'
        f"{traps}", encoding="utf-8")
    return path


def test_a_trap_reaches_the_rule_engine_and_the_receiver_at_once(tmp_path: Path, receiver) -> None:  # type: ignore[no-untyped-def]
    if not shutil.which("snmptrap"):
        pytest.skip("snmptrap missing: apt-get install snmp (scripts/apt.d/snmp.txt)")
    path = _config(tmp_path, receiver.url, "[traps]\nenabled = true\naddress = \"127.0.0.1\"\nport = 0\n"
                   f'communities = ["{COMMUNITY}"]\n')
    settings, _ = config_mod.load(path)
    assert COMMUNITY in wiring.secrets_of(settings)
    parts = wiring.build(settings, "r.toml")
    [listener] = [lst for lst in parts.listeners if isinstance(lst, TrapListener)]
    d = daemon.Daemon(settings, parts, config_path=path)
    with running(d):
        deadline = time.monotonic() + 10
        while listener.bound is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert listener.bound is not None
        sent = time.monotonic()
        # APC upsBatteryNeedsReplacement: a rule without `for` (ups_on_battery now waits 2 min,
        # longer than a poll, so that a UPS's self-test pages nobody)
        subprocess.run(["snmptrap", f"--clientaddr={UPS}", "-v", "2c", "-c", COMMUNITY,
                        f"127.0.0.1:{listener.bound[1]}", "", "1.3.6.1.4.1.318.0.17"],
                       check=True, capture_output=True, timeout=10, env={"MIBS": "", "PATH": "/usr/bin:/bin"})
        while time.monotonic() < sent + 10 and not receiver.bodies():
            time.sleep(0.02)
        told = time.monotonic()
        [body] = receiver.bodies()
        assert told - sent < 2.0  # neither the 60 s evaluation tick nor a poll was waited for
        assert "ups-1" in body["message"] or "ups-1" in body["title"]
        alert = next(a for a in parts.engine.active() if a.labels.get("device") == "ups-1")
        assert alert.labels["room"] == "UPS间" and alert.labels["kind"] == "ups"


def test_traps_off_by_default_and_no_listener(tmp_path: Path) -> None:
    settings, _ = config_mod.load(_config(tmp_path, "json://127.0.0.1:1/", ""))
    assert settings.traps.enabled is False and settings.traps.port == 162
    assert not any(isinstance(lst, TrapListener) for lst in wiring.build_listeners(settings))


@pytest.mark.parametrize(("traps", "expected"), [
    ("[traps]\nenabled = true\n",
     "r.toml: traps: enabled needs at least one of communities or users (traps are authenticated)"),
    ('[traps]\nenabled = true\n[[traps.users]]\nuser = "u"\nauth_protocol = "SHA"\nauth_key = "short-1"\n',
     "r.toml: traps.users[0]: v3 keys must be at least 8 characters (RFC 3414)"),
    ('[traps]\nenabled = true\n[[traps.users]]\nuser = "u"\npriv_protocol = "AES"\n'
     'priv_key = "long-enough-2"\n',
     "r.toml: traps.users[0]: priv_protocol needs priv_key and auth_protocol"),
    ('[traps]\nport = 70000\ncommunities = ["x-s3cret"]\nstats_interval = "soon"\n', None),
])
def test_bad_traps_config_names_the_field_and_hides_the_secret(tmp_path: Path, traps: str,
                                                               expected: str | None) -> None:
    with pytest.raises(ConfigError) as err:
        config_mod.load(_config(tmp_path, "json://127.0.0.1:1/", traps))
    text = "\n".join(err.value.problems)
    if expected is not None:
        assert err.value.problems == [expected]
    else:
        assert "traps.port" in text and "traps.stats_interval" in text
    assert "short-1" not in text and "long-enough-2" not in text and "x-s3cret" not in text
