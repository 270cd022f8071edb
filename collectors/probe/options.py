"""The ``[[links]]`` tables: which network channel or service to probe, how, and how often."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from monitor.core.durations import Duration
from monitor.core.names import PlainName

SAMPLE = """\
# Network channels and services (003 巡检 item 5 网络通道: LAN, private line, Internet; and
# 000's website check every 5 minutes). Each link gives link_loss_percent{link} (0–100: failed
# attempts of one cycle) and link_rtt_ms{link} (mean of the attempts that succeeded; absent when
# all failed), labelled link, probe (= kind) and device: the named inventory device (its labels,
# parent suppression and maintenance windows apply), else this host, where the probe runs from.
# ICMP uses unprivileged ping sockets when sysctl net.ipv4.ping_group_range allows, raw sockets
# otherwise (the systemd unit grants CAP_NET_RAW). Rules: link_unreachable (icmp/tcp, 1 min),
# website_unavailable (http, at once), link_loss_high, link_rtt_high.
[[links]]
name = "局域网-核心"             # unique; becomes the `link` label
kind = "icmp"                    # icmp | tcp | http
target = "192.0.2.1"             # icmp: host; tcp: host:port ([v6]:port); http: http(s) URL
device = "core-sw-1"             # optional [[devices]] name the link belongs to
interval = "60s"                 # default: [defaults] interval; http: 5 min (000:405)
timeout = "2s"                   # one attempt; default icmp 2 s, tcp 3 s, http 10 s
count = 3                        # attempts per cycle; default icmp/tcp 3, http 2
spacing = "500ms"                # pause between attempts

[[links]]
name = "医保专网"
kind = "icmp"
target = "198.51.100.10"         # the far-end router of the private line
device = "wan-router"

[[links]]
name = "医保结算服务"
kind = "tcp"
target = "198.51.100.20:443"

[[links]]
name = "互联网"
kind = "http"
target = "https://www.example.com/"

