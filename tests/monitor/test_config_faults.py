"""Bad bytes and bad values in the files people edit: a clear error naming file and line, exit 2,
every problem in one pass, never a traceback; no silent stand-ins (issue 13, items 2 and 5)."""

from __future__ import annotations

import asyncio
import gc
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from monitor import config, daemon, wiring
from monitor.core.bindings import parse_csv
from monitor.core.errors import ConfigError

ROOT = Path(__file__).parents[2]
GBK_NAME = "机房温湿度".encode("gbk")  # what a Chinese Windows editor saves
DEEP = "x = " + "[" * 2000 + "]" * 2000 + "\n"
LOCAL = '[[devices]]\nname = "nms"\nkind = "server"\nlocal = {}\n'


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", "config", "validate", str(path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        wiring.load_checked(path)
    return err.value.problems


def test_a_gbk_config_names_the_file_and_line_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_bytes(b'[[devices]]\nname = "' + GBK_NAME + b'"\nkind = "server"\nlocal = {}\n')
    done = _validate(path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("roomwatch.toml:2: not UTF-8 (byte 0xbb at column 9); save the file "
                                   "as UTF-8 (a Chinese Windows editor often saves GBK/GB18030)")


def test_deeply_nested_config_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text(LOCAL + DEEP, encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == "roomwatch.toml:5: arrays or tables nested more than 32 levels deep"


def test_underscore_keys_are_not_passed_to_pydantic_settings(tmp_path: Path) -> None:
    (tmp_path / "env").write_text("ROOMWATCH_STATE_DIR=/tmp/elsewhere\n")
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'_env_file = "{tmp_path}/env"\n' + LOCAL, encoding="utf-8")
    assert _problems(path) == ["roomwatch.toml: _env_file: unknown key (a typo?)"]


@pytest.mark.parametrize(("content", "expected"), [
    (b'[[rules]]\nname = "' + GBK_NAME + b'"\n', "site.toml:2: not UTF-8 (byte 0xbb at column 9)"),
    (DEEP.encode(), "site.toml:1: arrays or tables nested more than 32 levels deep"),
])
def test_a_broken_rule_file_is_a_config_error(tmp_path: Path, content: bytes, expected: str) -> None:
    (tmp_path / "site.toml").write_bytes(content)
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'[rules]\nfiles = ["{tmp_path}/site.toml"]\n' + LOCAL, encoding="utf-8")
    [problem] = _problems(path)
    assert problem.startswith(f"{tmp_path}/{expected}")


def test_a_profile_in_gbk_is_a_config_error(tmp_path: Path) -> None:
    from collectors.snmp.profiles import load_profiles

    (tmp_path / "mine.toml").write_bytes(b'name = "' + GBK_NAME + b'"\n')
    with pytest.raises(ConfigError) as err:
        load_profiles(tmp_path)
    assert err.value.problems == [f"{tmp_path}/mine.toml:1: not UTF-8 (byte 0xbb at column 9); save "
                                  "the file as UTF-8 (a Chinese Windows editor often saves GBK/GB18030)"]


def test_a_registry_field_over_the_csv_limit_is_a_problem_with_its_line() -> None:
    data = (b"ip,mac,note\n192.0.2.10,02:00:00:00:00:10,ok\n192.0.2.11,02:00:00:00:00:11,\""
            + b"x" * 200_000 + b"\"\n")
    rows, problems = parse_csv(data, "bindings.csv")
    assert [r.ip for r in rows] == ["192.0.2.10"]
    assert problems == ["bindings.csv:3: not a CSV row the registry can hold "
                        "(field larger than field limit (131072))"]


def test_validate_reports_every_problem_in_one_pass(tmp_path: Path) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text(
        '[[devices]]\nname = "core-sw-1"\nkind = "swtich"\nsnmp = { community = "public" }\n'
        'address = "192.0.2.1"\n'
        '[[devices]]\nname = "a"\nkind = "server"\nlocal = {}\n'
        '[[devices]]\nname = "a"\nkind = "sensor"\nparent = "nowhere"\nexec = { command = ["true"] }\n'
        '[[rules.overrides]]\nrule = "room_temprature"\nabove = 30\n', encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "roomwatch.toml: devices[0].kind: 'swtich' is not one of switch, router, firewall, ups, sensor, "
        "server",
        "roomwatch.toml: devices[2].name: 'a' is already used by devices[1]",
        "roomwatch.toml: devices[2].parent: no device named 'nowhere'",
        "roomwatch.toml: rules.overrides[0].rule: no rule named 'room_temprature' (did you mean "
        "'room_temperature'?)",
    ]


