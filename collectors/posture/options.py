"""The ``posture`` option of a server device: which checks run, the egress allow-list, paths."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from monitor.core.durations import Duration
from monitor.core.options import PluginOptions

Check = Literal["antivirus", "patches", "removable_media", "password_policy", "egress", "logs",
                "software", "privileged_accounts"]
CHECKS: tuple[Check, ...] = ("antivirus", "patches", "removable_media", "password_policy", "egress",
                             "logs", "software", "privileged_accounts")

# Ports of SMTP, submission, SMTPS, POP3(S), IMAP(S): mail from servers is forbidden
# (《公司信息化管理制度》第六章 信息安全管理 第二十六条).
MAIL_PORTS: tuple[int, ...] = (25, 465, 587, 110, 995, 143, 993)

# What is not "the Internet": RFC 1918, loopback, link-local, CGNAT, ULA, multicast. Documentation
# ranges (192.0.2.0/24, 198.51.100.0/24…) are deliberately public here: nothing internal uses them.
_INTERNAL = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16",
             "100.64.0.0/10", "0.0.0.0/32", "224.0.0.0/4", "::1/128", "fe80::/10", "fc00::/7",
             "ff00::/8", "::/128"]

_LOGS = ["/var/log/syslog", "/var/log/messages", "/var/log/auth.log", "/var/log/secure",
         "/var/log/kern.log", "/var/log/audit/audit.log", "/var/log/wtmp", "/var/log/btmp"]


class PostureOptions(PluginOptions):
    """``posture = { … }`` on a ``kind = "server"`` device (``posture = false`` turns it off)."""

    enabled: bool = Field(True, description="Run the checks; `posture = false` is short for enabled = false.")
    checks: list[Check] = Field(default_factory=lambda: list(CHECKS),
                                description="Checks to run; default all eight.")
    egress_allow: list[str] = Field(
        default_factory=list,
        description="Remote addresses a server may reach (proxy, update mirror, time server): "
                    "ADDRESS, CIDR, or either with :PORT (IPv6 in brackets).")
    internal_networks: list[str] = Field(
        default_factory=lambda: list(_INTERNAL),
        description="Networks that are not the Internet; connections there are not egress.")
    approved_admins: list[str] = Field(
        default_factory=lambda: ["root", "Administrator"],
        description="Accounts allowed UID 0 / sudo / wheel / Administrators.")
    unused_days: int = Field(90, ge=1, le=3650,
                             description="An enabled account not used this many days is reported.")
    slow_interval: Duration = Field(
        6 * 3600.0, gt=0,
        description="How often the slow checks run (package inventory, pending updates); "
                    "between runs their last result is repeated.")
    log_files: list[str] = Field(default_factory=lambda: list(_LOGS),
                                 description="Log files watched for truncation and removal.")
    log_cleared_window: Duration = Field(
        7 * 86400.0, gt=0, description="A log cleared or truncated stays reported this long.")
    journal_directory: str | None = Field(
        None, description="linux: read this journal directory (journalctl -D) instead of the system journal.")
    login_defs: str = Field("/etc/login.defs", description="linux: shadow-utils defaults file.")
    pwquality_conf: str = Field("/etc/security/pwquality.conf",
                                description="linux: pam_pwquality configuration file.")
    pam_password: list[str] = Field(
        default_factory=lambda: ["/etc/pam.d/common-password", "/etc/pam.d/system-auth",
                                 "/etc/pam.d/password-auth"],
        description="linux: PAM files whose password lines decide which policy applies.")
    clamav_db: str = Field("/var/lib/clamav", description="linux: ClamAV database directory.")

    @model_validator(mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        # `posture = false` / `posture = true` in TOML: one type, so errors name one field.
        return {"enabled": value} if isinstance(value, bool) else value

    @field_validator("egress_allow")
    @classmethod
    def _allow(cls, value: list[str]) -> list[str]:
        for entry in value:
            parse_allow(entry)
        return value

    @field_validator("internal_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not a network such as 10.0.0.0/8") from None
        return value

    @field_validator("checks")
    @classmethod
    def _unique(cls, value: list[Check]) -> list[Check]:
        return list(dict.fromkeys(value))


Allow = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, int | None]


def parse_allow(entry: str) -> Allow:
    """``203.0.113.10``, ``203.0.113.0/24``, ``203.0.113.10:3128``, ``[2001:db8::1]:443``."""
    text, port = entry.strip(), None
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        text = host
        if rest:
            port = _port(rest.removeprefix(":"), entry)
    elif text.count(":") == 1:
        text, raw = text.split(":")
        port = _port(raw, entry)
    try:
        return ipaddress.ip_network(text, strict=False), port
    except ValueError:
        raise ValueError(f"{entry!r}: give an address or network (names are not resolved), "
                         "optionally with :PORT") from None


def _port(raw: str, entry: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ValueError(f"{entry!r}: port must be 1-65535")
    return int(raw)
