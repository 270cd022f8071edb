"""The ``snmp`` device sub-table and the ``[snmp]`` section: versions, credentials, pacing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from monitor.core.durations import Duration
from monitor.core.options import PluginOptions
from monitor.core.secrets import Secret

SAMPLE = """\
# SNMP v1/v2c/v3, all through roomwatch's own BER codec on one socket (v3: USM, authPriv).
# Test a device before adding it: `roomwatch snmp probe ADDRESS --community C`
# shows the profile it picks and every reading. profile = "auto" picks by sysObjectID/sysDescr
# from collectors/snmp/profiles/*.toml (plus [snmp] profiles_dir). Readings: uptime_seconds,
# if_oper_up / if_in_bps / if_out_bps / if_utilization_percent / if_{in,out}_errors_per_second
# {ifname} (admin-down ports are skipped), and per profile cpu_percent, memory_percent,
# temperature_celsius{sensor}, fan_ok{fan}, power_supply_ok{psu}, ups_*, disk_used_percent{mount}.
[[devices]]
name = "agg-sw-1"
kind = "switch"
address = "192.0.2.20"
room = "一号机房"
level = 1
# community: better "env:SNMP_COMMUNITY" or "file:snmp-community" (a systemd credential)
[devices.snmp]
version = "2c"
community = "change-me"
timeout = "5s"                  # each answer; then resent `retries` times
retries = 2
max_repetitions = 25            # rows asked per GETBULK
bulk = true                     # false for agents that mishandle GETBULK (GETNEXT is used)
profile = "auto"

[[devices]]
name = "wan-router"
kind = "router"
address = "192.0.2.1"
level = 1
[devices.snmp]
version = "3"
user = "roomwatch"
auth_protocol = "SHA256"        # MD5 SHA SHA224 SHA256 SHA384 SHA512
auth_key = "change-me-auth"   # at least 8 characters; better "env:…" or "file:snmp-auth"
priv_protocol = "AES"           # DES AES AES192 AES256
priv_key = "change-me-priv"
context = ""                    # v3 context name (most agents: empty)
# Shaped circuits: utilisation against the contract (000: 2/4/8 Mb/s WAN, 50/100 Mb/s
# Internet), not the port speed. Keys are ifName.
contracted_mbps = { "GigabitEthernet0/0/1" = 8, "GigabitEthernet0/0/2" = 100 }
# Interface roles: this interface's readings carry role = "uplink", which the uplink_down rule
# (critical after 1 min down) and report item 4 watch. Keys match ifName, ifDescr or ifAlias
# exactly ("Gi0/0/1" and "GigabitEthernet0/0/1" both work); unlisted interfaces get no role
# label, and a key that matches no interface is logged once. Roles are short lower-case words.
interface_roles = { "GigabitEthernet0/0/1" = "uplink", "GigabitEthernet0/0/2" = "uplink" }
counter_max_gap = "15m"         # counter samples further apart give no rate (no bogus spike)

[snmp]
max_concurrent = 64             # SNMP requests in flight at once, all devices together
# profiles_dir = "/etc/roomwatch/snmp-profiles"   # your own profiles (*.toml); same name wins.
# A vendor sensor (many 动环 controllers export temperature ×10) is a five-line file:
#   name = "dh-room1"
#   [match]
#   sys_object_id = ["1.3.6.1.4.1.99999"]
#   [[metrics]]
#   metric = "temperature_celsius"
#   oid = "1.3.6.1.4.1.99999.1.1.0"
#   scale = 0.1
#   set = { sensor = "room1-north" }
"""

Version = Literal["1", "2c", "3"]
AuthProtocol = Literal["MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"]
PrivProtocol = Literal["DES", "AES", "AES192", "AES256"]


class SnmpOptions(PluginOptions):
    """Poll over SNMP v1/v2c/v3: the ``snmp`` sub-table of a device."""

    needs_address: ClassVar[bool] = True

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

    def deadline(self, interval: float, default: float) -> float:
        """How long one poll may take when the device sets no ``timeout``: the default, but at
        least two requests' full tries (the system group and one table request, or a walk's
        shrinking request and its smallest one), never more than the interval."""
        return min(interval, max(default, self._budget() * 2))

    def timing_problem(self, interval: float, device_timeout: float | None) -> str | None:
        """Why the device's timeouts cannot agree (one request outlasting the poll), or None."""
        budget = self._budget()
        tries = f"snmp.timeout {self.timeout:g}s × {self.retries + 1} tries = {budget:g}s"
        if budget > interval:
            return f"{tries} does not fit in the {interval:g}s interval; lower snmp.timeout or " \
                   "snmp.retries, or raise interval"
        if device_timeout is not None and device_timeout < budget:
            return f"timeout {device_timeout:g}s is shorter than one SNMP request ({tries}); raise " \
                   "timeout (or leave it out: it then follows snmp), or lower snmp.timeout or snmp.retries"
        return None

    def _budget(self) -> float:
        # The longest one request can take: every try waits the full timeout.
        return self.timeout * (self.retries + 1)

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


class SnmpSettings(BaseModel):
    """The ``[snmp]`` section: what all SNMP devices share."""

    model_config = ConfigDict(extra="forbid")

    max_concurrent: int = Field(64, ge=1, le=1024, description="SNMP requests in flight at once.")
    profiles_dir: Path | None = Field(None, description="Extra profile files (*.toml); they win.")
