"""The demo's simulated devices: snmpsim serving bundled recordings, a pymodbus server, and the
controls the scenario turns (SNMP SET on writable cells, Modbus register writes, a device's syslog)."""

from __future__ import annotations

import asyncio
import bz2
import contextlib
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Served trimmed to what roomwatch reads (system group, IF-MIB, HOST-RESOURCES, ENTITY names and
# sensors, UPS-MIB, the vendors' subtrees): snmpsim indexes every line when it starts.
KEEP = ("1.3.6.1.2.1.1.", "1.3.6.1.2.1.2.", "1.3.6.1.2.1.31.1.1.", "1.3.6.1.2.1.25.",
        "1.3.6.1.2.1.47.1.1.1.1.7.", "1.3.6.1.2.1.99.", "1.3.6.1.2.1.33.", "1.3.6.1.4.1.")


@dataclass(frozen=True, kw_only=True)
class SnmpDevice:
    """One simulated SNMP agent: an snmpsim-data recording served on its own loopback address.

    ``writable`` names the cells the scenario changes by SNMP SET (served through snmpsim's
    ``writecache`` variation module, starting at the recording's own value)."""

    name: str
    recording: str  # path inside snmpsim-data's data directory, without .snmprec
    address: str
    writable: tuple[str, ...] = ()

    @property
    def community(self) -> str:
        return self.recording.rsplit("/", 1)[1]


def missing() -> str | None:
    """What is not installed for the simulator, or None (the ``demo`` extra provides it)."""
    try:
        import snmpsim_data  # noqa: F401
    except ImportError:
        return "snmpsim-data"
    if not responder().exists():
        return "snmpsim"
    return None


def responder() -> Path:
    """snmpsim's command responder beside this Python (a virtualenv's bin directory)."""
    return Path(sys.executable).parent / "snmpsim-command-responder"


def write_recordings(devices: tuple[SnmpDevice, ...], data: Path) -> None:
    """Each device's recording, trimmed, with its writable cells marked for ``writecache``."""
    import snmpsim_data

    source = Path(snmpsim_data.__file__).parent / "data"
    data.mkdir(parents=True, exist_ok=True)
    keep = tuple(p.encode() for p in KEEP)
    for device in devices:
        plain = source / f"{device.recording}.snmprec"
        text = plain.read_bytes() if plain.exists() else bz2.decompress(
            (source / f"{device.recording}.snmprec.bz2").read_bytes())
        lines = []
        for line in text.splitlines(keepends=True):
            if not line.startswith(keep):
                continue
            oid, tag, value = line.rstrip(b"\r\n").split(b"|", 2)
            if oid.decode() in device.writable:
                line = oid + b"|" + tag + b":writecache|value=" + value + b"\n"
            lines.append(line)
        (data / f"{device.community}.snmprec").write_bytes(b"".join(lines))


@contextlib.contextmanager
def snmpsim(devices: tuple[SnmpDevice, ...], port: int, root: Path) -> Iterator[None]:
    """snmpsim answering on ``address:port`` of every device until the block ends."""
    write_recordings(devices, root / "data")
    endpoints = [f"--agent-udpv4-endpoint={d.address}:{port}" for d in devices]
    env = {**os.environ, "SNMPSIM_ALLOW_ROOT": "true"}  # it refuses root otherwise; it binds loopback only
    with (root / "snmpsim.log").open("wb") as err:
        proc = subprocess.Popen([str(responder()), f"--data-dir={root / 'data'}",
                                 f"--cache-dir={root / 'cache'}", "--logging-method=null", *endpoints],
                                env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        for device in devices:
            _wait_answer(device, port, proc, time.monotonic() + 120)
        yield
    finally:
        stop(proc)


def snmp_set(device: SnmpDevice, port: int, oid: str, value: int) -> None:
    """Change an INTEGER cell of a simulated agent (what the scenario does to "the world")."""
    from ezsnmp import Session

    session = Session(hostname=device.address, port_number=str(port), community=device.community,
                      version="2c", timeout="2", retries="1")
    session.set([oid, "i", str(value)])


def _wait_answer(device: SnmpDevice, port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    from ezsnmp import Session

    session = Session(hostname=device.address, port_number=str(port), community=device.community,
                      version="2c", timeout="1", retries="0")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"snmpsim exited with {proc.returncode}")
        try:
            session.get(["1.3.6.1.2.1.1.3.0"])
            return
        except Exception:  # not listening yet: snmpsim indexes its recordings first
            time.sleep(0.3)
    raise RuntimeError(f"snmpsim did not answer for {device.name} in time")


def stop(proc: subprocess.Popen[Any] | None, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not gone within ``timeout``."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def modbus_device(address: str, port: int, holding: Mapping[int, int], unit: int = 1) -> Iterator[None]:
    """pymodbus's own Modbus-TCP server on ``address:port`` with writable holding registers."""
    from pymodbus.simulator import DataType, SimData, SimDevice

    start = min(holding)
    values = [holding.get(a, 0) & 0xFFFF for a in range(start, max(holding) + 1)]
    unused = SimData(60000, values=[False], datatype=DataType.BITS)
    tables = ([unused], [unused], [SimData(start, values=values, datatype=DataType.REGISTERS)],
              [SimData(60000, values=[0], datatype=DataType.REGISTERS)])
    with modbus_thread(SimDevice(id=unit, simdata=tables), address, port):
        yield


@contextlib.contextmanager
def modbus_thread(device: Any, address: str, port: int, **options: Any) -> Iterator[None]:
    """Serve a pymodbus ``SimDevice`` on ``address:port`` from its own event loop in a thread
    until the block ends (``options`` go to ``ModbusTcpServer``: framer, trace hooks)."""
    from pymodbus.server import ModbusTcpServer

    loop = asyncio.new_event_loop()
    servers: list[ModbusTcpServer] = []
    listening = threading.Event()

    async def serve() -> None:
        # pymodbus binds its server to the running loop, so it is made inside the thread.
        server = ModbusTcpServer(device, address=(address, port), **options)
        servers.append(server)
        await server.serve_forever(background=True)
        listening.set()
        with contextlib.suppress(asyncio.CancelledError):
            await server.serving

    def run() -> None:
        asyncio.set_event_loop(loop)
        with contextlib.suppress(asyncio.CancelledError):
            loop.run_until_complete(serve())

    thread = threading.Thread(target=run, name=f"modbus-{port}", daemon=True)
    thread.start()
    if not listening.wait(20):
        raise RuntimeError(f"the Modbus server did not listen on {address}:{port}")
    try:
        yield
    finally:
        asyncio.run_coroutine_threadsafe(servers[0].shutdown(), loop).result(10)
        thread.join(10)
        loop.close()


def modbus_write(address: str, port: int, register: int, value: int, unit: int = 1) -> None:
    """Write one holding register (function 06), as the scenario moves the sensor's reading."""
    from pymodbus.client import ModbusTcpClient

    client = ModbusTcpClient(address, port=port, timeout=2)
    try:
        if not client.connect():
            raise RuntimeError(f"cannot reach the demo Modbus device at {address}:{port}")
        answer = client.write_register(register, value & 0xFFFF, device_id=unit)
        if answer.isError():
            raise RuntimeError(f"the demo Modbus device refused register {register}: {answer}")
    finally:
        client.close()



def syslog_send(source: str, port: int, message: bytes) -> None:
    """One syslog datagram to roomwatch on 127.0.0.1:``port``, sent from the device's own loopback
    address ``source`` (roomwatch knows a sender by its address)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        s.sendto(message, ("127.0.0.1", port))
