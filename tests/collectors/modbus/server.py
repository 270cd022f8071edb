"""A real Modbus-TCP server (pymodbus's own) on 127.0.0.1 in a thread, for tests and benches:
serves given coils/discrete inputs/holding/input registers; can answer short or stop answering."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from pymodbus import FramerType
from pymodbus.simulator import DataType, SimData, SimDevice

from monitor.demo.agents import modbus_thread
from tests.procs import free_port

Values = Mapping[str, Mapping[int, int | bool]]  # function -> address -> raw value
_ORDER = ("coil", "discrete", "holding", "input")


@dataclass
class Server:
    """A running server; flip ``short`` or ``hang`` to misbehave from the next request on."""

    port: int
    requests: int = 0
    connections: int = 0
    short: bool = False
    hang: bool = False
    release: threading.Event = field(default_factory=threading.Event)


def _blocks(values: Mapping[int, int | bool], bits: bool) -> list[SimData]:
    """Contiguous runs of addresses as SimData blocks (addresses not given stay undefined, so
    reading them is an exception answer, as on a real device)."""
    out: list[SimData] = []
    run: list[int | bool] = []
    start = prev = -2
    for address in sorted(values):
        if address != prev + 1 and run:
            out.append(_sim(start, run, bits))
            run = []
        if not run:
            start = address
        run.append(values[address])
        prev = address
    if run:
        out.append(_sim(start, run, bits))
    return out


def _sim(start: int, run: list[int | bool], bits: bool) -> SimData:
    if bits:
        return SimData(start, values=[bool(v) for v in run], datatype=DataType.BITS)
    return SimData(start, values=[int(v) & 0xFFFF for v in run], datatype=DataType.REGISTERS)


@contextlib.contextmanager
def modbus_server(values: Values, *, unit: int = 1, port: int | None = None,
                  rtu: bool = False) -> Iterator[Server]:
    """Serve ``values`` for unit id ``unit`` until the block ends; ``rtu``: RTU frames over TCP,
    as a transparent serial gateway passes them."""
    state = Server(port=port or free_port())
    # An undefined block list is rejected by pymodbus; one unused register far away stands in.
    tables = tuple(_blocks(values.get(f, {}), f in ("coil", "discrete"))
                   or [_sim(60000, [0], f in ("coil", "discrete"))] for f in _ORDER)

    async def action(function_code: int, start_address: int, address: int, count: int,
                     current_registers: list[int], set_values: object) -> None:
        state.requests += 1
        if state.hang:  # the far end stops answering (a serial line gone dead behind a gateway)
            await asyncio.get_running_loop().run_in_executor(None, state.release.wait)

    def counted(connected: bool) -> None:
        state.connections += connected

    def trace(sending: bool, data: bytes) -> bytes:
        if not (sending and state.short) or len(data) < 11 or data[7] & 0x80:
            return data
        # Drop the last register (two bytes) and make the frame agree with itself: MBAP length
        # and byte count both shrink, as a device that truncates its answer would send it.
        body = bytearray(data[:-2])
        body[4:6] = (int.from_bytes(data[4:6], "big") - 2).to_bytes(2, "big")
        body[8] = data[8] - 2
        return bytes(body)

    device = SimDevice(id=unit, simdata=tables, action=action)  # type: ignore[arg-type]
    with modbus_thread(device, "127.0.0.1", state.port, trace_packet=trace, trace_connect=counted,
                       framer=FramerType.RTU if rtu else FramerType.SOCKET):
        try:
            yield state
        finally:
            state.release.set()  # a hung request lets go, so the server can shut down
