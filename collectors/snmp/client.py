"""SNMP GET and table walks: v1, v2c and v3 in BER over one asyncio socket per address family.

Requests are encoded and decoded here (``ber``; v3's header, digest and encryption in ``v3``
and ``usm``) and sent on a socket all devices share (``transport``): no thread, no
per-varbind text round trip (ezsnmp 2.x, which v3 went through before, costs about 40 µs of
CPU per varbind; see bench/bench_snmp.py). One gate caps the requests in flight across all
devices.

Walks ask for several table columns in one GETBULK (or GETNEXT with ``bulk = false``) and
follow each column until it leaves its subtree; an agent that returns a non-increasing OID
ends that column's walk instead of looping. How many columns and rows one request asks adapts
to the device (``sizing``): a timeout shrinks the request and the walk goes on from where it was.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import SecretStr

from collectors.snmp import ber
from collectors.snmp.options import SnmpOptions
from collectors.snmp.sizing import Sizes, Sizing, answered, ladder, timed_out
from collectors.snmp.transport import Address, Transport
from collectors.snmp.usm import Credentials, KeyCache
from collectors.snmp.v3 import V3Error, V3Session
from collectors.snmp.var import Var
from monitor.core.errors import CollectError

log = logging.getLogger(__name__)

__all__ = ["Client", "SnmpShared", "Table", "Var"]

_ERROR_TYPES = frozenset({"NOSUCHOBJECT", "NOSUCHINSTANCE", "ENDOFMIBVIEW"})
# A walk never asks more than this many requests: a broken agent must not keep us forever.
_MAX_REQUESTS = 2000
# ifXTable's ifHC* columns (ifHCInOctets .6 to ifHCOutBroadcastPkts .13) hold only Counter64,
# which SNMPv1 cannot carry: a v1 agent answers GETNEXT on them by skipping every one of their
# rows, which on a large table takes longer than the request timeout. A v1 walk does not ask
# them; the interface code falls back to the 32-bit ifTable counters.
V1_ABSENT = frozenset(f"1.3.6.1.2.1.31.1.1.1.{n}" for n in range(6, 14))


Table = dict[str, dict[str, Var]]
"""column OID -> row index (OID suffix) -> value."""


class SnmpTimeout(CollectError):
    """The agent did not answer a request (all tries used)."""


@dataclass
class SnmpShared:
    """What all SNMP devices share: the sockets, the cap on requests in flight, each device's
    request size (``sizes``, in the state dir) and the v3 keys made from pass phrases."""

    max_concurrent: int = 64
    sizes: Sizes = field(default_factory=Sizes)
    keys: KeyCache = field(default_factory=KeyCache, repr=False)
    _gate: asyncio.Semaphore | None = field(default=None, repr=False)
    _sockets: dict[int, Transport] = field(default_factory=dict, repr=False)
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)

    def _here(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._gate is None:  # sockets and the gate belong to one loop
            for sock in self._sockets.values():
                sock.close()
            self._sockets.clear()
            self._loop, self._gate = loop, asyncio.Semaphore(self.max_concurrent)
        return self._gate

    async def request(self, family: int, target: Address, encode: Callable[[int], bytes], timeout: float,
                      retries: int) -> bytes:
        """Send a request on the shared socket and wait for its answer (TimeoutError)."""
        gate = self._here()
        async with gate:
            sock = self._sockets.get(family)
            if sock is None or sock.closed:
                sock = self._sockets[family] = await Transport.open(family)
            return await sock.request(target, encode, timeout, retries)

    def close(self) -> None:
        """Close the sockets (requests in flight time out)."""
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()


_PDU = {"get": ber.GET, "get_next": ber.GETNEXT, "bulk_get": ber.GETBULK}


class Client:
    """One device's SNMP session; opened on first use, reused after."""

    def __init__(self, device: str, address: str, port: int | None, options: SnmpOptions,
                 shared: SnmpShared) -> None:
        self.device = device
        self.address = address
        self.port = port or 161
        self.options = options
        self.shared = shared
        self.requests = 0
        self.varbinds = 0  # answered varbinds, for the benchmark and the probe command
        self._target: tuple[int, Address] | None = None  # address family and socket address
        self._v3 = _v3_session(options, shared.keys) if options.version == "3" else None
        self._reps = options.max_repetitions  # lowered for good when the agent answers tooBig
        self._ladder = ladder(options.max_repetitions, options.bulk and options.version != "1")

    async def _call(self, what: str, method: str, oids: list[str], reps: int = 0,
                    retries: int | None = None) -> list[Var]:
        """One request; ``reps`` caps GETBULK's max-repetitions, ``retries`` overrides the option's."""
        tries = self.options.retries if retries is None else retries
        reps = min(reps or self.options.max_repetitions, self._reps)
        return await self._call_ber(what, method, oids, reps, tries)

    async def _call_ber(self, what: str, method: str, oids: list[str], reps: int, retries: int) -> list[Var]:
        opts = self.options
        family, target = await self._resolve(what)
        pdu = _PDU[method]

        async def send(encode: Callable[[int], bytes]) -> bytes:
            self.requests += 1
            return await self.shared.request(family, target, encode, opts.timeout, retries)

        try:
            if self._v3 is not None:
                answer = await self._v3.exchange(send, pdu, oids, reps)
            else:
                assert opts.community is not None
                community = opts.community.get_secret_value().encode()
                answer = ber.decode_response(await send(
                    lambda rid: ber.encode_request(opts.version, community, pdu, rid, oids, reps)))
        except TimeoutError:
            # net-snmp drops a message it cannot decrypt or whose context it lacks, without a report
            hint = "; a wrong priv_key or context looks the same" if self._v3 else ""
            raise SnmpTimeout(f"snmp {self.device}: {what}: timeout (no answer from "
                              f"{self.address}:{self.port}{hint})") from None
        except ber.BerError as err:
            raise CollectError(f"snmp {self.device}: {what}: malformed answer: {err}") from None
        except V3Error as err:
            raise CollectError(f"snmp {self.device}: {what}: v3 user {opts.user!r}: {err}") from None
        status, index = answer.error_status, answer.error_index
        if status == 2 and opts.version == "1" and 1 <= index <= len(oids):
            # v1 noSuchName: the whole PDU fails for one OID; ask again without it, as net-snmp does
            others = oids[:index - 1] + oids[index:]
            rest = await self._call_ber(what, method, others, reps, retries) if others else []
            missing = "ENDOFMIBVIEW" if pdu == ber.GETNEXT else "NOSUCHOBJECT"
            return [*rest[:index - 1], Var(oids[index - 1], missing, ""), *rest[index - 1:]]
        if status == 1 and pdu == ber.GETBULK and self._reps > 1:
            self._reps //= 2  # tooBig: this agent wants smaller answers, from now on
            return await self._call_ber(what, method, oids, min(reps, self._reps), retries)
        if status:
            name = ber.ERRORS[status] if status < len(ber.ERRORS) else str(status)
            raise CollectError(f"snmp {self.device}: {what}: agent answered {name}")
        self.varbinds += len(answer.varbinds)
        return answer.varbinds

    async def _resolve(self, what: str) -> tuple[int, Address]:
        if self._target is None:
            try:
                loop = asyncio.get_running_loop()
                infos = await loop.getaddrinfo(self.address, self.port, type=socket.SOCK_DGRAM)
            except OSError as err:
                raise CollectError(
                    f"snmp {self.device}: {what}: cannot resolve {self.address}: {err}") from None
            self._target = (infos[0][0], infos[0][4])
        return self._target

    async def get(self, oids: Sequence[str], what: str = "get") -> dict[str, Var]:
        """GET the OIDs; those the agent does not have are left out."""
        got = await self._call(what, "get", list(oids))
        return {v.oid: v for v in got if not _is_error(v)}

    async def walk(self, columns: Sequence[str], what: str = "walk") -> Table:
        """Walk table columns, as many together as the device's request size allows; returns
        column -> index -> value (missing columns empty). A timeout shrinks the request and the
        walk goes on; SnmpTimeout when the smallest request is not answered either."""
        table: Table = {c: {} for c in columns}
        if self.options.version == "1":
            columns = [c for c in columns if c not in V1_ABSENT]
        cursor = {c: c for c in dict.fromkeys(columns)}  # where each column's walk goes on from
        last: dict[str, tuple[int, ...]] = {c: () for c in cursor}  # index of each column's last row
        prefixes = {c: c + "." for c in cursor}
        before = self.sizing
        for _ in range(_MAX_REQUESTS):
            if not cursor:
                if self.sizing.level > before.level and not before.trial:  # once per change, not per step
                    log.warning("device=%s: large requests time out; now %s", self.device,
                                self._ladder[self.sizing.level])
                return table
            sizing = self.sizing
            shape = self._ladder[sizing.level]
            active = list(cursor)[:shape.columns]
            # Above the smallest shape one try is enough: a timeout moves down the ladder
            # (itself a retry) instead of resending the same large request.
            smallest = sizing.level == len(self._ladder) - 1
            try:
                got = await self._call(what, "bulk_get" if shape.reps else "get_next",
                                       [cursor[c] for c in active], shape.reps,
                                       None if smallest else 0)
            except SnmpTimeout:
                smaller = timed_out(sizing, len(self._ladder) - 1)
                if smaller is None:
                    # Not even the smallest request answered: the device is silent, not slow,
                    # and what this walk learned about sizes says nothing.
                    self._set_sizing(before)
                    raise
                self._set_sizing(smaller)
                continue
            if not got:
                cursor.clear()
                continue
            step = len(active)
            done: set[str] = set()
            for i, var in enumerate(got):
                col = active[i % step]
                if col in done:
                    continue
                prefix = prefixes[col]
                if not var.oid.startswith(prefix) or _is_error(var):
                    done.add(col)
                    continue
                index = var.oid[len(prefix):]
                key = _key(index)
                if key <= last[col]:
                    log.warning("snmp %s: %s: agent returned a non-increasing OID in %s; column cut short",
                                self.device, what, col)
                    done.add(col)
                    continue
                table[col][index] = var
                last[col] = key
                cursor[col] = var.oid
            for col in done:
                cursor.pop(col, None)
        raise CollectError(f"snmp {self.device}: {what}: more than {_MAX_REQUESTS} requests; walk stopped")

    @property
    def sizing(self) -> Sizing:
        """Where this device is on its ladder of request sizes."""
        return self._clamp(self.shared.sizes.get(self.device))

    def answered(self) -> None:
        """A whole poll ran without a timeout: count it toward trying larger requests."""
        old = self.sizing
        new = answered(old)
        self._set_sizing(new)
        if old.trial:
            log.info("device=%s: larger requests answered again; now %s", self.device,
                     self._ladder[new.level])
        elif new.trial:
            log.debug("device=%s: trying %s", self.device, self._ladder[new.level])

    def _clamp(self, sizing: Sizing) -> Sizing:
        bottom = len(self._ladder) - 1
        return sizing if sizing.level <= bottom else Sizing(level=bottom, wait=sizing.wait)

    def _set_sizing(self, new: Sizing) -> None:
        self.shared.sizes.put(self.device, new)

    def close(self) -> None:
        """Nothing of its own to close: the socket is shared and closed by ``SnmpShared.close``."""


def _v3_session(options: SnmpOptions, keys: KeyCache) -> V3Session:
    def secret(value: SecretStr | None) -> bytes:
        return value.get_secret_value().encode() if value is not None else b""

    creds = Credentials(user=options.user.encode(), auth=options.auth_protocol,
                        auth_key=secret(options.auth_key), priv=options.priv_protocol,
                        priv_key=secret(options.priv_key))
    return V3Session(creds, options.context, keys)


def _is_error(var: Var) -> bool:
    return var.type in _ERROR_TYPES


_KEYS: dict[str, tuple[int, ...]] = {}  # row indexes repeat across devices and polls


def _key(index: str) -> tuple[int, ...]:
    key = _KEYS.get(index)
    if key is None:
        try:
            key = tuple(map(int, index.split(".")))
        except ValueError:
            key = ()
        if len(_KEYS) >= 100_000:
            _KEYS.clear()
        _KEYS[index] = key
    return key
