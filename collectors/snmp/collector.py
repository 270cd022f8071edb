"""The SNMP collector: system group, IF-MIB and the device's profile, one device per instance."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

from collectors.base import ArpRow
from collectors.snmp import interfaces
from collectors.snmp.client import Client, SnmpShared, Table, Var
from collectors.snmp.options import SnmpOptions
from collectors.snmp.profiles import Profile, evaluate, load_profiles, select
from collectors.snmp.tables import arp_entries
from monitor.core.errors import CollectError, ConfigError
from monitor.core.model import Reading

log = logging.getLogger(__name__)

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYSTEM = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME)

_OIDS_PER_GET = 20


class SnmpCollector:
    """Polls one device over SNMP; keeps its counter samples for rates between polls. Reads the
    device's IP-MIB ARP table for the IP–MAC checks (ArpTableReader)."""

    arp_source = "snmp"

    def __init__(self, device: str, options: SnmpOptions, *, address: str, port: int | None = None,
                 shared: SnmpShared | None = None, profiles: Mapping[str, Profile] | None = None) -> None:
        if not address:
            raise ConfigError([f"snmp {device}: address is required"])
        self.device = device
        self.options = options
        self.profiles = profiles if profiles is not None else load_profiles()
        if options.profile != "auto" and options.profile not in self.profiles:
            raise ConfigError([f"snmp {device}: profile: no profile named {options.profile!r} "
                               f"(have: {', '.join(sorted(self.profiles))})"])
        self.client = Client(device, address, port, options, shared or SnmpShared())
        self.rates = interfaces.RateState(max_gap=options.counter_max_gap)
        self.profile: Profile | None = None
        self.system: dict[str, str] = {}
        self._roles_checked = False
        # ifIndex -> ifname label of the last walk: the trap receiver names interfaces as polls do
        self.interface_names: dict[str, str] = {}  # unknown interface_roles keys are logged once

    async def collect(self, now: float) -> list[Reading]:
        """One poll; CollectError when the device does not answer the system group."""
        system = await self.client.get(SYSTEM, "get system group")
        if SYS_UPTIME not in system and SYS_OBJECT_ID not in system:
            raise CollectError(f"snmp {self.device}: no sysUpTime or sysObjectID in the answer")
        self.system = {k: v.text() for k, v in system.items()}
        uptime = system[SYS_UPTIME].number() if SYS_UPTIME in system else None
        previous = self.rates.uptime
        restarted = uptime is not None and previous is not None and uptime < previous
        self.rates.restarted(uptime)
        if self.profile is None or restarted:
            self.profile = self._pick(system)
        profile = self.profile
        roles = self.options.interface_roles
        alias = [interfaces.IF_ALIAS] if roles else []
        table = await self.walk([*interfaces.COLUMNS, *alias, *profile.columns()])
        if roles and not self._roles_checked:
            self._roles_checked = True
            unknown = sorted(set(roles) - interfaces.matched_names(table))
            if unknown:
                log.warning("device=%s interface_roles: no interface named %s (ifName, ifDescr or ifAlias)",
                            self.device, ", ".join(unknown))
        scalars: dict[str, Var] = {}
        wanted = profile.scalars()
        for i in range(0, len(wanted), _OIDS_PER_GET):
            scalars.update(await self.client.get(wanted[i:i + _OIDS_PER_GET], f"get {profile.name}"))
        out = [Reading("uptime_seconds", uptime / 100, {}, now)] if uptime is not None else []
        if restarted and not _wrapped(previous):
            # A restart seen by polling: the trap may have been lost, or never configured.
            out.append(Reading("device_restarted", 1.0, {}, now))
        self.interface_names = interfaces.names(table)
        out += interfaces.readings(table, self.rates, now, self.options.contracted_mbps, roles)
        out += evaluate(profile, scalars, table, now)
        self.client.answered()
        return out

    async def walk(self, columns: Sequence[str]) -> Table:
        """Walk the columns, as many per request as the device takes (``client.walk``)."""
        return await self.client.walk(columns, "walk tables")

    def _pick(self, system: Mapping[str, Var]) -> Profile:
        if self.options.profile != "auto":
            return self.profiles[self.options.profile]
        oid = system[SYS_OBJECT_ID].text() if SYS_OBJECT_ID in system else ""
        descr = system[SYS_DESCR].text() if SYS_DESCR in system else ""
        profile = select(self.profiles, oid, descr)
        log.info("device=%s sysObjectID=%s profile=%s", self.device, oid or "?", profile.name)
        return profile

    async def arp_rows(self, now: float) -> list[ArpRow]:
        """The device's ARP entries now. Forwarding-table ports are left out on purpose until
        sites can mark access ports: a trunk port sees every MAC and would look like a hub."""
        client = self.client
        entries = await arp_entries(client.address, client.options, port=client.port, device=self.device,
                                    shared=client.shared)
        return [(e.ip, e.mac, "", e.vlan) for e in entries]

    async def close(self) -> None:
        """Drop the session."""
        self.client.close()


def _wrapped(previous: float | None) -> bool:
    """sysUpTime (TimeTicks, 1/100 s) wraps at 2**32 after 497 days: a drop from within a day of
    the wrap is the counter turning over, not a restart."""
    return previous is not None and previous > 2**32 - 86400 * 100
