"""SNMP GET and table walks: v1/v2c in BER over one asyncio socket, v3 over net-snmp (ezsnmp).

v1/v2c requests are encoded and decoded here (``ber``) and sent on a socket all devices share
(``transport``): no thread, no per-varbind text round trip. ezsnmp 2.x prints each varbind and
parses it back with ``std::regex`` (about 40 µs of CPU per varbind, several times the BER
path; see bench/bench_snmp.py), but it brings net-snmp's USM for v3, so v3 devices use it, in
worker threads (ezsnmp calls block but release the GIL while waiting). One gate caps the
requests in flight across all devices and both paths.

Walks ask for several table columns in one GETBULK (or GETNEXT with ``bulk = false``) and
follow each column until it leaves its subtree; an agent that returns a non-increasing OID
ends that column's walk instead of looping.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from collectors.snmp import ber
from collectors.snmp.options import SnmpOptions
from collectors.snmp.transport import Address, Transport
from collectors.snmp.var import Var
from monitor.core.errors import CollectError

log = logging.getLogger(__name__)

T = TypeVar("T")
__all__ = ["Client", "SnmpShared", "Table", "Var"]

_ERROR_TYPES = frozenset({"NOSUCHOBJECT", "NOSUCHINSTANCE", "ENDOFMIBVIEW"})
# ezsnmp spells some exceptions as net-snmp's sentences ("No more variables left in this MIB View").
_ERROR_PREFIX = "No "
# A walk never asks more than this many requests: a broken agent must not keep us forever.
_MAX_REQUESTS = 2000
# ifXTable's ifHC* columns (ifHCInOctets .6 to ifHCOutBroadcastPkts .13) hold only Counter64,
# which SNMPv1 cannot carry: a v1 agent answers GETNEXT on them by skipping every one of their
# rows, which on a large table takes longer than the request timeout. A v1 walk does not ask
# them; the interface code falls back to the 32-bit ifTable counters.
V1_ABSENT = frozenset(f"1.3.6.1.2.1.31.1.1.1.{n}" for n in range(6, 14))


Table = dict[str, dict[str, Var]]
"""column OID -> row index (OID suffix) -> value."""


@dataclass
class SnmpShared:
    """What all SNMP devices share: the v1/v2c sockets, the v3 worker threads, and the cap on
    requests in flight."""

    max_concurrent: int = 64
    _executor: ThreadPoolExecutor | None = field(default=None, repr=False)
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

    async def run(self, func: Callable[[], T]) -> T:
        """Run a blocking SNMP call in a worker thread, at most ``max_concurrent`` at once."""
        gate = self._here()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.max_concurrent, thread_name_prefix="snmp")
        async with gate:
            return await asyncio.get_running_loop().run_in_executor(self._executor, func)

    async def request(self, family: int, target: Address, encode: Callable[[int], bytes], timeout: float,
                      retries: int) -> bytes:
        """Send a v1/v2c request on the shared socket and wait for its answer (TimeoutError)."""
        gate = self._here()
        async with gate:
            sock = self._sockets.get(family)
            if sock is None or sock.closed:
                sock = self._sockets[family] = await Transport.open(family)
            return await sock.request(target, encode, timeout, retries)

    def close(self) -> None:
        """Close the sockets and stop the worker threads (requests in flight time out)."""
        for sock in self._sockets.values():
            sock.close()
        self._sockets.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


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
        self._session: Any = None  # v3: the ezsnmp session
        self._target: tuple[int, Address] | None = None  # v1/v2c: address family and socket address
        self._reps = options.max_repetitions

    def _open(self) -> Any:
        from ezsnmp import Session  # imported here: the C library loads only when SNMP is used

        opts = self.options
        kw: dict[str, Any] = {
            "hostname": self.address, "port_number": str(self.port), "timeout": str(opts.timeout),
            "retries": str(opts.retries), "print_oids_numerically": True, "print_full_oids": True,
            "print_timeticks_numerically": True, "print_enums_numerically": True,
            "set_max_repeaters_to_num": str(opts.max_repetitions),
        }
        if opts.version == "3":
            kw.update(version="3", security_username=opts.user, security_level=opts.security_level,
                      context=opts.context)
            if opts.auth_protocol and opts.auth_key:
                kw.update(auth_protocol=opts.auth_protocol, auth_passphrase=opts.auth_key.get_secret_value())
            if opts.priv_protocol and opts.priv_key:
                kw.update(privacy_protocol=opts.priv_protocol,
                          privacy_passphrase=opts.priv_key.get_secret_value())
        else:
            assert opts.community is not None
            kw.update(version=opts.version, community=opts.community.get_secret_value())
        return Session(**kw)

    async def _call(self, what: str, method: str, oids: list[str]) -> list[Var]:
        if self.options.version == "3":
            return await self.shared.run(lambda: self._call_netsnmp(what, method, oids))
        return await self._call_community(what, method, oids)

    async def _call_community(self, what: str, method: str, oids: list[str]) -> list[Var]:
        opts = self.options
        assert opts.community is not None
        family, target = await self._resolve(what)
        community = opts.community.get_secret_value().encode()
        pdu = _PDU[method]
        self.requests += 1
        try:
            data = await self.shared.request(
                family, target,
                lambda rid: ber.encode_request(opts.version, community, pdu, rid, oids, self._reps),
                opts.timeout, opts.retries)
        except TimeoutError:
            raise CollectError(f"snmp {self.device}: {what}: timeout (no answer from "
                               f"{self.address}:{self.port})") from None
        try:
            answer = ber.decode_response(data)
        except ber.BerError as err:
            raise CollectError(f"snmp {self.device}: {what}: malformed answer: {err}") from None
        status, index = answer.error_status, answer.error_index
        if status == 2 and opts.version == "1" and 1 <= index <= len(oids):
            # v1 noSuchName: the whole PDU fails for one OID; ask again without it, as net-snmp does
            others = oids[:index - 1] + oids[index:]
            rest = await self._call_community(what, method, others) if others else []
            missing = "ENDOFMIBVIEW" if pdu == ber.GETNEXT else "NOSUCHOBJECT"
            return [*rest[:index - 1], Var(oids[index - 1], missing, ""), *rest[index - 1:]]
        if status == 1 and pdu == ber.GETBULK and self._reps > 1:
            self._reps //= 2  # tooBig: this agent wants smaller answers, from now on
            return await self._call_community(what, method, oids)
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

    def _call_netsnmp(self, what: str, method: str, oids: list[str]) -> list[Var]:
        if self._session is None:
            try:
                self._session = self._open()
            except Exception as err:
                raise CollectError(
                    f"snmp {self.device}: cannot open session: {self._scrub(_reason(err))}") from None
        self.requests += 1
        try:
            results = getattr(self._session, method)(oids)
        except Exception as err:
            raise CollectError(f"snmp {self.device}: {what}: {self._scrub(_reason(err))}") from None
        self.varbinds += len(results)
        out = []
        for r in results:
            oid = r.oid.lstrip(".")
            if r.index not in ("", None):
                oid = f"{oid}.{r.index}"
            value = r.converted_value if r.type == "Hex-STRING" else r.value
            if r.type == "OID" and isinstance(value, str):
                value = value.lstrip(".")
            out.append(Var(oid, str(r.type), value))
        return out

    async def get(self, oids: Sequence[str], what: str = "get") -> dict[str, Var]:
        """GET the OIDs; those the agent does not have are left out."""
        got = await self._call(what, "get", list(oids))
        return {v.oid: v for v in got if not _is_error(v)}

    async def walk(self, columns: Sequence[str], what: str = "walk") -> Table:
        """Walk table columns together; returns column -> index -> value (missing columns empty)."""
        table: Table = {c: {} for c in columns}
        if self.options.version == "1":
            columns = [c for c in columns if c not in V1_ABSENT]
        cursor = {c: c for c in columns}  # where each column's walk goes on from
        method = "bulk_get" if self.options.bulk and self.options.version != "1" else "get_next"
        last: dict[str, tuple[int, ...]] = {c: () for c in columns}  # index of each column's last row
        prefixes = {c: c + "." for c in columns}
        for _ in range(_MAX_REQUESTS):
            if not cursor:
                return table
            active = list(cursor)
            got = await self._call(what, method, [cursor[c] for c in active])
            if not got:
                return table
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

    def _scrub(self, text: str) -> str:
        # Belt and braces: no library message may carry a community or key into a log.
        opts = self.options
        for secret in (opts.community, opts.auth_key, opts.priv_key):
            if secret is not None and secret.get_secret_value():
                text = text.replace(secret.get_secret_value(), "<secret>")
        return text

    def close(self) -> None:
        """Forget the session (net-snmp closes its socket when the object goes); the v1/v2c
        socket is shared and closed by ``SnmpShared.close``."""
        self._session = None


def _is_error(var: Var) -> bool:
    return var.type in _ERROR_TYPES or var.type.startswith(_ERROR_PREFIX)


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


def _reason(err: Exception) -> str:
    # net-snmp's messages name the host and the problem, never the community or keys.
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:200]
