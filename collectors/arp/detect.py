"""The detections: each observation of an IP–MAC pair is judged against the registry at ``now``.

Pure (no I/O, no clock): the sniffer, the SNMP/SSH table sources and the tests all feed
``Detector.observe(obs, now)`` and get readings back. State lives in LRU tables capped at
``table_size`` entries each, so a flood of random MACs cannot grow memory without bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from collectors.arp import ArpOptions
from monitor.core.bindings import Binding, Registry
from monitor.core.model import Reading

K = TypeVar("K")
V = TypeVar("V")

UNKNOWN_MAC, IP_MISMATCH, IP_CONFLICT = "arp_unknown_mac", "arp_ip_mismatch", "arp_ip_conflict"
GATEWAY_SPOOF, FLOOD = "arp_gateway_spoof", "arp_flood_pps"
MAC_MOVED, PORT_MACS = "arp_mac_moved", "arp_port_macs"
_NOBODY = {"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """One sighting of ``ip`` used by ``mac``: an ARP frame (source ``arp``) or a table row
    from a switch or router (``snmp``, ``ssh``), which also tells where the MAC is plugged in.
    ``switch``/``port`` must be an access port's; table sources leave trunk ports out."""

    ip: str
    mac: str
    ts: float
    switch: str = ""
    port: str = ""
    vlan: int = 0
    source: str = "arp"
    interface: str = ""


@dataclass(slots=True)
class Sighting:
    """What the table remembers of one (ip, mac) pair (``learn`` writes these as a draft)."""

    ip: str
    mac: str
    first: float
    last: float
    count: int
    vlan: int = 0
    switch: str = ""
    port: str = ""


