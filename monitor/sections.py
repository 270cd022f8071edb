"""The plain sections of the config file: polling defaults, logging, rules, reports and the web
console. The sections of the parts (transports, notifications, stores, receivers) live with them;
``monitor.config`` puts them all together."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.core.durations import Duration
from monitor.core.windows import TimeZone


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Defaults(_Section):
    """Polling defaults for devices that do not set their own."""

    interval: Duration = Field(60.0, description="How often each device is polled.", gt=0)
    timeout: Duration = Field(10.0, description="How long one collection may take.", gt=0)
    jitter: Duration = Field(5.0, description="Random start offset so devices are not polled at once.", ge=0)


class LogSettings(_Section):
    """Logging."""

    level: Literal["debug", "info", "warning", "error"] = Field("info", description="Log level.")
    readings: bool = Field(True, description="Log a summary line of each collection.")


class RulesSettings(_Section):
    """The rule engine: packs on by default, extra files, and per-site overrides."""

    packs: list[str] = Field(default_factory=lambda: ["regulation", "posture"],
                             description="Shipped packs.")
    files: list[Path] = Field(default_factory=list, description="Extra rule files (TOML).")
    overrides: list[dict[str, Any]] = Field(
        default_factory=list, description="Per-device/room changes to pack rules."
    )
    evaluate_interval: Duration = Field(10.0, description="How often rules are evaluated.", gt=0)
    stale_after: Duration = Field(300.0, description="A series silent this long is absent.", gt=0)


class ReportSettings(_Section):
    """The daily inspection record (``roomwatch inspect``) and the weekly report (``roomwatch report``)."""

    reviewer: str = Field("", description="Reviewer (审核人) printed on records; blank line if empty.")
    timezone: TimeZone = Field("", description="IANA zone of days and weeks; empty: this machine's zone.")
    lang: Literal["zh", "en"] = Field("zh", description="Language of records and reports.")
    format: Literal["pdf", "html", "md", "json"] = Field("pdf", description="Default report format.")
    send: str = Field("", description="Receiver the weekly report goes to by default (see --send).")
    top: int = Field(10, ge=1, le=200, description="Rows in the top-N tables (interfaces, devices).")
    backup_max_age: Duration = Field(26 * 3600.0, description="Newest backup older than this is 异常.", gt=0)


# --- [web] console and HTTP API (issue 22) ---
class WebSettings(_Section):
    """The web console and HTTP API served by the daemon (``monitor.web``): off by default."""

    enabled: bool = Field(False, description="Serve the console, /api and /metrics from the daemon.")
    listen: str = Field("127.0.0.1:8470", description="host:port to listen on; loopback unless TLS is set.",
                        pattern=r"^(\[[0-9a-fA-F:.]+\]|[^:\s]+):[0-9]{1,5}$")
    tls_cert: Path | None = Field(None, description="PEM certificate; with tls_key: HTTPS only.")
    tls_key: Path | None = Field(None, description="PEM private key of tls_cert.")
    session_hours: float = Field(12.0, gt=0, le=24 * 30, description="How long a login lasts.")
    lang: Literal["zh", "en"] = Field("zh", description="Language of the console (each user may switch).")
    manual_items: list[str] = Field(
        default_factory=lambda: ["消防设施", "门禁", "漏水", "卫生"],
        description="Items of the daily record a person checks and signs on the 巡检 page.")

    @model_validator(mode="after")
    def _tls_pair(self) -> WebSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together (give both, or neither)")
        host = self.listen.rsplit(":", 1)[0].strip("[]")
        # Passwords and session cookies must not cross a network in clear text.
        if self.tls_cert is None and not _loopback(host):
            raise ValueError(f"listen {self.listen!r} is not loopback: set tls_cert and tls_key")
        return self


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- end [web] ---
