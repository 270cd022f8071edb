"""SNMP GET and table walks over net-snmp (ezsnmp), run in worker threads.

pysnmp manages a few thousand values a second here; net-snmp's C client, which ezsnmp wraps,
does an order of magnitude more per CPU-second (see bench/bench_snmp.py). ezsnmp calls block,
but release the GIL while waiting, so each request runs in a worker thread and the event loop
never waits on a slow device. A shared semaphore caps requests in flight across all devices.

Walks ask for several table columns in one GETBULK (or GETNEXT with ``bulk = false``) and
follow each column until it leaves its subtree; an agent that returns a non-increasing OID
ends that column's walk instead of looping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from collectors.snmp.options import SnmpOptions
from monitor.errors import CollectError

log = logging.getLogger(__name__)

T = TypeVar("T")

_ERROR_TYPES = frozenset({"NOSUCHOBJECT", "NOSUCHINSTANCE", "ENDOFMIBVIEW"})
# ezsnmp spells some exceptions as net-snmp's sentences ("No more variables left in this MIB View").
_ERROR_PREFIX = "No "
# A walk never asks more than this many requests: a broken agent must not keep us forever.
_MAX_REQUESTS = 2000


@dataclass(frozen=True, slots=True)
class Var:
    """One varbind: numeric OID (no leading dot), net-snmp type name, value."""

    oid: str
    type: str
    value: str | bytes

    def number(self) -> float | None:
        """The value as a number, or None when it is not one."""
        if isinstance(self.value, bytes):
            return None
        try:
            return float(self.value.strip().split()[0])
        except (ValueError, IndexError):
            return None

    def text(self) -> str:
        """The value as text (OCTET STRING with undecodable bytes replaced)."""
        if isinstance(self.value, bytes):
            return self.value.decode("utf-8", errors="replace")
        return self.value.strip().strip('"')

    def raw(self) -> bytes:
        """The value as bytes (MAC addresses and other binary strings)."""
        if isinstance(self.value, bytes):
            return self.value
        return self.value.encode("latin-1", errors="replace")


Table = dict[str, dict[str, Var]]
"""column OID -> row index (OID suffix) -> value."""


@dataclass
class SnmpShared:
    """What all SNMP devices share: the worker threads and the cap on requests in flight."""

    max_concurrent: int = 64
    _executor: ThreadPoolExecutor | None = field(default=None, repr=False)
    _gate: asyncio.Semaphore | None = field(default=None, repr=False)

    async def run(self, func: Callable[[], T]) -> T:
        """Run a blocking SNMP call in a worker thread, at most ``max_concurrent`` at once."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.max_concurrent, thread_name_prefix="snmp")
            self._gate = asyncio.Semaphore(self.max_concurrent)
        assert self._gate is not None
        async with self._gate:
            return await asyncio.get_running_loop().run_in_executor(self._executor, func)

    def close(self) -> None:
        """Stop the worker threads (requests in flight finish on their own timeout)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None


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
        self._session: Any = None

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

    def _call(self, what: str, method: str, oids: list[str]) -> list[Var]:
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
        got = await self.shared.run(lambda: self._call(what, "get", list(oids)))
        return {v.oid: v for v in got if not _is_error(v)}

    async def walk(self, columns: Sequence[str], what: str = "walk") -> Table:
        """Walk table columns together; returns column -> index -> value (missing columns empty)."""
        table: Table = {c: {} for c in columns}
        cursor = {c: c for c in columns}  # where each column's walk goes on from
        method = "bulk_get" if self.options.bulk and self.options.version != "1" else "get_next"
        for _ in range(_MAX_REQUESTS):
            if not cursor:
                return table
            active = list(cursor)
            request = [cursor[c] for c in active]
            got = await self.shared.run(lambda: self._call(what, method, request))  # noqa: B023
            if not got:
                return table
            step = len(active)
            done: set[str] = set()
            for i, var in enumerate(got):
                col = active[i % step]
                if col in done:
                    continue
                prefix = col + "."
                if _is_error(var) or not var.oid.startswith(prefix):
                    done.add(col)
                    continue
                if _key(var.oid) <= _key(cursor[col]):
                    log.warning("snmp %s: %s: agent returned a non-increasing OID in %s; column cut short",
                                self.device, what, col)
                    done.add(col)
                    continue
                table[col][var.oid[len(prefix):]] = var
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
        """Forget the session (net-snmp closes its socket when the object goes)."""
        self._session = None


def _is_error(var: Var) -> bool:
    return var.type in _ERROR_TYPES or var.type.startswith(_ERROR_PREFIX)


def _key(oid: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in oid.split("."))
    except ValueError:
        return ()


def _reason(err: Exception) -> str:
    # net-snmp's messages name the host and the problem, never the community or keys.
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:200]
