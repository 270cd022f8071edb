"""The listeners' transports: UDP datagrams and TCP/TLS streams handed to the receiver's ``take``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Protocol

from collectors.syslog import SyslogOptions
from collectors.syslog.parse import Framer

log = logging.getLogger(__name__)

_CONNECTIONS = 512
_UDP_BUFFER = 8 << 20    # socket receive buffer: a burst waits in the kernel, not dropped there
_SO_RCVBUFFORCE = 33     # Linux socket(7); Python's socket module does not name it
_DRAIN = 512             # datagrams read per wake-up at most, so TCP senders get their turn too


class Taker(Protocol):
    """What a transport needs of the receiver."""

    options: SyslogOptions
    connections: int

    def take_many(self, frames: list[tuple[bytes, str, bool]]) -> None:
        """Messages as (raw, sender address, truncated)."""


class Datagrams:
    """A UDP listener read straight from its socket: when the loop says it is readable, every
    datagram waiting (up to ``_DRAIN``) is taken in one go and handed over as one batch. One
    asyncio protocol callback per datagram costs more than parsing and storing it together
    (bench/bench_syslog.py); draining keeps the receive cost near the ``recvfrom`` itself."""

    def __init__(self, listener: Taker, sock: socket.socket) -> None:
        self.listener = listener
        self.sock = sock
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read from now on, on ``loop``."""
        self._loop = loop
        loop.add_reader(self.sock.fileno(), self._ready)

    def close(self) -> None:
        """Stop reading and close the socket (what the kernel still holds is not read)."""
        if self._loop is not None:
            self._loop.remove_reader(self.sock.fileno())
            self._loop = None
        self.sock.close()

    def _ready(self) -> None:
        limit = self.listener.options.max_message
        recv = self.sock.recvfrom
        frames: list[tuple[bytes, str, bool]] = []
        for _ in range(_DRAIN):
            try:
                # one byte over the limit tells a cut datagram (the kernel drops the rest of it)
                data, addr = recv(limit + 1)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as err:  # e.g. an ICMP error queued on the socket: read on
                log.debug("syslog: udp receive: %s", err)
                break
            data = data.rstrip(b"\r\n\x00")
            if len(data) > limit:
                frames.append((data[:limit], addr[0], True))
            elif data:
                frames.append((data, addr[0], False))
        if frames:
            self.listener.take_many(frames)


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
        frames = self.framer.feed(data)
        if frames:
            peer = self.peer
            self.listener.take_many([(frame, peer, cut) for frame, cut in frames])

    def connection_lost(self, exc: Exception | None) -> None:
        self.listener.connections -= 1
        frames = self.framer.close()  # a sender that hung up mid-message: keep what came
        if frames:
            self.listener.take_many([(frame, self.peer, cut) for frame, cut in frames])


def udp_socket(host: str, port: int) -> socket.socket:
    """A bound, non-blocking UDP socket with a large receive buffer (IPv6 ones take IPv4 too)."""
    v6 = ":" in host
    sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if v6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        try:  # as root (or with CAP_NET_ADMIN) past net.core.rmem_max, as rsyslog's imudp does
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, _UDP_BUFFER)
        except OSError:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _UDP_BUFFER)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock
