"""The Modbus-TCP collector: reads a device's map in as few requests as it allows, one device
per instance, over pymodbus's asyncio client (RTU framing too, for transparent serial gateways)."""

from __future__ import annotations

import logging
from typing import Any

from pymodbus import ModbusException
from pymodbus.client import AsyncModbusTcpClient

from collectors.modbus.gateway import ModbusShared
from collectors.modbus.maps import Block, RegisterSpec, decode, load_map, plan
from collectors.modbus.options import ModbusOptions
from monitor.core.errors import CollectError, ConfigError
from monitor.core.model import Reading

log = logging.getLogger(__name__)

DEFAULT_PORT = 502

# Modbus exception codes (application protocol v1.1b3, 7) as people read them.
EXCEPTIONS: dict[int, str] = {
    1: "illegal function (the device has no such register type)",
    2: "illegal data address (the map names a register the device does not have)",
    3: "illegal data value",
    4: "device failure",
    5: "acknowledge (busy with a long command)",
    6: "device busy",
    8: "memory parity error",
    10: "gateway path unavailable (the gateway has no route to this unit id)",
    11: "gateway target failed to respond (nothing answered behind the gateway)",
}
_READ = {"coil": "read_coils", "discrete": "read_discrete_inputs",
         "holding": "read_holding_registers", "input": "read_input_registers"}


class ModbusCollector:
    """Polls one Modbus device (one unit id) over its gateway's shared connection."""

    def __init__(self, device: str, options: ModbusOptions, *, address: str, port: int | None = None,
                 shared: ModbusShared | None = None) -> None:
        if not address:
            raise ConfigError([f"modbus {device}: address is required"])
        specs: list[RegisterSpec] = list(options.registers)
        self.map_name = "inline"
        if options.map is not None:
            loaded = load_map(options.map)
            specs = list(loaded.registers) + specs
            self.map_name = loaded.name
        self.device = device
        self.options = options
        self.address = address
        self.port = port or DEFAULT_PORT
        self.blocks: list[Block] = plan(specs, max_registers=options.max_registers, max_gap=options.max_gap)
        self.gateway = (shared or ModbusShared()).gateway(address, self.port, options.framing)
        self.gateway.join(options.timeout, options.retries)
        self._failing = False

    @property
    def where(self) -> str:
        """The device for errors and logs: name, address, unit."""
        return f"modbus {self.device} ({self.address}:{self.port} unit {self.options.unit_id})"

    async def collect(self, now: float) -> list[Reading]:
        """Every block of the map; CollectError (the job records up 0) when any of them fails."""
        out: list[Reading] = []
        async with self.gateway.lock:
            try:
                client = await self.gateway.client()
                if client is None:
                    raise self._error(f"cannot connect within {self.gateway.timeout:g}s")
                for block in self.blocks:
                    out += decode(block, await self._read(client, block), now)
            except BaseException:
                # A failed, timed-out or cancelled request leaves the stream in an unknown state.
                self.gateway.drop()
                raise
        if self._failing:
            self._failing = False
            log.info("device=%s modbus answers again", self.device)
        return out

    async def close(self) -> None:
        """Stop using the gateway (its connection closes with its last device)."""
        self.gateway.leave()

    async def _read(self, client: AsyncModbusTcpClient, block: Block) -> list[Any]:
        what = f"{block.function} {block.start}–{block.start + block.count - 1}"
        call = getattr(client, _READ[block.function])
        # pymodbus bounds each try by timeout (and the job's timeout bounds the poll): no timer
        # of our own here, as a third timer per request was a third of the client's CPU.
        try:
            answer = await call(block.start, count=block.count, device_id=self.options.unit_id)
        except ModbusException as err:
            raise self._error(f"read {what}: {_reason(err, self.gateway.timeout)}") from None
        if answer.isError():
            code = getattr(answer, "exception_code", 0)
            raise self._error(f"read {what}: exception {code}: {EXCEPTIONS.get(code, 'unknown code')}")
        values = list(answer.bits if block.function in ("coil", "discrete") else answer.registers)
        if len(values) < block.count:
            raise self._error(f"read {what}: short answer, {len(values)} of {block.count} "
                              f"{'bits' if block.function in ('coil', 'discrete') else 'registers'}")
        return values

    def _error(self, why: str) -> CollectError:
        # Raised, not logged: the scheduler logs each failed poll once, with this message.
        self._failing = True
        return CollectError(f"{self.where} map {self.map_name}: {why}")



def _reason(err: ModbusException, timeout: float) -> str:
    text = str(err)
    if "No response" in text or "timeout" in text.lower():
        return f"no answer (each try waited {timeout:g}s)"
    if "onnect" in text:
        return "connection lost"
    return text
