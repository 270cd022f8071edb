"""Probe one link per cycle: ICMP echo (icmplib), TCP connect (asyncio) or HTTP GET (httpx).

Every attempt is bounded by the link's timeout, so a cycle never outlasts ``Link.budget``;
a failed attempt is loss, not an error. Only a probe that cannot run at all (no ICMP socket
allowed) raises CollectError.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
from collections.abc import Awaitable, Callable

import httpx
import icmplib

from collectors.probe.options import Link, Target, parse_target
from monitor.core.errors import CollectError
from monitor.core.model import Reading

log = logging.getLogger(__name__)

# What an HTTP probe says it is, so a site's web logs can tell the monitor from people.
_USER_AGENT = "roomwatch-probe/0.1"
_MAX_REDIRECTS = 5


class LinkCollector:
    """Probes one ``[[links]]`` entry: ``link_loss_percent`` always, ``link_rtt_ms`` when an
    attempt succeeded. Labels come from the job (link, probe, device)."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self.target: Target = parse_target(link.kind, link.target)
        # ICMP: None until the first cycle finds which socket the kernel allows; then
        # False = unprivileged datagram socket (net.ipv4.ping_group_range), True = raw.
        self.privileged: bool | None = None
        self._client: httpx.AsyncClient | None = None
        self._failing = False
        self._attempt: Callable[[], Awaitable[float]] = self._connect if link.kind == "tcp" else self._get

    async def collect(self, now: float) -> list[Reading]:
        """One cycle: ``count`` attempts, spaced, each within the timeout."""
        rtts: list[float] = []
        failures: list[str] = []
        if self.link.kind == "icmp":
            rtts, failures = await self._ping()
        else:
            for i in range(self.link.attempts):
                if i:
                    await asyncio.sleep(self.link.spacing)
                try:
                    rtts.append(await self._attempt())
                except _Failed as err:
                    failures.append(str(err))
        attempts = self.link.attempts
        loss = 100.0 * (attempts - len(rtts)) / attempts
        self._note(loss, failures)
        readings = [Reading("link_loss_percent", loss, {}, now)]
        if rtts:
            readings.append(Reading("link_rtt_ms", sum(rtts) / len(rtts), {}, now))
        return readings

    async def close(self) -> None:
        """Close the HTTP client, if one was opened."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    # --- ICMP --------------------------------------------------------------------------------

    async def _ping(self) -> tuple[list[float], list[str]]:
        """Round-trip times (ms) of the echoes answered, and why none was if so; unprivileged
        socket first, raw if the kernel refuses it, a clear CollectError when neither is allowed."""
        link = self.link
        order = [False, True] if self.privileged is None else [self.privileged]
        for privileged in order:
            try:
                host = await asyncio.wait_for(
                    icmplib.async_ping(self.target.host, count=link.attempts,
                                       interval=link.spacing, timeout=link.attempt_timeout,
                                       privileged=privileged),
                    timeout=link.budget + 1.0)
            except icmplib.SocketPermissionError:
                continue
            except icmplib.NameLookupError:
                return [], [f"cannot resolve {self.target.host}"]
            except TimeoutError:  # a DNS lookup that hangs: the channel is down as far as we know
                return [], [f"no answer within {link.budget:g}s"]
            except icmplib.ICMPLibError as err:
                raise CollectError(f"link {link.name}: icmp to {self.target.shown()}: {err}") from None
            if self.privileged is None:
                self.privileged = privileged
                log.info("link=%s icmp through %s sockets", link.name,
                         "raw" if privileged else "unprivileged")
            return list(host.rtts), ([] if host.rtts else ["no echo reply"])
        raise CollectError(
            f"link {link.name}: cannot open an ICMP socket: unprivileged ICMP is off for gid "
            f"{os.getgid()} (sysctl net.ipv4.ping_group_range) and raw sockets need CAP_NET_RAW "
            "(the roomwatch systemd unit grants it)")

    # --- TCP ---------------------------------------------------------------------------------

    async def _connect(self) -> float:
        """Milliseconds to complete a TCP handshake; the name is resolved first, outside the timing."""
        loop = asyncio.get_running_loop()
        host, port = self.target.host, self.target.port
        try:
            async with asyncio.timeout(self.link.attempt_timeout):
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                start = loop.time()
                _, writer = await asyncio.open_connection(str(infos[0][4][0]), port)
                took = loop.time() - start
        except TimeoutError:
            raise _Failed(f"no answer within {self.link.attempt_timeout:g}s") from None
        except socket.gaierror as err:
            raise _Failed(f"cannot resolve {host}: {err.strerror}") from None
        except OSError as err:
            raise _Failed(os.strerror(err.errno) if err.errno else type(err).__name__) from None
        writer.close()
        # The handshake is what was measured; a messy close is not loss.
        with contextlib.suppress(OSError, TimeoutError):
            await asyncio.wait_for(writer.wait_closed(), timeout=1.0)
        return took * 1000.0

    # --- HTTP --------------------------------------------------------------------------------

    async def _get(self) -> float:
        """Milliseconds until the response headers (redirects followed); the status must be
        one of ``expect_status`` (default any 2xx/3xx). The body is not read."""
        loop = asyncio.get_running_loop()
        client = self._http()
        start = loop.time()
        try:
            async with asyncio.timeout(self.link.attempt_timeout):
                async with client.stream("GET", self.target.url) as response:
                    took = loop.time() - start
                    status = response.status_code
        except TimeoutError:
            raise _Failed(f"no response within {self.link.attempt_timeout:g}s") from None
        except httpx.TooManyRedirects:
            raise _Failed(f"more than {_MAX_REDIRECTS} redirects") from None
        except httpx.HTTPError as err:
            raise _Failed(_http_reason(err)) from None
        expected = self.link.expect_status
        if (status not in expected) if expected else not 200 <= status < 400:
            raise _Failed(f"status {status}")
        return took * 1000.0

    def _http(self) -> httpx.AsyncClient:
        # One client per link, opened on first use; no keep-alive, so every attempt measures
        # a fresh connection as a user's browser would meet it after a quiet spell.
        if self._client is None:
            self._client = httpx.AsyncClient(
                verify=self.link.verify_tls, follow_redirects=True, max_redirects=_MAX_REDIRECTS,
                timeout=httpx.Timeout(self.link.attempt_timeout),
                limits=httpx.Limits(max_keepalive_connections=0),
                headers={"User-Agent": _USER_AGENT})
        return self._client

    def _note(self, loss: float, failures: list[str]) -> None:
        """One log line when a link starts failing and one when it recovers, not one per cycle."""
        name, shown = self.link.name, self.target.shown()
        if loss >= 100.0 and not self._failing:
            self._failing = True
            log.warning("link=%s %s %s unreachable: %s", name, self.link.kind, shown,
                        failures[-1] if failures else "no answer")
        elif loss < 100.0 and self._failing:
            self._failing = False
            log.info("link=%s %s %s reachable again", name, self.link.kind, shown)
        elif failures and loss < 100.0:
            log.debug("link=%s %d of %d attempt(s) failed: %s", name, len(failures),
                      self.link.attempts, failures[-1])


class _Failed(Exception):
    """One attempt failed; the message says why, without the URL (it may carry a token)."""


def _http_reason(err: httpx.HTTPError) -> str:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted: {cause.verify_message}"
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve host: {cause.strerror}"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    # httpx's own messages may quote the URL; say only which kind of failure it was.
    return type(err).__name__
