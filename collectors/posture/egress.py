"""Outbound connections from a server to the Internet or to mail ports (《公司信息化管理制度》
第六章 第二十六条).

A connection is outbound when its local port is not one the server listens on. It counts as
Internet access when the remote address is outside ``internal_networks``, and as mail when
the remote port is a mail port; either is excused by a matching ``egress_allow`` entry.

UDP counts too (DNS to a public resolver, NTP, QUIC): a UDP socket the server ``connect()``-ed
to a remote address (as glibc's resolver, chronyd and QUIC clients do) is seen while it is
open; datagrams sent with ``sendto`` on an unconnected socket leave no trace in
``/proc/net/udp`` and are not seen by this poll-time snapshot.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from collectors.posture.options import MAIL_PORTS, PostureOptions, parse_allow
from collectors.posture.outcome import Builder, Outcome, unavailable

# /proc/net/tcp states: 01 ESTABLISHED, 02 SYN_SENT, 0A LISTEN. /proc/net/udp: 01 a connected
# socket, 07 an unconnected (bound, "listening") one.
_STATES = {"tcp": ({"01", "02"}, {"0A"}), "udp": ({"01"}, {"07"})}


@dataclass(frozen=True, slots=True, kw_only=True)
class Conn:
    """One TCP connection or connected UDP socket as the server sees it."""

    local_port: int
    remote: str
    remote_port: int
    proto: str = "tcp"


def proc_net(text: str, proto: str = "tcp") -> tuple[list[Conn], set[int]] | None:
    """Open connections and listening ports from ``/proc/net/tcp`` + ``tcp6`` (or ``udp`` +
    ``udp6``); None if unread."""
    open_states, listen_states = _STATES[proto]
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
        if words[3] in listen_states:
            listening.add(lport)
        elif words[3] in open_states and rport:
            conns.append(Conn(local_port=lport, remote=raddr, remote_port=rport, proto=proto))
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


def judge(conns: Iterable[Conn], listening: set[int], options: PostureOptions,
          udp_listening: set[int] | None = None) -> Outcome:
    """``egress_public_connections``, ``egress_mail_connections`` and one
    ``egress_public_remote{remote}`` / ``egress_mail_remote{remote}`` per offending remote
    endpoint (``ADDRESS:PORT``, ``ADDRESS:PORT/udp`` for UDP)."""
    internal = [ipaddress.ip_network(n, strict=False) for n in options.internal_networks]
    allow = [parse_allow(a) for a in options.egress_allow]
    public: list[str] = []
    mail: list[str] = []
    for conn in conns:
        if conn.local_port in (listening if conn.proto == "tcp" else udp_listening or set()):
            continue  # someone connected to a service of the server: inbound
        try:
            addr = ipaddress.ip_address(conn.remote)
        except ValueError:
            continue
        if any(addr in net and port in (None, conn.remote_port) for net, port in allow):
            continue
        endpoint = f"[{addr}]:{conn.remote_port}" if addr.version == 6 else f"{addr}:{conn.remote_port}"
        endpoint += "" if conn.proto == "tcp" else f"/{conn.proto}"
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


def linux(text: str | None, options: PostureOptions, udp: str | None = None) -> Outcome:
    """The egress check from the ``tcp`` and ``udp`` sections."""
    parsed = proc_net(text or "")
    if parsed is None:
        return unavailable("/proc/net/tcp not readable")
    datagrams = proc_net(udp or "", "udp")
    outcome = judge(parsed[0] + (datagrams[0] if datagrams else []), parsed[1], options,
                    udp_listening=datagrams[1] if datagrams else set())
    if datagrams is None:  # TCP judged; UDP unknown, so the check is partial: 无法检查
        return Outcome(values=outcome.values, unavailable="/proc/net/udp not readable")
    return outcome
