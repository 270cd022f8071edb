"""The IP–MAC binding registry (资产台账): the CSV reader and writer, and lookups (the
``[bindings]`` config model lives in ``binding_settings`` and is re-exported here). Pure:
parsing works on bytes, nothing is read at import.

It belongs with ``monitor.inventory`` (the registry describes the inventory's computers) but in its
own module because the ARP collector must look bindings up, and collectors may not import
``monitor.inventory`` or ``monitor.config``.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from monitor.core.binding_settings import Allow, AllowKind, BindingsSettings, normalize_mac
from monitor.core.errors import ConfigError
from monitor.core.textfiles import decode

__all__ = ["COLUMNS", "Allow", "AllowKind", "Binding", "BindingsSettings", "Registry", "load",
           "normalize_mac", "parse_csv", "save", "to_csv"]

COLUMNS = ("ip", "mac", "hostname", "owner", "department", "vlan", "switch", "port", "note")
# Excel sheets kept by Chinese IT staff often carry Chinese headers; both are understood.
_ALIASES = {"ip地址": "ip", "mac地址": "mac", "主机名": "hostname", "使用人": "owner", "责任人": "owner",
            "部门": "department", "交换机": "switch", "端口": "port", "备注": "note"}
_TEXT_COLUMNS = ("hostname", "owner", "department", "switch", "port", "note")


@dataclass(frozen=True, slots=True, kw_only=True)
class Binding:
    """One registry row: an IP bound to a MAC, with who owns it and where it plugs in."""

    ip: str
    mac: str
    hostname: str = ""
    owner: str = ""
    department: str = ""
    vlan: int | None = None
    switch: str = ""
    port: str = ""
    note: str = ""
    line: int = 0


class Registry:
    """Lookups over validated bindings and the allow-list (built once, read by the detector)."""

    def __init__(self, bindings: Iterable[Binding] = (), allow: Sequence[Allow] = ()) -> None:
        self.bindings = list(bindings)
        self.allow = list(allow)
        self._by_ip = {b.ip: b for b in self.bindings}
        self._by_mac = {b.mac: b for b in self.bindings}
        self._ports: dict[tuple[str, str], list[Binding]] = {}
        for b in self.bindings:
            if b.switch and b.port:
                self._ports.setdefault((b.switch, b.port), []).append(b)
        self._gateways = {str(a.ip.network_address): a for a in self.allow
                          if a.kind is AllowKind.GATEWAY and a.ip is not None}

    def by_ip(self, ip: str) -> Binding | None:
        """The binding of an IP, if registered."""
        return self._by_ip.get(ip)

    def by_mac(self, mac: str) -> Binding | None:
        """The binding of a MAC, if registered."""
        return self._by_mac.get(mac)

    def at_port(self, switch: str, port: str) -> list[Binding]:
        """Devices registered behind one switch port (an access port when non-empty)."""
        return self._ports.get((switch, port), [])

    def is_gateway(self, ip: str) -> bool:
        """True when ``ip`` is a declared gateway."""
        return ip in self._gateways

    def known_mac(self, mac: str) -> bool:
        """True when ``mac`` is registered or on the allow-list."""
        return mac in self._by_mac or any(a.covers_mac(mac) for a in self.allow if a.mac)

    def may_claim(self, ip: str, mac: str) -> bool:
        """True when the allow-list lets ``mac`` answer for ``ip`` (gateway, VRRP/HSRP, proxy ARP)."""
        return any(a.kind is not AllowKind.DHCP_POOL and a.covers_mac(mac) and a.covers_ip(ip)
                   for a in self.allow)

    def in_pool(self, ip: str) -> bool:
        """True when ``ip`` is in an unbound DHCP pool."""
        return any(a.kind is AllowKind.DHCP_POOL and a.covers_ip(ip) for a in self.allow)


def parse_csv(data: bytes, source: str,
              subnets: Sequence[IPv4Network] = ()) -> tuple[list[Binding], list[str]]:
    """Bindings from CSV bytes and every problem as ``source:LINE: …`` (all rows checked)."""
    try:
        text = decode(data, source, "save it from Excel as 'CSV UTF-8' (CSV UTF-8 逗号分隔)")
    except ConfigError as err:
        return [], err.problems
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    problems: list[str] = []
    rows: list[Binding] = []
    first_ip: dict[str, Binding] = {}
    first_mac: dict[str, Binding] = {}
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:  # a field over the csv module's limit, a NUL byte: stop there
            problems.append(f"{source}:{reader.line_num}: not a CSV row the registry can hold ({err})")
            break
        line = reader.line_num
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header, bad = _header(cells)
            problems += [f"{source}:{line}: {msg}" for msg in bad]
            if bad:
                return [], problems
            continue
        if len(cells) > len(header):
            problems.append(f"{source}:{line}: {len(cells)} fields, the header has {len(header)}")
            continue
        row = {name: value.strip() for name, value in zip(header, cells, strict=False)}
        binding, bad = _row(row, line, subnets)
        problems += [f"{source}:{line}: {msg}" for msg in bad]
        if binding is None:
            continue
        if binding.ip in first_ip:
            other = first_ip[binding.ip]
            problems.append(f"{source}:{line}: ip {binding.ip} is already bound at line {other.line} "
                            f"(to {other.mac})")
            continue
        if binding.mac in first_mac:
            other = first_mac[binding.mac]
            problems.append(f"{source}:{line}: mac {binding.mac} is already bound at line {other.line} "
                            f"(to {other.ip})")
            continue
        first_ip[binding.ip] = first_mac[binding.mac] = binding
        rows.append(binding)
    if header is None:
        problems.append(f"{source}: empty; expected a header line {','.join(COLUMNS)}")
    return rows, problems


def load(path: Path, settings: BindingsSettings) -> Registry:
    """Read and validate the registry file; ConfigError lists every bad row."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError([f"{path}: cannot read the bindings registry: {err.strerror}"]) from None
    bindings, problems = parse_csv(data, str(path), settings.subnets)
    if problems:
        raise ConfigError(problems)
    return Registry(bindings, settings.allow)


