"""The listeners' transports: UDP datagrams and TCP/TLS streams handed to the receiver's ``take``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any, Protocol

from collectors.syslog import SyslogOptions
from collectors.syslog.parse import Framer

log = logging.getLogger(__name__)

_CONNECTIONS = 512
_UDP_BUFFER = 4 << 20    # socket receive buffer: a burst waits in the kernel, not dropped there


class Taker(Protocol):
    """What a transport needs of the receiver."""

    options: SyslogOptions
    connections: int

    def take(self, raw: bytes, address: str, truncated: bool = False) -> None:
        """One message from ``address``."""


class Datagrams(asyncio.DatagramProtocol):
    """Each datagram is one message (cut at ``max_message``)."""

    def __init__(self, listener: Taker) -> None:
        self.listener = listener

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        limit = self.listener.options.max_message
        data = data.rstrip(b"\r\n\x00")
        if len(data) > limit:
            self.listener.take(data[:limit], addr[0], True)
        elif data:
            self.listener.take(data, addr[0])


class Stream(asyncio.Protocol):
    """One TCP or TLS connection, framed by ``Framer``; at most ``_CONNECTIONS`` at once."""

    def __init__(self, listener: Taker) -> None:
        self.listener = listener
        self.framer = Framer(listener.options.max_message)
        self.peer = ""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.peer = str(transport.get_extra_info("peername")[0])
        self.listener.connections += 1
        if self.listener.connections > _CONNECTIONS:
            log.warning("syslog: more than %d connections; closing the one from %s", _CONNECTIONS, self.peer)
            transport.abort()

    def data_received(self, data: bytes) -> None:
        for frame, cut in self.framer.feed(data):
            self.listener.take(frame, self.peer, cut)

    def connection_lost(self, exc: Exception | None) -> None:
        self.listener.connections -= 1
        for frame, cut in self.framer.close():  # a sender that hung up mid-message: keep what came
            self.listener.take(frame, self.peer, cut)


def udp_socket(host: str, port: int) -> socket.socket:
    """A bound, non-blocking UDP socket with a large receive buffer (IPv6 ones take IPv4 too)."""
    v6 = ":" in host
    sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if v6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _UDP_BUFFER)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
