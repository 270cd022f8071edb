"""The ``snmp`` device sub-table and the ``[snmp]`` section: versions, credentials, pacing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from monitor.durations import Duration
from monitor.secrets import Secret

SAMPLE = """\
# SNMP (v1, v2c, v3). `roomwatch snmp probe ADDRESS --community C` shows what a device gives
# before you add it. profile = "auto" picks a profile by sysObjectID / sysDescr.
[[devices]]
name = "core-sw-1"
kind = "switch"
address = "192.0.2.10"
level = 1
snmp = { version = "2c", community = "env:SNMP_COMMUNITY", timeout = "5s", retries = 2,
         max_repetitions = 25, bulk = true }

[[devices]]
name = "wan-router"
kind = "router"
address = "192.0.2.1"
# Shaped circuits: utilisation against the contract (000: 8 Mb/s WAN, 100 Mb/s Internet),
# not the port speed.
[devices.snmp]
version = "3"
user = "roomwatch"
auth_protocol = "SHA256"   # MD5 SHA SHA224 SHA256 SHA384 SHA512
auth_key = "file:snmp-auth"
priv_protocol = "AES"      # DES AES AES192 AES256
priv_key = "file:snmp-priv"
contracted_mbps = { "GigabitEthernet0/0/1" = 8, "GigabitEthernet0/0/2" = 100 }
# Interface roles: readings of these interfaces carry the label role = "…" (the uplink_down
# rule and report item 4 watch role = "uplink"). Keys match ifName, ifDescr or ifAlias exactly;
# interfaces not listed get no role label.
interface_roles = { "GigabitEthernet0/0/1" = "uplink", "GigabitEthernet0/0/2" = "uplink" }

[snmp]
max_concurrent = 64            # SNMP requests in flight at once, all devices together
# profiles_dir = "/etc/roomwatch/snmp-profiles"   # your own profile files (*.toml); they win
"""

Version = Literal["1", "2c", "3"]
AuthProtocol = Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"]
PrivProtocol = Literal["DES", "AES", "AES192", "AES256"]


class SnmpOptions(BaseModel):
    """The ``snmp`` sub-table of a device."""

    model_config = ConfigDict(extra="forbid")

    version: Version = Field("2c", description="1, 2c or 3.")
    community: Secret | None = Field(None, description="v1/v2c community (env:/file: allowed).")
    timeout: Duration = Field(5.0, gt=0, le=60, description="Wait this long for each answer.")
    retries: int = Field(2, ge=0, le=10, description="Resend an unanswered request this often.")
    max_repetitions: int = Field(25, ge=1, le=200, description="Rows asked per GETBULK.")
    bulk: bool = Field(True, description="false for agents that mishandle GETBULK (uses GETNEXT).")
    profile: str = Field("auto", description="Profile name, or auto (by sysObjectID/sysDescr).")
    contracted_mbps: dict[str, float] = Field(
        default_factory=dict, description="ifName -> contracted Mb/s, for shaped WAN/Internet circuits.")
    interface_roles: dict[str, str] = Field(
        default_factory=dict,
        description="ifName, ifDescr or ifAlias -> role label (uplink_down watches role = uplink).")
    counter_max_gap: Duration = Field(
        900.0, gt=0, description="Two counter samples further apart than this give no rate.")
    user: str = Field("", description="v3 user name.")
    auth_protocol: AuthProtocol | None = Field(None, description="v3 authentication protocol.")
    auth_key: Secret | None = Field(None, description="v3 authentication pass phrase.")
    priv_protocol: PrivProtocol | None = Field(None, description="v3 privacy protocol.")
    priv_key: Secret | None = Field(None, description="v3 privacy pass phrase.")
    context: str = Field("", description="v3 context name.")


    @field_validator("interface_roles")
    @classmethod
    def _roles(cls, value: dict[str, str]) -> dict[str, str]:
        for name, role in value.items():
            if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", role):
                raise ValueError(f"{name!r}: role {role!r} must be a short lower-case word, like uplink")
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: object) -> object:
        text = str(value).lower().lstrip("v")
        return {"2": "2c", "3": "3", "1": "1", "2c": "2c"}.get(text, value)

    @model_validator(mode="after")
    def _credentials(self) -> SnmpOptions:
        if self.version == "3":
            problem = v3_problem(self.user, self.auth_protocol, self.auth_key, self.priv_protocol,
                                 self.priv_key)
            if problem:
                raise ValueError(problem)
        elif self.community is None:
            raise ValueError(f"version {self.version} needs community")
        return self

    @property
    def security_level(self) -> str:
        """v3 security level as net-snmp spells it."""
        if self.priv_protocol:
            return "authPriv"
        return "authNoPriv" if self.auth_protocol else "noAuthNoPriv"


def v3_problem(user: str, auth_protocol: AuthProtocol | None, auth_key: SecretStr | None,
               priv_protocol: PrivProtocol | None, priv_key: SecretStr | None) -> str | None:
    """What is wrong with one set of v3 credentials (the poller's and the trap receiver's), or None."""
    if not user:
        return "version 3 needs user"
    if auth_protocol and not auth_key:
        return "auth_protocol needs auth_key"
    if priv_protocol and not (priv_key and auth_protocol):
        return "priv_protocol needs priv_key and auth_protocol"
    for key in (auth_key, priv_key):
        if key is not None and len(key.get_secret_value()) < 8:
            return "v3 keys must be at least 8 characters (RFC 3414)"
    return None


# A poll may take as long as this many requests that use all their tries: the system group and
# one table request, or a walk's shrinking request and its smallest one (``sizing``).
_REQUESTS_PER_DEADLINE = 2


def request_budget(options: SnmpOptions) -> float:
    """The longest one request can take: every try waits the full timeout."""
    return options.timeout * (options.retries + 1)


def collection_deadline(options: SnmpOptions, interval: float, default: float) -> float:
    """How long one poll of the device may take when its inventory entry sets no ``timeout``:
    the default, but at least two requests' full budget, and never more than the interval."""
    return min(interval, max(default, request_budget(options) * _REQUESTS_PER_DEADLINE))


def timing_problem(options: SnmpOptions, interval: float, device_timeout: float | None) -> str | None:
    """Why the device's timeouts cannot agree (one request outlasting the poll), or None."""
    budget = request_budget(options)
    tries = f"snmp.timeout {options.timeout:g}s × {options.retries + 1} tries = {budget:g}s"
    if budget > interval:
        return f"{tries} does not fit in the {interval:g}s interval; lower snmp.timeout or snmp.retries, " \
               "or raise interval"
    if device_timeout is not None and device_timeout < budget:
        return f"timeout {device_timeout:g}s is shorter than one SNMP request ({tries}); raise timeout " \
               "(or leave it out: it then follows snmp), or lower snmp.timeout or snmp.retries"
    return None


class SnmpSettings(BaseModel):
    """The ``[snmp]`` section: what all SNMP devices share."""

    model_config = ConfigDict(extra="forbid")

    max_concurrent: int = Field(64, ge=1, le=1024, description="SNMP requests in flight at once.")
    profiles_dir: Path | None = Field(None, description="Extra profile files (*.toml); they win.")
