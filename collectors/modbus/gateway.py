"""One connection per gateway: every Modbus device at one address and port shares it.

Serial gateways (RS-485 to Ethernet) usually accept one or two TCP clients, and their bus
carries one request at a time; devices behind one gateway are therefore read one after another
over one connection, each with its own unit id. Devices at other addresses are not held up.
"""

from __future__ import annotations

import asyncio
import logging

from pymodbus import FramerType, ModbusException
from pymodbus.client import AsyncModbusTcpClient

log = logging.getLogger(__name__)


class Gateway:
    """The connection to one address:port, opened on first use and kept between polls."""

    def __init__(self, address: str, port: int, framing: str) -> None:
        self.address = address
        self.port = port
        self.framing = framing
        self.timeout = 0.0
        self.retries = 0
        self.users = 0
        self._client: AsyncModbusTcpClient | None = None
        self._lock: asyncio.Lock | None = None

    def join(self, timeout: float, retries: int) -> None:
        """A device uses this gateway: the most patient device's timeout and retries apply."""
        self.timeout = max(self.timeout, timeout)
        self.retries = max(self.retries, retries)
        self.users += 1

    def leave(self) -> None:
        """A device no longer uses it; the last one out closes the connection."""
        self.users -= 1
        if self.users <= 0:
            self.drop()

    @property
    def lock(self) -> asyncio.Lock:
        """Held for one device's whole poll (made on first use, inside the running loop)."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def client(self) -> AsyncModbusTcpClient | None:
        """The open connection, opening it if need be; None when the gateway does not accept one."""
        if self._client is not None and self._client.connected:
            return self._client
        self.drop()
        framer = FramerType.RTU if self.framing == "rtu" else FramerType.SOCKET
        # reconnect_delay 0: the next poll reconnects; pymodbus's own background reconnect loop
        # would keep a dead gateway's socket churning between polls.
        client = AsyncModbusTcpClient(self.address, port=self.port, framer=framer, timeout=self.timeout,
                                      retries=self.retries, reconnect_delay=0,
                                      name=f"{self.address}:{self.port}")
        try:
            async with asyncio.timeout(self.timeout + 1.0):
                ok = await client.connect()
        except (TimeoutError, OSError, ModbusException):
            ok = False
        if not ok:
            client.close()
            return None
        self._client = client
        return client

    def drop(self) -> None:
        """Close the connection (after an error its byte stream can no longer be trusted)."""
        if self._client is not None:
            client, self._client = self._client, None
            client.close()


class ModbusShared:
    """What every Modbus collector of one daemon shares: the gateways by address, port, framing."""

    def __init__(self) -> None:
        self._gateways: dict[tuple[str, int, str], Gateway] = {}

    def gateway(self, address: str, port: int, framing: str) -> Gateway:
        """The gateway at address:port (one object per target, made on first request)."""
        key = (address, port, framing)
        if key not in self._gateways:
            self._gateways[key] = Gateway(address, port, framing)
        return self._gateways[key]