[[links]]
name = "门户网站"
kind = "http"
target = "https://portal.example.org/healthz"   # a token in the URL never reaches logs
expect_status = [200]            # default: any 2xx or 3xx (redirects are followed, at most 5)
verify_tls = true                # false only for a self-signed internal site
"""

LinkKind = Literal["icmp", "tcp", "http"]

# Per kind: attempts per cycle and the timeout of one attempt, when the link sets neither.
# ICMP and TCP are cheap, so three attempts give a loss figure worth having; an HTTP GET
# costs the far side more, and two attempts still tell one dropped request from an outage.
DEFAULT_COUNT: dict[str, int] = {"icmp": 3, "tcp": 3, "http": 2}
DEFAULT_TIMEOUT: dict[str, float] = {"icmp": 2.0, "tcp": 3.0, "http": 10.0}
# 000:405: 「每5分钟检测一次网站可用性」 — websites are checked every 5 minutes unless set.
HTTP_INTERVAL = 300.0

_HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?")
_HTTP_ONLY = ("expect_status", "verify_tls")


class Link(BaseModel):
    """One ``[[links]]`` table: a channel (LAN, private line, Internet) or a service to probe."""

    model_config = ConfigDict(extra="forbid")

    name: PlainName = Field(min_length=1, description="Unique name; becomes the `link` label.")
    kind: LinkKind = Field(description="icmp (echo), tcp (connect) or http (GET).")
    target: str = Field(description="icmp: host; tcp: host:port; http: an http:// or https:// URL.")
    device: str | None = Field(None, description="Inventory device the link belongs to.")
    interval: Duration | None = Field(None, gt=0, description="Cycle; default [defaults], http 5 min.")
    timeout: Duration | None = Field(None, gt=0, le=60, description="One attempt; default by kind.")
    count: int | None = Field(None, ge=1, le=20, description="Attempts per cycle; default by kind.")
    spacing: Duration = Field(0.5, ge=0, le=10, description="Pause between attempts.")
    expect_status: list[int] = Field(
        default_factory=list, description="http: statuses that mean up; default any 2xx/3xx.")
    verify_tls: bool = Field(True, description="http: check the server's certificate.")


    @field_validator("target")
    @classmethod
    def _target(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        if kind is not None:
            parse_target(kind, value)  # raises ValueError with a message for people
        return value

    @field_validator("expect_status")
    @classmethod
    def _statuses(cls, value: list[int]) -> list[int]:
        bad = [s for s in value if not 100 <= s <= 599]
        if bad:
            raise ValueError(f"{bad[0]} is not an HTTP status (100–599)")
        return value

    @property
    def attempts(self) -> int:
        """Attempts per cycle: the configured count or the kind's default."""
        return self.count or DEFAULT_COUNT[self.kind]

    @property
    def attempt_timeout(self) -> float:
        """How long one attempt may take: the configured timeout or the kind's default."""
        return self.timeout or DEFAULT_TIMEOUT[self.kind]

    @property
    def budget(self) -> float:
        """The longest one cycle can take: every attempt timing out, with the pauses between."""
        return self.attempts * self.attempt_timeout + (self.attempts - 1) * self.spacing

    def cycle(self, default_interval: float) -> float:
        """The polling interval: the link's own, else 5 min for http (000), else the default."""
        if self.interval is not None:
            return self.interval
        return HTTP_INTERVAL if self.kind == "http" else default_interval

    def secret_values(self) -> list[str]:
        """What in an http target may be a secret (password, query string), for log redaction."""
        if self.kind != "http":
            return []
        parts = urlsplit(self.target)
        return [part for part in (parts.password, parts.query) if part]

    def labels(self) -> dict[str, str]:
        """The link's own identity labels (the device's are added by whoever knows the inventory)."""
        return {"link": self.name, "probe": self.kind}


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed target: host (bare, IPv6 without brackets), port (tcp/http), URL (http)."""

    host: str
    port: int | None = None
    url: str = ""

    def shown(self) -> str:
        """The target for logs and errors: no user, password, query or fragment (tokens hide there)."""
        if self.url:
            parts = urlsplit(self.url)
            host = f"[{self.host}]" if ":" in self.host else self.host
            netloc = host if parts.port is None else f"{host}:{parts.port}"
            return f"{parts.scheme}://{netloc}{parts.path or '/'}"
        if self.port is not None:
            return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        return self.host


def parse_target(kind: str, text: str) -> Target:
    """Check and split a target for its kind; ValueError says what is wrong without echoing
    an URL (it may carry a token)."""
    text = text.strip()
    if kind == "icmp":
        if "://" in text or "/" in text:
            raise ValueError("icmp needs a host name or address, not a URL")
        if not is_host(text):
            raise ValueError(f"{text!r} is not a host name or IP address (icmp takes no port)")
        return Target(text)
    if kind == "tcp":
        host, sep, port = text.rpartition(":")
        if not sep or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(f"{text!r}: tcp needs host:port (IPv6: [addr]:port), port 1–65535")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
            if not _is_ip(host, 6):
                raise ValueError(f"{text!r}: {host!r} in brackets is not an IPv6 address")
        elif not is_host(host) or ":" in host:
            raise ValueError(f"{text!r}: tcp needs host:port (IPv6: [addr]:port)")
        return Target(host, int(port))
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        raise ValueError("http needs an http:// or https:// URL")
    try:
        url_port = parts.port
    except ValueError:
        raise ValueError("the URL's port is not a number in 1–65535") from None
    if not parts.hostname or not is_host(parts.hostname):
        raise ValueError("the URL has no valid host")
    return Target(parts.hostname, url_port, text)


def check_links(links: Sequence[Link], devices: Iterable[str], default_interval: float,
                where: str) -> list[str]:
    """Problems that need the whole config: duplicate names, unknown devices, options that
    only http takes, and cycles that cannot finish within their interval."""
    problems: list[str] = []
    known = set(devices)
    seen: dict[str, int] = {}
    for i, link in enumerate(links):
        at = f"{where}links[{i}]"
        if link.name in seen:
            problems.append(f"{at}.name: {link.name!r} is already used by links[{seen[link.name]}]")
        else:
            seen[link.name] = i
        if link.device is not None and link.device not in known:
            problems.append(f"{at}.device: no device named {link.device!r} in [[devices]]")
        if link.kind != "http":
            problems += [f"{at}.{key}: only for kind = 'http'" for key in _HTTP_ONLY
                         if key in link.model_fields_set]
        interval = link.cycle(default_interval)
        if link.budget >= interval:
            problems.append(
                f"{at}: {link.attempts} attempt(s) × {link.attempt_timeout:g}s timeout "
                f"(+ spacing) = {link.budget:g}s do not fit in the {interval:g}s interval; "
                "lower count or timeout, or raise interval")
    return problems


def _is_ip(text: str, version: int | None = None) -> bool:
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return False
    return version is None or addr.version == version


def is_host(text: str) -> bool:
    """True for an IP address or a well-formed host name (``192.0.2.300`` is neither); the
    inventory's device addresses are checked with it too."""
    if _is_ip(text):
        return True
    if text.replace(".", "").isdigit():  # 192.0.2.300 is a typo, not a host name
        return False
    return _HOSTNAME.fullmatch(text) is not None

