"""SNMP notifications (traps and informs) received on pysnmp, turned into readings at once.

``receiver.TrapListener`` is the push source; ``catalog`` maps notification OIDs to readings
(``catalog.toml`` is the data: IF-MIB linkDown/linkUp, coldStart/warmStart, RFC 1628 UPS-MIB,
APC PowerNet). This module holds the ``[traps]`` section.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from collectors.snmp.options import AuthProtocol, PrivProtocol, v3_problem
from monitor.core.durations import Duration
from monitor.core.secrets import Secret

SAMPLE = """\
# SNMP traps and informs: linkDown/linkUp (if_oper_up), coldStart/warmStart (device_restarted),
# RFC 1628 UPS-MIB and APC PowerNet on-battery / replace-battery (ups_on_battery,
# ups_battery_replace) are judged at once, not at the next poll. Port 162 needs the
# CAP_NET_BIND_SERVICE capability (the systemd unit grants it). A trap's source address is
# matched to a device's `address`; unknown senders keep their address as `device`. Refused and
# unknown traps are counted (traps_rejected_total{reason}, traps_unknown_total) and logged.
[traps]
enabled = false
address = "0.0.0.0"            # "::" listens on IPv6 and IPv4
port = 162
communities = ["change-me"]    # v1/v2c; better "env:TRAP_COMMUNITY" or "file:trap-community"
stats_interval = "60s"         # how often the receiver's counters are reported

# v3 users (the same protocol names as devices' snmp); senders' engine IDs are learned.
[[traps.users]]
user = "roomwatch-trap"
auth_protocol = "SHA256"       # MD5 SHA SHA224 SHA256 SHA384 SHA512
auth_key = "change-me-auth"    # at least 8 characters; better "env:…" or "file:…"
priv_protocol = "AES"          # DES AES AES192 AES256
priv_key = "change-me-priv"
"""


class TrapUser(BaseModel):
    """One SNMPv3 user traps may come from; protocol names are the SNMP poller's."""

    model_config = ConfigDict(extra="forbid")

    user: str = Field(description="v3 user name.")
    auth_protocol: AuthProtocol | None = Field(None, description="Authentication protocol.")
    auth_key: Secret | None = Field(None, description="Authentication pass phrase.")
    priv_protocol: PrivProtocol | None = Field(None, description="Privacy protocol.")
    priv_key: Secret | None = Field(None, description="Privacy pass phrase.")

    @model_validator(mode="after")
    def _credentials(self) -> TrapUser:
        problem = v3_problem(self.user, self.auth_protocol, self.auth_key, self.priv_protocol, self.priv_key)
        if problem:
            raise ValueError(problem)
        return self


class TrapOptions(BaseModel):
    """The ``[traps]`` section: where to listen and whom to believe."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="Run the trap receiver.")
    address: str = Field("0.0.0.0", description="Address to listen on.")
    port: int = Field(162, ge=0, le=65535, description="UDP port (162 needs CAP_NET_BIND_SERVICE; 0: any).")
    communities: list[Secret] = Field(default_factory=list, description="Accepted v1/v2c communities.")
    users: list[TrapUser] = Field(default_factory=list, description="Accepted v3 users.")
    stats_interval: Duration = Field(60.0, gt=0, description="How often the receiver counters are reported.")


    @model_validator(mode="after")
    def _someone(self) -> TrapOptions:
        if self.enabled and not (self.communities or self.users):
            raise ValueError("enabled needs at least one of communities or users (traps are authenticated)")
        names = [u.user for u in self.users]
        if len(set(names)) != len(names):
            raise ValueError("users: each user name may appear once")
        return self

    def secret_values(self) -> list[str]:
        """Every secret here, for the log redaction filter."""
        found = [c.get_secret_value() for c in self.communities]
        for u in self.users:
            found += [k.get_secret_value() for k in (u.auth_key, u.priv_key) if k is not None]
        return found