def test_sighup_with_a_gbk_or_deep_config_keeps_the_old_one(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "r.toml"
    path.write_text(f'state_dir = "{tmp_path}/state"\n' + LOCAL, encoding="utf-8")
    settings, _ = config.load(path)
    d = daemon.Daemon(settings, wiring.build(settings, "r.toml"), config_path=path)
    for broken in (b'[[devices]]\nname = "' + GBK_NAME + b'"\n', DEEP.encode()):
        path.write_bytes(broken)
        with caplog.at_level(logging.ERROR):
            assert asyncio.run(d.reload()) is False
        assert d.settings is settings and [j.device for j in d.parts.jobs] == ["nms"]
    refused = [r.getMessage() for r in caplog.records if "reload refused" in r.getMessage()]
    assert any("r.toml:2: not UTF-8" in m for m in refused)
    assert any("nested more than 32 levels" in m for m in refused)
    d.parts.store.close()
    d.parts.outbox.close()


# ---- item 5: no silent stand-ins ----

def test_a_device_without_a_transport_is_an_error_not_this_host(tmp_path: Path) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text('[[devices]]\nname = "core-sw-1"\nkind = "switch"\naddress = "192.0.2.1"\n',
                    encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "roomwatch.toml: devices[0]: no transport sub-table; say how to read it: snmp = {…}, ssh = {…}, "
        "exec = {…}, or local = {} for the host roomwatch runs on")


def test_two_transports_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text('[[devices]]\nname = "x"\nkind = "switch"\naddress = "192.0.2.1"\nlocal = {}\n'
                    'snmp = { community = "public" }\n', encoding="utf-8")
    assert _problems(path) == ["roomwatch.toml: devices[0]: more than one transport (local, snmp); keep one"]


def test_local_must_be_said_but_no_config_still_monitors_this_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "DEFAULT_PATH", Path("/nonexistent/roomwatch.toml"))
    settings, _ = wiring.load_checked(None)  # what scripts/run does with no config
    [dev] = settings.devices
    assert dev.transport == "local"


@pytest.mark.parametrize("address", ["999.1.1.1", "192.0.2", "10.0.0.256", "core sw", "-bad.example",
                                     "a..b", "x" * 64 + ".example"])
def test_bad_addresses_are_refused(tmp_path: Path, address: str) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'[[devices]]\nname = "x"\nkind = "switch"\naddress = "{address}"\n'
                    'snmp = { community = "public" }\n', encoding="utf-8")
    assert _problems(path) == [f"roomwatch.toml: devices[0].address: {address!r} is neither an "
                               "IPv4/IPv6 address nor a host name"]


@pytest.mark.parametrize("address", ["192.0.2.1", "2001:db8::1", "core-sw-1", "core-sw-1.room1.example",
                                     "sw_01.example.", "localhost"])
def test_addresses_and_host_names_pass(tmp_path: Path, address: str) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'[[devices]]\nname = "x"\nkind = "switch"\naddress = "{address}"\n'
                    'snmp = { community = "public" }\n', encoding="utf-8")
    settings, _ = config.load(path)
    assert settings.devices[0].address == address


@pytest.mark.parametrize(("value", "shown"), [
    ("inf", "inf"), ("1e308", "1e+308"), ("nan", "nan"), ('"inf"', "'inf'"), ('"1e308"', "'1e308'"),
])
def test_infinite_and_huge_intervals_are_refused(tmp_path: Path, value: str, shown: str) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text(f"[defaults]\ninterval = {value}\n" + LOCAL, encoding="utf-8")
    [problem] = _problems(path)
    assert problem.startswith(f"roomwatch.toml: defaults.interval: {shown} is ")
    assert "longer than 100 years" in problem or "not a number" in problem


def test_site_templates_in_gbk_or_broken_jinja_are_reported_with_file_and_line(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "im.zh.j2").write_bytes("【告警】{{ device }}\n".encode("gbk"))
    (templates / "sms.zh.j2").write_text("{{ device }}\n{% for a in firing %}{{ a.what }}\n",
                                         encoding="utf-8")
    path = tmp_path / "roomwatch.toml"
    path.write_text(f'[notify]\nurls = ["json://127.0.0.1:9/"]\ntemplates_dir = "{templates}"\n' + LOCAL,
                    encoding="utf-8")
    done = _validate(path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"{templates}/im.zh.j2:1: not UTF-8 (byte 0xa1 at column 1); save the file as UTF-8 (a Chinese "
        "Windows editor often saves GBK/GB18030)",
        f"{templates}/sms.zh.j2:2: TemplateSyntaxError: Unexpected end of template. Jinja was looking for "
        "the following tags: "
        "'endfor' or 'else'. The innermost block that needs to be closed is 'for'.",
    ]


def test_a_reload_with_the_console_on_freezes_what_it_built(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(f'state_dir = "{tmp_path}/state"\n[web]\nenabled = true\n' + LOCAL, encoding="utf-8")
    settings, _ = config.load(path)
    d = daemon.Daemon(settings, wiring.build(settings, "r.toml"), config_path=path)
    gc.unfreeze()
    try:
        assert asyncio.run(d.reload()) is True
        assert gc.get_freeze_count() > 0  # the new jobs and rules are out of the collector's walks
    finally:
        gc.unfreeze()
