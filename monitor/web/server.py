"""Serve the console with uvicorn inside the daemon's own asyncio loop (no thread, no process)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Generator

import uvicorn
from starlette.applications import Starlette

from monitor.sections import WebSettings

log = logging.getLogger(__name__)


class _InLoopServer(uvicorn.Server):
    """uvicorn without its signal handling: SIGTERM and SIGHUP belong to the daemon, which
    stops the server itself (``should_exit``)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def split_listen(listen: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8470`` for IPv6) as host and port."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


async def serve(app: Starlette, settings: WebSettings, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set; a port that cannot be bound is logged, and the daemon runs on."""
    host, port = split_listen(settings.listen)
    # What the daemon built before its console (settings, the engine, stores) lives as long as
    # the process: frozen out of the cyclic collector's reach, the full collections that the
    # console's requests set off no longer walk it. Unfrozen, each paused the loop (and every
    # poll) for up to half a second with 1,000 devices (python bench/run.py web).
    gc.freeze()
    config = uvicorn.Config(
        app, host=host, port=port, lifespan="off", access_log=False, log_config=None,
        server_header=False, proxy_headers=False,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None)
    server = _InLoopServer(config)
    task = asyncio.create_task(_run(server, settings.listen))
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if not task.done():
        server.should_exit = True
        await task


async def _run(server: uvicorn.Server, listen: str) -> None:
    try:
        await server.serve()
    except (SystemExit, OSError):
        # uvicorn logs its own reason (address in use, bad certificate) and calls sys.exit,
        # which must not end the daemon: monitoring goes on without the console.
        log.error("web console on %s did not start; the daemon runs on without it", listen)
