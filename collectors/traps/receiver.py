"""The trap receiver: a pysnmp notification receiver on the event loop, as a push source.

Every datagram passes through ``_receive``, which asks pysnmp to authenticate and decode it and
then looks at pysnmp's own counters (snmpInBadCommunityNames, usmStatsWrongDigests…) to say why
one was refused. Nothing a sender puts in a datagram can stop the receiver: each one is handled
inside a guard that counts and logs (rate-limited) what went wrong. Communities and keys are
never logged; a v1 trap's community, which pysnmp hands back as a varbind, is dropped unread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from pysnmp.carrier.asyncio.dgram import udp, udp6
from pysnmp.entity import config, engine
from pysnmp.entity.rfc3413 import ntfrcv

from collectors.traps import TrapOptions
from collectors.traps.catalog import TRAP_ADDRESS, TRAP_COMMUNITY, TRAP_OID, Catalog, load
from collectors.traps.usm import Users
from monitor.core.addresses import is_ip as _is_ip
from monitor.core.addresses import norm_address as _norm
from monitor.core.model import Reading

log = logging.getLogger(__name__)

Emit = Callable[[list[Reading]], None]
_RETRY_S = 60.0
_LOG_EVERY_S = 60.0
# pysnmp's counters of refused messages, and the reason each one stands for.
REFUSALS = {
    ("__SNMPv2-MIB", "snmpInBadCommunityNames"): "bad_community",
    ("__SNMPv2-MIB", "snmpInASNParseErrs"): "malformed",
    ("__SNMPv2-MIB", "snmpInBadVersions"): "malformed",
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownUserNames"): "unknown_user",
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsWrongDigests"): "bad_auth",
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsDecryptionErrors"): "bad_auth",
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnsupportedSecLevels"): "bad_auth",
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsNotInTimeWindows"): "bad_auth",
}
REASONS = ("bad_community", "unknown_user", "bad_auth", "malformed")


class TrapListener:
    """The ``[traps]`` push source. ``devices`` maps an inventory address to that device's labels;
    ``device`` names this host, the ``device`` label of the receiver's own counters."""

    def __init__(self, options: TrapOptions, devices: Mapping[str, Mapping[str, str]], *, device: str,
                 catalog: Catalog | None = None,
                 interfaces: Callable[[str], Mapping[str, str] | None] | None = None) -> None:
        self.options = options
        # device -> its ifIndex -> name from the SNMP poller's last walk, so traps and polls
        # update one series
        self.interfaces: Callable[[str], Mapping[str, str] | None] = interfaces or (lambda _device: None)
        self.device = device
        self.catalog = catalog or load()
        self.devices = {_norm(addr): dict(labels) for addr, labels in devices.items()}
        self.received = 0
        self.unknown = 0
        self.rejected = dict.fromkeys(REASONS, 0)
        self.bound: tuple[str, int] | None = None  # the address actually listened on, once up
        self._emit: Emit = lambda readings: None
        self._accepted = False
        self._users: Users | None = None
        self._counters: list[Any] = []
        self._told: dict[str, tuple[float, int]] = {}

    async def run(self, emit: Emit, stop: asyncio.Event) -> None:
        """Receive until ``stop`` is set; reports ``traps_listen_up`` and the counters."""
        self._emit = emit
        await self._resolve_names()
        while not stop.is_set():
            try:
                snmp = self._open()
            except Exception as err:  # port taken, no capability, no such address, a pysnmp fault
                why = (err.strerror if isinstance(err, OSError) else None) or f"{type(err).__name__}: {err}"
                log.error("traps: cannot listen on %s port %d: %s; retrying every %.0fs%s",
                          self.options.address, self.options.port, why, _RETRY_S,
                          " (ports below 1024 need CAP_NET_BIND_SERVICE)" if self.options.port < 1024 else "")
                emit([self._up(0.0)])
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=_RETRY_S)
                continue
            try:
                log.info("traps: listening on %s port %d", *self.bound or ("?", 0))
                emit([self._up(1.0), *self.counters(time.time())])
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self.options.stats_interval)
                    emit(self.counters(time.time()))
            finally:
                snmp.close_dispatcher()
            return

    def counters(self, now: float) -> list[Reading]:
        """The receiver's counters as readings of this host."""
        me = {"device": self.device}
        out = [Reading("traps_received_total", float(self.received), dict(me), now),
               Reading("traps_unknown_total", float(self.unknown), dict(me), now)]
        out += [Reading("traps_rejected_total", float(n), {**me, "reason": reason}, now)
                for reason, n in self.rejected.items()]
        return out

    def _open(self) -> Any:
        """A pysnmp engine on a socket bound here (so a bind error is ours to report, at once)."""
        host, port = self.options.address, self.options.port
        v6 = ":" in host
        sock = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if v6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind((host, port))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        snmp = engine.SnmpEngine()
        try:
            if v6:
                transport: Any = udp6.Udp6Transport().open_server_mode(sock=sock)
                config.add_transport(snmp, udp6.DOMAIN_NAME, transport)
            else:
                config.add_transport(snmp, udp.DOMAIN_NAME, udp.UdpTransport().open_server_mode(sock=sock))
            for i, community in enumerate(self.options.communities):
                # The index (not the community) is the name pysnmp may print in its debug output.
                config.add_v1_system(snmp, f"c{i}", community.get_secret_value())
            self._users = Users(snmp, self.options.users)
            self._counters = [snmp.get_mib_builder().import_symbols(mib, name)[0] for mib, name in REFUSALS]
            ntfrcv.NotificationReceiver(snmp, self._notification)
            dispatcher = snmp.transport_dispatcher
            dispatcher.unregister_recv_callback(None)
            dispatcher.register_recv_callback(self._receive_with(snmp))
        except Exception:
            with contextlib.suppress(Exception):
                snmp.close_dispatcher()
            sock.close()
            raise
        self.bound = sock.getsockname()[:2]
        return snmp

    def _receive_with(self, snmp: Any) -> Callable[..., None]:
        def receive(_dispatcher: Any, domain: Any, address: Any, message: bytes) -> None:
            self._receive(snmp, domain, address, message)
        return receive

    def _receive(self, snmp: Any, domain: Any, address: Any, message: bytes) -> None:
        """One datagram: learn a v3 sender, let pysnmp judge it, count the outcome."""
        self.received += 1
        source = _norm(str(address[0]))
        before = [int(c.syntax) for c in self._counters]
        self._accepted = False
        try:
            if self._users is not None:
                self._users.learn(message)
            snmp.message_dispatcher.receive_message(snmp, domain, address, message)
        except Exception as err:  # pysnmp choked on it: count as malformed, never stop
            self._refused("malformed", source, type(err).__name__)
            return
        if self._accepted:
            return
        moved = [REFUSALS[key] for key, c, was in zip(REFUSALS, self._counters, before, strict=True)
                 if int(c.syntax) != was]
        if moved:
            self._refused(moved[0], source, "")

    def _refused(self, reason: str, source: str, detail: str) -> None:
        self.rejected[reason] += 1
        self._rate_limited(f"rejected:{reason}", logging.WARNING,
                           "traps: rejected a datagram from %s: %s%s", source, reason.replace("_", " "),
                           f" ({detail})" if detail else "")

    def _notification(self, snmp: Any, state: Any, _ctx_engine: Any, _ctx_name: Any,
                      varbinds: Any, _cb: Any) -> None:
        """pysnmp's callback for an authentic trap or inform (it has already answered an inform)."""
        self._accepted = True
        try:
            _, address = snmp.message_dispatcher.get_transport_info(state)
            source = _norm(str(address[0]))
            values = {str(oid): _plain(val) for oid, val in varbinds if str(oid) != TRAP_COMMUNITY}
            trap_oid = str(values.get(TRAP_OID, ""))
            labels = self._labels(source, str(values.get(TRAP_ADDRESS, "")))
            readings = self.catalog.readings(trap_oid, values, labels, time.time(),
                                             self.interfaces(labels["device"]))
        except Exception as err:
            self.rejected["malformed"] += 1
            self._rate_limited("bad-notification", logging.WARNING,
                               "traps: cannot read a notification: %s", type(err).__name__)
            return
        if readings is None:
            self.unknown += 1
            self._rate_limited(f"unknown:{trap_oid}", logging.INFO,
                               "traps: unknown notification %s from %s (device %s); counted, not judged",
                               trap_oid or "(none)", source, labels["device"])
            return
        log.debug("traps: %s from %s: %d reading(s)", trap_oid, labels["device"], len(readings))
        if readings:
            self._emit(readings)

    def _labels(self, source: str, agent: str) -> dict[str, str]:
        """The sender's device labels: by source address, else a v1 trap's agent-addr, else its address."""
        for address in (source, _norm(agent) if agent else ""):
            if address in self.devices:
                return dict(self.devices[address])
        self._rate_limited(f"stranger:{source}", logging.INFO,
                           "traps: %s is not in the inventory; its readings carry device=%s", source, source)
        return {"device": source}

    async def _resolve_names(self) -> None:
        """Inventory addresses given as host names, resolved once at start (best effort)."""
        loop = asyncio.get_running_loop()
        for name, labels in list(self.devices.items()):
            if _is_ip(name):
                continue
            try:
                infos = await asyncio.wait_for(loop.getaddrinfo(name, None, type=socket.SOCK_DGRAM), 5.0)
            except (OSError, TimeoutError) as err:
                log.warning("traps: cannot resolve %s (device %s): %s; its traps will not be matched",
                            name, labels.get("device", "?"), err)
                continue
            for info in infos:
                self.devices.setdefault(_norm(str(info[4][0])), labels)

    def _up(self, value: float) -> Reading:
        return Reading("traps_listen_up", value, {"device": self.device}, time.time())

    def _rate_limited(self, key: str, level: int, msg: str, *args: object) -> None:
        """Log at most once a minute per key, saying how many were held back meanwhile."""
        now = time.monotonic()
        last, held = self._told.get(key, (-_LOG_EVERY_S, 0))
        if now - last < _LOG_EVERY_S:
            self._told[key] = (last, held + 1)
            return
        if len(self._told) > 4096:  # a flood from many sources must not grow this without bound
            self._told.clear()
        self._told[key] = (now, 0)
        log.log(level, msg + (f" (+{held} like it in the last minute)" if held else ""), *args)


def _plain(value: Any) -> str | int:
    """A varbind value as text or int: OIDs dotted, addresses dotted-quad, strings decoded."""
    name = type(value).__name__
    if name in ("Integer", "Integer32", "Counter32", "Gauge32", "Unsigned32", "TimeTicks", "Counter64"):
        return int(value)
    if name == "OctetString":
        return bytes(value).decode("utf-8", "replace")
    return str(value.prettyPrint())
