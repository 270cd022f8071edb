"""The ``[bindings]`` config model: where the IP–MAC registry is, the declared subnets, and the
allow-list of what never alarms (gateways, VRRP/HSRP virtual MACs, proxy ARP, DHCP pools)."""

from __future__ import annotations

import enum
import ipaddress
import re
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")


class AllowKind(enum.Enum):
    """What an allow-list entry is; each never alarms in its own way (see ``Allow``)."""

    GATEWAY = "gateway"
    VRRP = "vrrp"
    HSRP = "hsrp"
    PROXY_ARP = "proxy_arp"
    DHCP_POOL = "dhcp_pool"


# Well-known virtual router MACs (RFC 5798 for VRRP; Cisco HSRP v1 and v2).
_VIRTUAL_DEFAULTS = {AllowKind.VRRP: ["00:00:5e:00:01:*"],
                     AllowKind.HSRP: ["00:00:0c:07:ac:*", "00:00:0c:9f:f*"]}


class Allow(BaseModel):
    """One ``[[bindings.allow]]`` entry: something that must never alarm.

    gateway: ``ip`` is a gateway and ``mac`` its own MACs; any other MAC claiming that IP is
    gateway impersonation (critical). vrrp/hsrp: virtual MACs (default the standard ranges) that
    may claim the IPs in ``ip`` (default any). proxy_arp: a router MAC that may answer for the IPs
    in ``ip`` (default any). dhcp_pool: an unbound pool ``ip``; unregistered MACs there are fine.
    """

    model_config = ConfigDict(extra="forbid")

    kind: AllowKind = Field(description="gateway | vrrp | hsrp | proxy_arp | dhcp_pool.")
    ip: IPv4Network | None = Field(None, description="Address or network (CIDR) it covers.")
    mac: list[str] = Field(default_factory=list, description="MACs; a trailing * is a prefix.")
    note: str = Field("", description="Why it is allowed (shown to people).")

    @field_validator("ip", mode="before")
    @classmethod
    def _network(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{value!r} is not an IPv4 address or network") from None
        return value

    @field_validator("mac")
    @classmethod
    def _macs(cls, values: list[str]) -> list[str]:
        out = []
        for value in values:
            stem = value.strip().lower()
            if stem.endswith("*"):
                prefix = stem[:-1].replace("-", ":")
                if not re.fullmatch(r"([0-9a-f]{2}:){0,5}[0-9a-f]{0,2}", prefix):
                    raise ValueError(f"{value!r} is not a MAC prefix (like 00:00:5e:00:01:*)")
                out.append(prefix + "*")
            else:
                mac = normalize_mac(value)
                if mac is None:
                    raise ValueError(f"{value!r} is not a MAC address")
                out.append(mac)
        return out

    @model_validator(mode="after")
    def _complete(self) -> Allow:
        if self.kind is AllowKind.GATEWAY and (self.ip is None or self.ip.num_addresses != 1 or not self.mac):
            raise ValueError("a gateway needs one ip address and its mac(s)")
        if self.kind is AllowKind.PROXY_ARP and not self.mac:
            raise ValueError("a proxy_arp entry needs the router's mac")
        if self.kind is AllowKind.DHCP_POOL and (self.ip is None or self.mac):
            raise ValueError("a dhcp_pool needs an ip network and no mac")
        if self.kind in _VIRTUAL_DEFAULTS and not self.mac:
            self.mac = list(_VIRTUAL_DEFAULTS[self.kind])
        return self

    def covers_mac(self, mac: str) -> bool:
        """True when ``mac`` is one of this entry's MACs or prefixes."""
        return any(mac.startswith(m[:-1]) if m.endswith("*") else mac == m for m in self.mac)

    def covers_ip(self, ip: str) -> bool:
        """True when ``ip`` is inside this entry's network (no network: every IP)."""
        return self.ip is None or IPv4Address(ip) in self.ip


class BindingsSettings(BaseModel):
    """The ``[bindings]`` section: where the registry is, the declared subnets, the allow-list."""

    model_config = ConfigDict(extra="forbid")

    file: Path | None = Field(None, description="The registry CSV (资产台账), UTF-8 with or without BOM.")
    subnets: list[IPv4Network] = Field(default_factory=list, description="Subnets bound IPs must be in.")
    allow: list[Allow] = Field(default_factory=list, description="What must never alarm.")

    @field_validator("subnets", mode="before")
    @classmethod
    def _subnets(cls, values: object) -> object:
        if not isinstance(values, list):
            return values
        out = []
        for value in values:
            try:
                out.append(ipaddress.IPv4Network(str(value).strip()))
            except ValueError as err:
                raise ValueError(f"{value!r} is not an IPv4 network ({err})") from None
        return out


def normalize_mac(text: str) -> str | None:
    """``aa:bb:cc:dd:ee:ff`` from any common spelling (colons, dashes, Cisco/Huawei dots), or None."""
    hexes = re.sub(r"[:\-.\s]", "", text.strip().lower())
    if not _MAC_HEX.match(hexes):
        return None
    return ":".join(hexes[i:i + 2] for i in range(0, 12, 2))