def save(path: Path, bindings: Iterable[Binding]) -> None:
    """Make ``bindings`` the registry at ``path``; the previous file is kept as ``path.bak``
    (``roomwatch bindings import`` and the console's approve both write through here)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(to_csv(bindings))
    if path.exists():
        path.replace(path.with_name(path.name + ".bak"))
    os.replace(tmp, path)


def to_csv(bindings: Iterable[Binding], *, bom: bool = True) -> bytes:
    """The registry as CSV bytes (with a BOM by default, so Excel shows Chinese correctly)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for b in bindings:
        writer.writerow(["" if getattr(b, c) is None else str(getattr(b, c)) for c in COLUMNS])
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def _header(cells: list[str]) -> tuple[list[str], list[str]]:
    names = [_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in cells]
    problems = [f"unknown column {c.strip()!r} (expected {', '.join(COLUMNS)})"
                for c, n in zip(cells, names, strict=True) if n not in COLUMNS]
    problems += [f"missing column {need!r}" for need in ("ip", "mac") if need not in names]
    problems += [f"column {n!r} appears twice" for n in sorted({n for n in names if names.count(n) > 1})]
    return names, problems


def _row(row: dict[str, str], line: int, subnets: Sequence[IPv4Network]) -> tuple[Binding | None, list[str]]:
    problems = []
    ip_text, mac_text = row.get("ip", ""), row.get("mac", "")
    ip: IPv4Address | None = None
    try:
        ip = IPv4Address(ip_text)
    except ValueError:
        problems.append(f"ip {ip_text!r} is not an IPv4 address" if ip_text else "ip is empty")
    home = [net for net in subnets if ip is not None and ip in net]
    if ip is not None and (ip.is_unspecified or ip.is_multicast or ip.is_loopback or ip.is_link_local):
        problems.append(f"ip {ip} cannot be bound to a host")
    elif ip is not None and subnets and not home:
        problems.append(f"ip {ip} is outside the declared subnets ({', '.join(map(str, subnets))})")
    elif ip is not None and home and home[0].prefixlen < 31 and ip in (home[0].network_address,
                                                                       home[0].broadcast_address):
        problems.append(f"ip {ip} is the network or broadcast address of {home[0]}")
    mac = normalize_mac(mac_text)
    if mac is None:
        problems.append(f"mac {mac_text!r} is not a MAC address" if mac_text else "mac is empty")
    elif mac == "00:00:00:00:00:00" or int(mac[:2], 16) & 1:
        problems.append(f"mac {mac} is a zero, broadcast or multicast address")
    vlan: int | None = None
    if row.get("vlan"):
        try:
            vlan = int(row["vlan"])
            if not 1 <= vlan <= 4094:
                raise ValueError
        except ValueError:
            problems.append(f"vlan {row['vlan']!r} is not a VLAN number 1-4094")
    if bool(row.get("switch")) != bool(row.get("port")):
        problems.append("switch and port go together (one is empty)")
    if problems or ip is None or mac is None:
        return None, problems
    extra = {name: row.get(name, "") for name in _TEXT_COLUMNS}
    return Binding(ip=str(ip), mac=mac, vlan=vlan, line=line, **extra), []