class LRU(Generic[K, V]):
    """A dict that forgets its least recently used entry beyond ``cap``."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value, marked as just used; None when absent."""
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store, evicting the oldest entry when over the cap."""
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self.cap:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def values(self) -> Iterator[V]:
        """Values, least recently used first."""
        return iter(list(self._data.values()))


class Detector:
    """Judges observations against a registry; keeps the bounded state the windows need."""

    def __init__(self, registry: Registry, options: ArpOptions, *, device: str) -> None:
        self.registry = registry
        self.options = options
        self.device = device
        cap = options.table_size
        self.seen: LRU[tuple[str, str], Sighting] = LRU(cap)
        self._claims: LRU[str, dict[str, float]] = LRU(cap)        # ip -> mac -> last claim
        self._rate: LRU[str, list[float]] = LRU(cap)               # mac -> [window start, frames]
        self._where: LRU[tuple[str, str], str] = LRU(cap)          # (mac, switch) -> port
        self._port_macs: LRU[tuple[str, str], dict[str, float]] = LRU(cap)
        self._told: LRU[tuple[str, ...], float] = LRU(cap)

    def observe(self, obs: Observation, now: float, count: int = 1) -> list[Reading]:
        """Readings for the violations this observation shows (each told at most every ``repeat``).
        ``count`` identical frames may be judged at once (the sniffer groups a block's repeats)."""
        out: list[Reading] = []
        mac = obs.mac
        if mac in _NOBODY:
            return out
        if obs.source == "arp":
            self._flood(obs, now, out, count)
        if obs.ip == "0.0.0.0":  # DHCP / RFC 5227 probe, or a forwarding-table row: claims no address
            if obs.switch and obs.port:
                self._ports(obs, now, out)
            return out
        self._remember(obs, now, count)
        reg = self.registry
        allowed = reg.may_claim(obs.ip, mac)
        gateway = reg.is_gateway(obs.ip)
        if not allowed:
            pool = reg.in_pool(obs.ip)
            if gateway:
                self._tell(out, GATEWAY_SPOOF, obs, now, self._who(obs.ip, mac))
            if not reg.known_mac(mac) and not pool:
                self._tell(out, UNKNOWN_MAC, obs, now, self._who(obs.ip, mac))
        if not allowed and not gateway:  # for a gateway, impersonation says all there is to say
            owner = reg.by_ip(obs.ip)
            if owner is not None and owner.mac != mac:
                self._tell(out, IP_MISMATCH, obs, now, self._who(obs.ip, mac, owner),
                           reason="ip_taken", registered_mac=owner.mac)
            mine = reg.by_mac(mac)
            if mine is not None and mine.ip != obs.ip and not reg.in_pool(obs.ip):
                self._tell(out, IP_MISMATCH, obs, now, self._who(obs.ip, mac, mine),
                           reason="ip_changed", registered_ip=mine.ip)
            self._conflict(obs, now, out)
        if obs.switch and obs.port:
            self._ports(obs, now, out)
        return out

    def sightings(self) -> list[Sighting]:
        """Everything remembered, least recently seen first."""
        return list(self.seen.values())

    def _remember(self, obs: Observation, now: float, count: int = 1) -> None:
        key = (obs.ip, obs.mac)
        s = self.seen.get(key)
        if s is None:
            s = Sighting(ip=obs.ip, mac=obs.mac, first=now, last=now, count=0)
            self.seen.put(key, s)
        s.last, s.count = now, s.count + count
        s.vlan = obs.vlan or s.vlan
        if obs.switch:
            s.switch, s.port = obs.switch, obs.port

    def _flood(self, obs: Observation, now: float, out: list[Reading], count: int) -> None:
        window = self._rate.get(obs.mac)
        if window is None or now - window[0] >= 1.0:
            window = [now, 0.0]
            self._rate.put(obs.mac, window)
        window[1] += count
        if window[1] - count <= self.options.flood_pps < window[1]:  # told once per window, at the crossing
            labels = self._who(obs.ip, obs.mac)
            self._tell(out, FLOOD, obs, now, labels, value=window[1], key=(FLOOD, obs.mac))

    def _conflict(self, obs: Observation, now: float, out: list[Reading]) -> None:
        claims = self._claims.get(obs.ip)
        if claims is None:
            self._claims.put(obs.ip, {obs.mac: now})
            return  # the first claim of an address conflicts with nothing
        if len(claims) == 1 and obs.mac in claims:
            claims[obs.mac] = now  # the usual case: the one claimant again
            return
        window = self.options.conflict_window
        for other, when in list(claims.items()):
            if now - when > window:
                del claims[other]
        claims[obs.mac] = now
        others = sorted(m for m in claims if m != obs.mac and not self.registry.may_claim(obs.ip, m))
        if others:
            self._tell(out, IP_CONFLICT, obs, now, self._who(obs.ip, obs.mac), other_mac=others[0],
                       value=len(others) + 1)

    def _ports(self, obs: Observation, now: float, out: list[Reading]) -> None:
        mine = self.registry.by_mac(obs.mac)
        ip = obs.ip if obs.ip != "0.0.0.0" else (mine.ip if mine else "")
        where = (obs.mac, obs.switch)
        expected = mine.port if mine and mine.switch == obs.switch else self._where.get(where)
        self._where.put(where, obs.port)
        if expected and expected != obs.port:
            self._tell(out, MAC_MOVED, obs, now, self._who(ip, obs.mac, mine), from_port=expected)
        bound = self.registry.at_port(obs.switch, obs.port)
        if not bound:
            return  # not a registered access port (or a trunk): many MACs there are normal
        key = (obs.switch, obs.port)
        macs = self._port_macs.get(key)
        if macs is None:
            macs = {}
            self._port_macs.put(key, macs)
        for other, when in list(macs.items()):
            if now - when > self.options.port_window:
                del macs[other]
        macs[obs.mac] = now
        if len(macs) > len(bound) and obs.mac not in {b.mac for b in bound}:
            self._tell(out, PORT_MACS, obs, now, self._who(ip, obs.mac, bound[0]),
                       value=len(macs), bound=len(bound))

    def _who(self, ip: str, mac: str, binding: Binding | None = None) -> dict[str, str]:
        """ip/mac labels plus the registered owner (of the given binding, else of the MAC or IP)."""
        b = binding or self.registry.by_mac(mac) or self.registry.by_ip(ip)
        labels = {"ip": ip, "mac": mac} if ip else {"mac": mac}
        if b is not None:
            labels.update({k: v for k, v in (("owner", b.owner), ("hostname", b.hostname),
                                             ("department", b.department)) if v})
        return labels

    def _tell(self, out: list[Reading], metric: str, obs: Observation, now: float, labels: dict[str, str],
              *, value: float = 1.0, key: tuple[str, ...] | None = None, **extra: object) -> None:
        labels = {"device": obs.switch or self.device, **labels, **{k: str(v) for k, v in extra.items()}}
        for name, val in (("switch", obs.switch), ("port", obs.port), ("interface", obs.interface),
                          ("vlan", str(obs.vlan) if obs.vlan else "")):
            if val:
                labels[name] = val
        key = key or (metric, *sorted(f"{k}={v}" for k, v in labels.items() if k != "bound"))
        last = self._told.get(key)
        if last is not None and now - last < self.options.repeat:
            return
        self._told.put(key, now)
        out.append(Reading(metric, float(value), labels, now))
