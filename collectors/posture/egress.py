"""Outbound connections from a server to the Internet or to mail ports (《公司信息化管理制度》
第六章 第二十六条).

A connection is outbound when its local port is not one the server listens on. It counts as
Internet access when the remote address is outside ``internal_networks``, and as mail when
the remote port is a mail port; either is excused by a matching ``egress_allow`` entry.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from collectors.posture.options import MAIL_PORTS, PostureOptions, parse_allow
from collectors.posture.outcome import Builder, Outcome, unavailable

# /proc/net/tcp states: 01 ESTABLISHED, 02 SYN_SENT, 0A LISTEN.
_OPEN = {"01", "02"}
_LISTEN = "0A"


@dataclass(frozen=True, slots=True, kw_only=True)
class Conn:
    """One TCP connection as the server sees it."""

    local_port: int
    remote: str
    remote_port: int


def proc_net_tcp(text: str) -> tuple[list[Conn], set[int]] | None:
    """Open connections and listening ports from ``/proc/net/tcp`` + ``tcp6``; None if unread."""
    conns: list[Conn] = []
    listening: set[int] = set()
    seen_header = False
    for line in text.splitlines():
        words = line.split()
        if len(words) < 4 or words[0] == "sl":
            seen_header = seen_header or (bool(words) and words[0] == "sl")
            continue
        try:
            _, lport = _hex_endpoint(words[1])
            raddr, rport = _hex_endpoint(words[2])
        except ValueError:
            continue
        if words[3] == _LISTEN:
            listening.add(lport)
        elif words[3] in _OPEN:
            conns.append(Conn(local_port=lport, remote=raddr, remote_port=rport))
    return (conns, listening) if seen_header else None


def _hex_endpoint(text: str) -> tuple[str, int]:
    addr, _, port = text.partition(":")
    raw = bytes.fromhex(addr)
    if len(raw) == 4:
        ip = socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(addr, 16)))
    elif len(raw) == 16:
        # Four 32-bit words of the address, each printed as a host-order (little-endian) number.
        words = [int(addr[i:i + 8], 16) for i in range(0, 32, 8)]
        ip = str(ipaddress.IPv6Address(struct.pack("<4I", *words)))
        mapped = ipaddress.IPv6Address(ip).ipv4_mapped
        ip = str(mapped) if mapped else ip
    else:
        raise ValueError(text)
    return ip, int(port, 16)


def judge(conns: Iterable[Conn], listening: set[int], options: PostureOptions) -> Outcome:
    """``egress_public_connections``, ``egress_mail_connections`` and one
    ``egress_remote{remote,kind}`` per offending remote endpoint."""
    internal = [ipaddress.ip_network(n, strict=False) for n in options.internal_networks]
    allow = [parse_allow(a) for a in options.egress_allow]
    public: list[str] = []
    mail: list[str] = []
    for conn in conns:
        if conn.local_port in listening:
            continue  # someone connected to a service of the server: inbound
        try:
            addr = ipaddress.ip_address(conn.remote)
        except ValueError:
            continue
        if any(addr in net and port in (None, conn.remote_port) for net, port in allow):
            continue
        endpoint = f"[{addr}]:{conn.remote_port}" if addr.version == 6 else f"{addr}:{conn.remote_port}"
        if conn.remote_port in MAIL_PORTS:
            mail.append(endpoint)
        elif not any(addr in net for net in internal):
            public.append(endpoint)
    b = Builder()
    b.add("egress_public_connections", len(public))
    b.add("egress_mail_connections", len(mail))
    b.details("egress_public_remote", public, "remote")
    b.details("egress_mail_remote", mail, "remote")
    return b.done()


def linux(text: str | None, options: PostureOptions) -> Outcome:
    """The egress check from the ``tcp`` section."""
    parsed = proc_net_tcp(text or "")
    if parsed is None:
        return unavailable("/proc/net/tcp not readable")
    return judge(parsed[0], parsed[1], options)
