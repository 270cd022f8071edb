"""[[links]] config: good targets parse, bad ones give one clear line naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors.probe.options import HTTP_INTERVAL, Link, parse_target
from monitor import config
from monitor.core.errors import ConfigError

BAD = """\
[[devices]]
name = "core-sw-1"
kind = "switch"
exec = { command = ["true"] }

[[links]]
name = "lan"
kind = "icmp"
target = "192.0.2.1:80"

[[links]]
name = "lan"
kind = "tcp"
target = "192.0.2.1"

[[links]]
name = "web"
kind = "http"
target = "ftp://user:s3cret@192.0.2.9/"

[[links]]
name = "wan"
kind = "icmp"
target = "192.0.2.1"
device = "no-such-router"
verify_tls = false

[[links]]
name = "slow"
kind = "tcp"
target = "[2001:db8::1]:443"
interval = "10s"
timeout = "5s"
count = 3

[[links]]
name = "typo"
kind = "smtp"
target = "192.0.2.300"
"""

WHOLE = """\
[[devices]]
name = "core-sw-1"
kind = "switch"
exec = { command = ["true"] }

[[links]]
name = "lan"
kind = "icmp"
target = "192.0.2.1"
device = "core-sw-1"

[[links]]
name = "lan"
kind = "tcp"
target = "192.0.2.1:22"

[[links]]
name = "web"
kind = "http"
target = "https://www.example.com/"

[[links]]
name = "wan"
kind = "icmp"
target = "192.0.2.1"
device = "no-such-router"
verify_tls = false

[[links]]
name = "slow"
kind = "tcp"
target = "[2001:db8::1]:443"
interval = "10s"
timeout = "5s"
count = 3
"""


def test_bad_links_report_every_problem_with_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert err.value.problems == [
        "roomwatch.toml: links[0].target: '192.0.2.1:80' is not a host name or IP address "
        "(icmp takes no port)",
        "roomwatch.toml: links[1].target: '192.0.2.1': tcp needs host:port (IPv6: [addr]:port), "
        "port 1–65535",
        "roomwatch.toml: links[2].target: http needs an http:// or https:// URL",
        "roomwatch.toml: links[5].kind: 'smtp' is not one of icmp, tcp, http",
    ]
    assert "s3cret" not in "\n".join(err.value.problems)


def test_whole_config_problems_name_the_link(tmp_path: Path) -> None:
    path = tmp_path / "roomwatch.toml"
    path.write_text(WHOLE, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert err.value.problems == [
        "roomwatch.toml: links[1].name: 'lan' is already used by links[0]",
        "roomwatch.toml: links[3].device: no device named 'no-such-router' in [[devices]]",
        "roomwatch.toml: links[3].verify_tls: only for kind = 'http'",
        "roomwatch.toml: links[4]: 3 attempt(s) × 5s timeout (+ spacing) = 16s do not fit in the "
        "10s interval; lower count or timeout, or raise interval",
    ]


@pytest.mark.parametrize(("kind", "text", "host", "port"), [
    ("icmp", "192.0.2.1", "192.0.2.1", None),
    ("icmp", "2001:db8::1", "2001:db8::1", None),
    ("icmp", "gw.example.com", "gw.example.com", None),
    ("tcp", "198.51.100.20:443", "198.51.100.20", 443),
    ("tcp", "[2001:db8::1]:22", "2001:db8::1", 22),
    ("tcp", "db.example.org:1521", "db.example.org", 1521),
    ("http", "https://www.example.com/", "www.example.com", None),
    ("http", "http://[2001:db8::8]:8080/health", "2001:db8::8", 8080),
])
def test_good_targets(kind: str, text: str, host: str, port: int | None) -> None:
    target = parse_target(kind, text)
    assert (target.host, target.port) == (host, port)


@pytest.mark.parametrize(("kind", "text"), [
    ("icmp", "https://www.example.com/"), ("icmp", ""), ("icmp", "bad host"),
    ("tcp", "[192.0.2.1]:80"), ("tcp", "2001:db8::1:80"), ("tcp", "192.0.2.1:0"),
    ("tcp", "192.0.2.1:http"), ("http", "www.example.com"), ("http", "https://:443/"),
    ("http", "http://192.0.2.1:99999/"),
])
def test_bad_targets(kind: str, text: str) -> None:
    with pytest.raises(ValueError):
        parse_target(kind, text)


def test_shown_target_drops_credentials_query_and_fragment() -> None:
    target = parse_target("http", "https://monitor:pa55@portal.example.org:8443/healthz?token=abc#x")
    assert target.shown() == "https://portal.example.org:8443/healthz"
    assert parse_target("tcp", "[2001:db8::1]:22").shown() == "[2001:db8::1]:22"


def test_defaults_by_kind() -> None:
    web = Link(name="web", kind="http", target="https://www.example.com/")
    lan = Link(name="lan", kind="icmp", target="192.0.2.1")
    assert (web.cycle(60.0), web.attempts, web.attempt_timeout) == (HTTP_INTERVAL, 2, 10.0)
    assert (lan.cycle(60.0), lan.attempts, lan.attempt_timeout) == (60.0, 3, 2.0)
    assert lan.budget == 3 * 2.0 + 2 * 0.5
    assert Link(name="x", kind="http", target="http://a.example/", interval="1m").cycle(60.0) == 60.0
