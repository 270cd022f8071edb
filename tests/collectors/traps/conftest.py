"""A TrapListener on a free loopback port, run on its own event loop thread, and two real
senders: net-snmp's ``snmptrap`` and pysnmp. Senders bind distinct loopback addresses
(127.0.0.2, .3…) so each stands for one inventory device. Nothing leaves 127.0.0.0/8."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from collectors.base import Listener
from collectors.traps import TrapOptions
from collectors.traps.receiver import TrapListener
from monitor.core.model import Reading

COMMUNITY = "trap-c0mmunity-s3cret"
AUTH_KEY = "auth-key-s3cret-1"
PRIV_KEY = "priv-key-s3cret-2"
SECRETS = (COMMUNITY, AUTH_KEY, PRIV_KEY)
SWITCH, UPS, APC = "127.0.0.2", "127.0.0.3", "127.0.0.4"
DEVICES = {
    SWITCH: {"device": "core-sw-1", "kind": "switch", "level": "1", "room": "一号机房"},
    UPS: {"device": "ups-1", "kind": "ups", "level": "1"},
    APC: {"device": "apc-ups-2", "kind": "ups", "level": "2"},
}
USER = {"user": "trapper", "auth_protocol": "SHA", "auth_key": AUTH_KEY, "priv_protocol": "AES",
        "priv_key": PRIV_KEY}


@dataclass
class Trapd:
    """A running receiver: what it emitted, and a way to wait for more."""

    listener: TrapListener
    port: int = 0
    readings: list[Reading] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def emit(self, readings: list[Reading]) -> None:
        with self.cond:
            self.readings.extend(readings)
            self.cond.notify_all()

    def wait_for(self, pred: Callable[[], bool], timeout: float = 5.0) -> None:
        """Until ``pred()`` holds (checked on every emit, and every 20 ms for counters)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; readings: {self.readings}"
                self.cond.wait(min(left, 0.02))

    def traps(self, metric: str | None = None) -> list[Reading]:
        """Readings made from traps (not the receiver's own counters)."""
        with self.cond:
            return [r for r in self.readings if not r.metric.startswith("traps_")
                    and (metric is None or r.metric == metric)]


def run_listener(listener: Listener, emit: Callable[[list[Reading]], None]) -> Callable[[], None]:
    """Start ``listener.run`` on a fresh loop in a thread; returns the function that stops it."""
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    async def main() -> None:
        await listener.run(emit, stop)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()

    def halt() -> None:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=10)
        assert not thread.is_alive(), "the receiver did not stop"
        loop.close()
    return halt


@pytest.fixture
def trapd() -> Iterator[Trapd]:
    options = TrapOptions(enabled=True, address="127.0.0.1", port=0, communities=[COMMUNITY],
                          users=[USER])  # type: ignore[list-item]
    state = Trapd(TrapListener(options, DEVICES, device="nms"))
    halt = run_listener(state.listener, state.emit)
    try:
        state.wait_for(lambda: any(r.metric == "traps_listen_up" and r.value == 1 for r in state.readings))
        assert state.listener.bound is not None
        state.port = state.listener.bound[1]
        yield state
    finally:
        halt()


def snmptrap(port: int, *args: str, source: str = SWITCH) -> None:
    """net-snmp's snmptrap from ``source`` to the receiver (``args``: -v V -c C, then the trap)."""
    if not shutil.which("snmptrap"):
        pytest.skip("snmptrap missing: apt-get install snmp (scripts/apt.d/snmp.txt)")
    env = {**os.environ, "MIBS": "", "SNMPCONFPATH": "/nonexistent"}  # numeric OIDs; no user config
    target = f"udp6:[::1]:{port}" if ":" in source else f"127.0.0.1:{port}"
    subprocess.run(["snmptrap", f"--clientaddr={source}", *args[:4], target, *args[4:]],
                   check=True, capture_output=True, timeout=10, env=env)


def pysnmp_send(port: int, trap_oid: str, varbinds: list[tuple[str, Any]], *, source: str,
                community: str | None = None, user: dict[str, str] | None = None,
                kind: str = "trap") -> Any:
    """One notification sent by pysnmp (v2c with ``community``, else v3 with ``user``);
    returns pysnmp's error indication (None when an inform was acknowledged)."""
    from pysnmp.hlapi.v3arch.asyncio import (
        CommunityData,
        ContextData,
        NotificationType,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        UsmUserData,
        send_notification,
        usmAesCfb128Protocol,
        usmHMACSHAAuthProtocol,
    )

    async def send() -> Any:
        engine = SnmpEngine()
        try:
            target = await UdpTransportTarget.create(("127.0.0.1", port), timeout=2, retries=0)
            target.set_local_address((source, 0))
            if community is not None:
                auth: Any = CommunityData(community, mpModel=1)
            else:
                assert user is not None
                auth = UsmUserData(user["user"], user["auth_key"], user["priv_key"],
                                   authProtocol=usmHMACSHAAuthProtocol, privProtocol=usmAesCfb128Protocol)
            note = NotificationType(ObjectIdentity(trap_oid)).add_varbinds(
                *[ObjectType(ObjectIdentity(oid), value) for oid, value in varbinds])
            error, *_ = await send_notification(engine, auth, target, ContextData(), kind, note)
            return error
        finally:
            engine.close_dispatcher()

    return asyncio.run(send())
