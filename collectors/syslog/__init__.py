"""Syslog (RFC 3164 / 5424 over UDP, TCP and TLS) received, kept as evidence and read for events.

``receiver.SyslogListener`` is the push source; ``parse`` frames and decodes messages;
``catalog`` maps message patterns to readings (``catalog.toml`` is the data: Huawei/H3C, Cisco,
Ruijie, Linux sshd/sudo/PAM, Windows events forwarded by NXLog). This module holds the
``[syslog]`` section. The messages themselves go to the evidence store (monitor.store.evidence).
"""

from __future__ import annotations

import codecs
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, IPvAnyNetwork, field_validator, model_validator

from monitor.core.durations import Duration

SAMPLE = """\
# Syslog receiver (RFC 3164 and RFC 5424; UDP, TCP with octet-counting or newline framing, TLS
# per RFC 5425). Every message is kept in its own evidence database (STATE_DIR/syslog.db),
# hash-chained per day with a daily digest: `roomwatch logs verify` says which day was altered,
# `roomwatch logs search` reads them. Known messages (login failures, configuration saved, log
# cleared; see collectors/syslog/catalog.toml) become readings the rules judge. A sender's address
# is matched to a device's `address` (a host name there is resolved at start and every
# resolve_interval, never per message). Ports below 1024 need CAP_NET_BIND_SERVICE.
[syslog]
enabled = false
listen = ["udp://0.0.0.0:514", "tcp://0.0.0.0:514"]   # and "tls://0.0.0.0:6514" with tls_cert/tls_key
allow = []                     # sender networks accepted, e.g. ["192.0.2.0/24"]; empty: any sender
tls_cert = ""                  # PEM certificate (chain) for tls:// listeners
tls_key = ""                   # its PEM private key
max_message = 16384            # bytes; longer messages are cut there and counted
rate = 2000                    # messages/s one sender may keep up; above it they are dropped and counted
burst = 20000                  # messages one sender may send at once above its rate
queue = 200000                 # messages waiting for the disk, all senders together (bounds memory)
retention = "180d"             # 网络安全法 第二十一条: network logs kept at least six months
stats_interval = "60s"         # how often the receiver's counters are reported
login_failures_window = "5m"   # login failures per source are counted over this window
resolve_interval = "10m"       # devices whose address is a host name: resolved again this often

# Old devices send GBK/GB18030; without an entry a message is read as UTF-8, else GB18030.
[syslog.charset]
# "core-sw-1" = "gbk"
"""


class SyslogOptions(BaseModel):
    """The ``[syslog]`` section: where to listen, whom to believe, how much to keep."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="Run the syslog receiver.")
    listen: list[str] = Field(default_factory=lambda: ["udp://0.0.0.0:514", "tcp://0.0.0.0:514"],
                              description="Listeners as udp://, tcp:// or tls://ADDRESS:PORT.")
    allow: list[IPvAnyNetwork] = Field(default_factory=list,
                                       description="Sender networks accepted; empty: any sender.")
    tls_cert: Path | None = Field(None, description="PEM certificate for tls:// listeners.")
    tls_key: Path | None = Field(None, description="PEM private key of tls_cert.")
    max_message: int = Field(16384, ge=480, le=1 << 20, description="Longest message kept, in bytes.")
    rate: float = Field(2000.0, gt=0, description="Messages per second one sender may keep up.")
    burst: int = Field(20000, ge=1, description="Messages one sender may send at once above its rate.")
    queue: int = Field(200000, ge=100, description="Messages waiting for the disk, all senders.")
    retention: Duration = Field(180 * 86400.0, gt=0, description="How long messages are kept.")
    stats_interval: Duration = Field(60.0, gt=0, description="How often the receiver counters are reported.")
    login_failures_window: Duration = Field(300.0, gt=0,
                                            description="Window over which login failures are counted.")
    resolve_interval: Duration = Field(600.0, ge=10, description=(
        "How often devices' host-name addresses are resolved again (also at every start/reload)."))
    charset: dict[str, str] = Field(default_factory=dict,
                                    description="Device name or address -> charset of its messages.")

    @field_validator("tls_cert", "tls_key", mode="before")
    @classmethod
    def _blank_path(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("listen")
    @classmethod
    def _listeners(cls, value: list[str]) -> list[str]:
        for item in value:
            endpoint(item)
        return value

    @field_validator("charset")
    @classmethod
    def _charsets(cls, value: dict[str, str]) -> dict[str, str]:
        for who, name in value.items():
            try:
                codecs.lookup(name)
            except LookupError:
                raise ValueError(f"{who}: unknown charset {name!r}") from None
        return value

    @model_validator(mode="after")
    def _tls(self) -> SyslogOptions:
        if any(item.startswith("tls://") for item in self.listen) and not (self.tls_cert and self.tls_key):
            raise ValueError("a tls:// listener needs tls_cert and tls_key")
        return self

    def secret_values(self) -> list[str]:
        """No secrets here (the TLS key stays in its file)."""
        return []


def endpoint(url: str) -> tuple[str, str, int]:
    """``udp://host:port`` as (scheme, host, port); ValueError says what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("udp", "tcp", "tls"):
        raise ValueError(f"{url!r}: scheme must be udp://, tcp:// or tls://")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{url!r}: bad port") from None
    if port is None or not parts.hostname:
        raise ValueError(f"{url!r}: needs ADDRESS:PORT (IPv6 in brackets)")
    return parts.scheme, parts.hostname, port
