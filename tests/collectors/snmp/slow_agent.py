"""A real agent made slow: a UDP proxy on loopback that holds chosen answers past the timeout.

It sits in front of snmpsim or snmpd (same event loop as the caller) and forwards every
request; each answer is sent ``delay(pdu_type, varbinds)`` seconds late (by request PDU type
and answer size; 0 = at once), as an overloaded agent or CPU protection would: a late answer
arrives after the client gave up. It forwards at most ``limit`` datagrams, holds none longer
than ``MAX_HOLD``, and closes with the ``async with`` block.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType
from typing import Any

from collectors.snmp import ber

GET, GETNEXT, GETBULK = 0xA0, 0xA1, 0xA5
MAX_HOLD = 10.0
Delay = Callable[[int, int], float]


def pdu_type(request: bytes) -> int:
    """The PDU tag of an SNMP v1/v2c message (0 if it is not one)."""
    try:
        start, _ = ber.expect(request, 0, 0x30)
        _, pos = ber.expect(request, start, 0x02)
        _, pos = ber.expect(request, pos, 0x04)
        return request[pos]
    except (ber.BerError, IndexError):
        return 0


def larger_than(varbinds: int, hold: float = 5.0) -> Delay:
    """Hold answers with more than ``varbinds`` varbinds (large GETBULKs) ``hold`` seconds."""
    return lambda _pdu, count: hold if count > varbinds else 0.0


def per_varbind(seconds: float) -> Delay:
    """An agent that needs ``seconds`` per varbind it answers."""
    return lambda _pdu, count: seconds * count


class _Side(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Any], None]) -> None:
        self.on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.on_datagram(data, addr)


class SlowAgent:
    """``async with SlowAgent(agent_port, delay) as proxy``: poll 127.0.0.1:``proxy.port``.
    ``held`` counts answers sent late."""

    def __init__(self, agent_port: int, delay: Delay, *, limit: int = 5000) -> None:
        self.agent = ("127.0.0.1", agent_port)
        self.delay = delay
        self.limit = limit
        self.port = 0
        self.forwarded = 0
        self.held = 0
        self._clients: dict[int, tuple[Any, int]] = {}   # request id -> (client address, PDU type)
        self._late: list[asyncio.TimerHandle] = []
        self._front: asyncio.DatagramTransport | None = None
        self._back: asyncio.DatagramTransport | None = None

    async def __aenter__(self) -> SlowAgent:
        loop = asyncio.get_running_loop()
        self._front, _ = await loop.create_datagram_endpoint(
            lambda: _Side(self._request), local_addr=("127.0.0.1", 0))
        self._back, _ = await loop.create_datagram_endpoint(
            lambda: _Side(self._answer), local_addr=("127.0.0.1", 0))
        self.port = self._front.get_extra_info("sockname")[1]
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        for handle in self._late:
            handle.cancel()
        for side in (self._front, self._back):
            if side is not None:
                side.close()

    def _request(self, data: bytes, addr: Any) -> None:
        rid = ber.peek_request_id(data)
        if rid is None or self._back is None or self.forwarded >= self.limit:
            return
        self.forwarded += 1
        self._clients[rid] = (addr, pdu_type(data))
        self._back.sendto(data, self.agent)

    def _answer(self, data: bytes, _addr: Any) -> None:
        rid = ber.peek_request_id(data)
        entry = self._clients.pop(rid, None) if rid is not None else None
        if entry is None or self._front is None:
            return
        client, pdu = entry
        try:
            count = len(ber.decode_response(data).varbinds)
        except ber.BerError:
            count = 0
        wait = min(self.delay(pdu, count), MAX_HOLD)
        if wait > 0:
            self.held += 1
            front = self._front
            self._late.append(asyncio.get_running_loop().call_later(wait, front.sendto, data, client))
        else:
            self._front.sendto(data, client)
