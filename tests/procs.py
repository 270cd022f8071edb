"""Helpers for the real servers tests and benchmarks start: free loopback ports, stopping them."""

from __future__ import annotations

import asyncio
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from monitor.demo.agents import stop  # one way to stop a child process, shared with the demo

__all__ = ["free_port", "serving", "stop"]


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port on 127.0.0.1 free right now (TCP by default, ``socket.SOCK_DGRAM`` for UDP)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    """Serve ``server`` (already bound, on loopback) from a thread; shut it down and close it after."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def running(daemon: Any) -> Iterator[None]:
    """Run a ``monitor.daemon.Daemon`` on its own event loop thread; stop it and join after."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(daemon.run(signals=False),), daemon=True)
    thread.start()
    try:
        yield
    finally:
        loop.call_soon_threadsafe(daemon.stop.set)
        thread.join(timeout=15)
        loop.close()
