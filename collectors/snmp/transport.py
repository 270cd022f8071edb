"""One UDP socket per address family for every v1/v2c device: requests matched by request id.

A socket per device would cost a file descriptor each (5,000 switches exceed the default limit
of 1,024); here all requests share one unconnected socket and an answer is accepted only from
the address it was sent to, carrying the id of a request still waiting. Anything else (junk, a
late answer to a request already given up, another host) is counted and dropped, as net-snmp
drops it, so a broken agent times out like a silent one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
from typing import Any

from collectors.snmp import ber

log = logging.getLogger(__name__)

Address = tuple[Any, ...]
_RCVBUF = 4 * 1024 * 1024  # many agents answer at once; the default buffer drops bursts


class Transport(asyncio.DatagramProtocol):
    """The socket of one address family, bound to the event loop that opened it."""

    def __init__(self, family: int) -> None:
        self.family = family
        self.dropped = 0
        self._waiting: dict[int, tuple[Address, asyncio.Future[bytes]]] = {}
        self._transport: asyncio.DatagramTransport | None = None

    @classmethod
    async def open(cls, family: int) -> Transport:
        """Open the socket (an ephemeral port on every address of the family)."""
        loop = asyncio.get_running_loop()
        sock = socket.socket(family, socket.SOCK_DGRAM)
        with contextlib.suppress(OSError):  # a smaller buffer only means more retries under load
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
        sock.setblocking(False)
        proto = cls(family)
        proto._transport, _ = await loop.create_datagram_endpoint(lambda: proto, sock=sock)
        return proto

    def datagram_received(self, data: bytes, addr: Address) -> None:
        """Hand an answer to the request that waits for it; drop anything else."""
        rid = ber.peek_request_id(data)
        entry = self._waiting.get(rid) if rid is not None else None
        if entry is None or entry[0][:2] != addr[:2] or entry[1].done():
            self.dropped += 1
            return
        entry[1].set_result(data)

    def error_received(self, exc: Exception) -> None:
        """ICMP port unreachable and the like: the request simply times out."""
        log.debug("snmp socket error: %s", exc)

    @property
    def closed(self) -> bool:
        """True once the socket is gone."""
        return self._transport is None or self._transport.is_closing()

    async def request(self, target: Address, encode: Any, timeout: float, retries: int) -> bytes:
        """Send ``encode(request_id)`` to ``target``, resending up to ``retries`` times;
        the answer's bytes, or TimeoutError."""
        assert self._transport is not None
        rid = random.randrange(1, 2**31 - 1)
        while rid in self._waiting:
            rid = random.randrange(1, 2**31 - 1)
        message = encode(rid)
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = (target, fut)
        try:
            for _ in range(retries + 1):
                self._transport.sendto(message, target)
                done, _ = await asyncio.wait((fut,), timeout=timeout)
                if done:
                    return fut.result()
            raise TimeoutError
        finally:
            del self._waiting[rid]
            fut.cancel()

    def close(self) -> None:
        """Close the socket; waiting requests time out."""
        if self._transport is not None:
            self._transport.close()
