"""The catalog: every entry matches its own example and reads the fields it promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.syslog.catalog import load

CATALOG = load()


@pytest.mark.parametrize("pattern", CATALOG.patterns, ids=lambda p: p.name)
def test_each_example_is_its_own_event(pattern) -> None:  # type: ignore[no-untyped-def]
    event = CATALOG.match(pattern.example)
    assert event is not None and (event.pattern, event.event) == (pattern.name, pattern.event)
    if event.event == "login_failed":
        assert event.source.startswith("192.0.2.") and event.user


@pytest.mark.parametrize(("text", "event", "user", "source"), [
    ('%%01SHELL/5/CMDRECORD(s)[27]:Recorded command information. (Task=VT0, Ip=192.0.2.7, VpnName=, '
     'User=admin, AuthenticationMethod="Password", Command="save")', "config_saved", "admin", ""),
    ('%%01SHELL/5/CMDRECORD(s)[28]:Recorded command information. (Task=VT0, Ip=192.0.2.7, VpnName=, '
     'User=admin, AuthenticationMethod="Password", Command="display version")', None, "", ""),
    ("%SYS-5-CONFIG_I: Configured from console by netops on vty0 (192.0.2.7)", "config_saved", "netops",
     "vty0"),
    ("%SYS-5-CONFIG_I: Configured from console by console", "config_saved", "console", ""),
    ("sshd[4242]: Failed publickey for git from 192.0.2.9 port 50122 ssh2: RSA SHA256:x", "login_failed",
     "git", "192.0.2.9"),
    ("sshd[1]: Accepted password for root from 192.0.2.9 port 50122 ssh2", None, "", ""),
])
def test_real_lines(text: str, event: str | None, user: str, source: str) -> None:
    got = CATALOG.match(text)
    if event is None:
        assert got is None
        return
    assert got is not None and (got.event, got.user, got.source) == (event, user, source)


def test_a_wrong_entry_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "catalog.toml"
    bad.write_text('[[patterns]]\nname = "x"\nvendor = "v"\ncontains = "A"\nregex = "B"\n'
                   'event = "login_failed"\nexample = "A only"\n')
    with pytest.raises(ValueError, match=r"patterns\[0\] \(x\): its example does not match"):
        load(bad)
    bad.write_text('[[patterns]]\nname = "y"\nvendor = "v"\ncontains = "A"\nregex = "A"\n'
                   'event = "reboot"\nexample = "A"\n')
    with pytest.raises(ValueError, match=r"\(y\): event must be one of"):
        load(bad)
